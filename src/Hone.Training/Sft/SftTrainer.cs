using Hone.Data.Cost;
using Hone.Models.Train;
using Hone.Training.Analysis;
using Hone.Training.Batching;
using Hone.Training.Loop;
using Hone.Training.Objectives;
using Hone.Training.Runs;

namespace Hone.Training.Sft;

/// <summary>
/// Supervised fine-tuning as an objective of the shared <see cref="TrainingLoop"/>: examples are padded one per row (or
/// packed several per row, document-causal) in micro-batches of <see cref="SftOptions.MicroBatchSize"/> rows, and
/// <see cref="SftObjective"/> turns the log-probabilities into the mean NLL over the step's trained tokens and its
/// coefficients. Metrics <c>train_loss</c> and <c>train_mean_token_accuracy</c> (<c>valid_</c>… on a validation batch,
/// <c>full_valid_</c>… on the whole set at each epoch end); the loss/accuracy chart and the curve diagnosis.
/// <see cref="Run"/> trains (resuming from the newest checkpoint in the run folder).
/// </summary>
public sealed class SftTrainer : ITrainingObjective
{
    /// <summary>The SFT results CSV: step, the training loss and token accuracy, and the validation batch's.</summary>
    public static readonly ResultsTable Results = new(EpochColumn: false,
    [
        new("train_loss", MetricNames.TrainLoss), new("train_accuracy", MetricNames.TrainMeanTokenAccuracy),
        new("valid_loss", MetricNames.ValidLoss), new("valid_mean_token_accuracy", MetricNames.ValidMeanTokenAccuracy),
    ]);

    // Validation passes keep the model's modes as they are (LoRA dropout included), as SFT always has.
    private static readonly ObjectiveReport ReportInfo = new("sft", Results, MetricNames.TrainLoss, MetricNames.TrainMeanTokenAccuracy, "acc",
        EvaluateWithoutDropout: false);

    private readonly ITrainableModel _model;
    private readonly IReadOnlyList<TokenizedExample> _train;
    private readonly IReadOnlyList<TokenizedExample> _valid;
    private readonly RunFolder _run;
    private readonly Dictionary<(int Rows, int Length), TokenBatch> _batches = [];
    private readonly int[] _items;

    // The pass under way.
    private TrainingPhase _phase;
    private IReadOnlyList<TokenizedExample> _set = [];
    private int _count, _normalizer;
    private List<int[]>? _packed;
    private double _nll;
    private long _tokens, _correct;

    /// <summary>Validates everything once and prepares the run (no training yet).</summary>
    /// <exception cref="TrainingException">Bad options, an empty set, or an example that does not fit or has nothing to train.</exception>
    public SftTrainer(ITrainableModel model, SftOptions options, IReadOnlyList<TokenizedExample> train,
        IReadOnlyList<TokenizedExample>? valid, RunFolder run)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(run);
        options.Validate();
        if (train.Count == 0) throw new TrainingException("The training set is empty; give a file with at least one example.");
        Options = options;
        _model = model;
        _train = train;
        _valid = valid ?? [];
        _run = run;
        SequenceLength = options.SequenceLength ?? model.MaxSequenceLength;
        if (SequenceLength > model.MaxSequenceLength)
            throw new TrainingException($"SFT option --sequence-length = {SequenceLength} exceeds the model's {model.MaxSequenceLength}; use at most {model.MaxSequenceLength}.");
        CheckExamples(_train, "training", options.TrainOnInputs, requireTargets: true);
        CheckExamples(_valid, "validation", options.TrainOnInputs, requireTargets: false);
        Plan = TrainingPlan.For(options, train.Count, options.ResolveBatchSize(train.Count));
        _items = new int[Math.Max(train.Count, _valid.Count)];
    }

    /// <summary>The validated options.</summary>
    public SftOptions Options { get; }

    /// <inheritdoc />
    public TrainingPlan Plan { get; }

    /// <summary>Epochs (auto resolved).</summary>
    public int Epochs => Plan.Epochs;

    /// <summary>Examples per optimiser step (auto resolved).</summary>
    public int BatchSize => Plan.ItemsPerStep;

    /// <summary>Optimiser steps per epoch.</summary>
    public int StepsPerEpoch => Plan.StepsPerEpoch;

    /// <summary>Optimiser steps in the run.</summary>
    public long TotalSteps => Plan.TotalSteps;

    /// <summary>Row length of the batches.</summary>
    public int SequenceLength { get; }

    /// <summary>The resolved values the run manifest records.</summary>
    public IReadOnlyDictionary<string, object> Resolved => new Dictionary<string, object>
    {
        ["epochs"] = Epochs,
        ["batch_size"] = BatchSize,
        ["steps_per_epoch"] = StepsPerEpoch,
        ["total_steps"] = TotalSteps,
        ["learning_rate"] = Options.LearningRate,
        ["sequence_length"] = SequenceLength,
        ["train_examples"] = _train.Count,
        ["valid_examples"] = _valid.Count,
        ["epoch_rule"] = EpochRule.Description,
    };

    TrainerOptions ITrainingObjective.Options => Options;

    int ITrainingObjective.TrainCount => _train.Count;

    int ITrainingObjective.ValidCount => _valid.Count;

    long? ITrainingObjective.TrainTokens => _train.Sum(e => (long)e.Length);

    int ITrainingObjective.MaxPositions => Options.MicroBatchSize * SequenceLength;

    ObjectiveReport ITrainingObjective.Report => ReportInfo;

    /// <summary>
    /// Runs the remaining epochs (all of them for a fresh run; those after the newest checkpoint when the run folder
    /// has one). Cancelling stops between steps; the epoch checkpoints written so far let <see cref="Run"/> resume.
    /// </summary>
    public SftResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = TrainingLoop.Run(_model, this, _run, progress, cancellationToken);
        var history = o.History.Select(Row).ToList();
        return new SftResult(o.Plan.Epochs, o.Plan.ItemsPerStep, o.Steps, o.LearningRate, history, [.. o.EpochHistory.Select(Epoch)], o.Findings,
            o.ResultsCsvPath, o.ChartPath, Sparkline.Render(history.Select(r => r.TrainLoss).ToArray(), 40), o.ResumedFromEpoch)
        {
            Best = o.Best,
            GoldenScores = o.GoldenScores,
        };
    }

    void ITrainingObjective.Prepare(RunFolder run)
    {
    }

    int ITrainingObjective.Begin(TrainingPhase phase, ReadOnlySpan<int> items, long step, CancellationToken cancellationToken)
    {
        _phase = phase;
        _set = phase == TrainingPhase.Train ? _train : _valid;
        items.CopyTo(_items);
        _count = items.Length;
        (_nll, _tokens, _correct, _normalizer) = (0, 0, 0, 0);
        if (phase == TrainingPhase.Train)
        {
            foreach (int i in items) _normalizer += _train[i].TargetCount(Options.TrainOnInputs);
        }

        int micro = Options.MicroBatchSize;
        _packed = Options.Packing ? SftBatcher.PlanPacking(_set, items, SequenceLength) : null;
        return ((_packed?.Count ?? _count) + micro - 1) / micro;
    }

    TokenBatch ITrainingObjective.Layout(int index)
    {
        int micro = Options.MicroBatchSize, from = index * micro;
        if (_packed is { } rows)
        {
            var chunk = rows.GetRange(from, Math.Min(micro, rows.Count - from));
            var packed = BatchOf(chunk.Count, SequenceLength);
            SftBatcher.Pack(packed, _set, chunk, Options.TrainOnInputs, Options.PadId);
            return packed;
        }

        var examples = _items.AsSpan(from, Math.Min(micro, _count - from));
        int longest = 0;
        foreach (int i in examples) longest = Math.Max(longest, _set[i].Length);
        var batch = BatchOf(examples.Length, longest);
        SftBatcher.Pad(batch, _set, examples, Options.TrainOnInputs, Options.PadId);
        return batch;
    }

    void ITrainingObjective.Score(TokenBatch batch, ReadOnlySpan<float> logProbs, ReadOnlySpan<bool> correct, Span<float> coefficients)
    {
        // Training divides every micro-batch by the step's trained tokens (gradient accumulation); evaluation by none.
        var r = SftObjective.Compute(logProbs, batch.Targets, correct, coefficients, _phase == TrainingPhase.Train ? _normalizer : 0);
        _nll += r.NllSum;
        _tokens += r.Tokens;
        _correct += r.Correct;
    }

    IReadOnlyList<KeyValuePair<string, double>> ITrainingObjective.End()
    {
        if (_phase == TrainingPhase.Train)
            return [new(MetricNames.TrainLoss, _nll / _normalizer), new(MetricNames.TrainMeanTokenAccuracy, (double)_correct / _normalizer)];
        var (loss, accuracy) = _tokens == 0 ? (double.NaN, double.NaN) : (_nll / _tokens, (double)_correct / _tokens);
        return _phase == TrainingPhase.ValidBatch
            ? [new(MetricNames.ValidLoss, loss), new(MetricNames.ValidMeanTokenAccuracy, accuracy)]
            : [new(MetricNames.FullValidLoss, loss), new(MetricNames.FullValidMeanTokenAccuracy, accuracy)];
    }

    void ITrainingObjective.WriteChart(string path, IReadOnlyList<StepRecord> history, IReadOnlyList<EpochRecord> epochs) =>
        TrainingChart.WriteTrainingChart(path, [.. history.Select(Row)], [.. epochs.Select(Epoch)]);

    IReadOnlyList<CurveFinding> ITrainingObjective.Diagnose(IReadOnlyList<StepRecord> history, IReadOnlyList<EpochRecord> epochs) =>
        CurveDiagnosis.Diagnose([.. history.Select(Row)], [.. epochs.Select(Epoch)]);

    private static MetricRow Row(StepRecord r) => new(r.Step, r.Epoch, r[MetricNames.TrainLoss], r[MetricNames.TrainMeanTokenAccuracy],
        r.Get(MetricNames.ValidLoss), r.Get(MetricNames.ValidMeanTokenAccuracy));

    private static EpochMetrics Epoch(EpochRecord e) => new(e.Epoch, e.Step, e[MetricNames.FullValidLoss], e[MetricNames.FullValidMeanTokenAccuracy]);

    private TokenBatch BatchOf(int rows, int length)
    {
        if (!_batches.TryGetValue((rows, length), out var b))
        {
            b = new TokenBatch(rows, length);
            _batches.Add((rows, length), b);
        }
        return b;
    }

    private void CheckExamples(IReadOnlyList<TokenizedExample> set, string what, bool trainOnInputs, bool requireTargets)
    {
        for (int i = 0; i < set.Count; i++)
        {
            var e = set[i] ?? throw new TrainingException($"{what} example {i + 1} is missing.");
            if (e.Length > SequenceLength)
                throw new TrainingException($"{what} example {i + 1} has {e.Length} tokens, more than the sequence length {SequenceLength}. Shorten it (hone data check lists over-long examples) or raise --sequence-length up to the model's {_model.MaxSequenceLength}.");
            foreach (int id in e.Ids)
            {
                if ((uint)id >= (uint)_model.VocabSize)
                    throw new TrainingException($"{what} example {i + 1} holds token id {id}, outside the model's vocabulary of {_model.VocabSize}; it was tokenized for another model.");
            }
            if (requireTargets && e.TargetCount(trainOnInputs) == 0)
                throw new TrainingException($"{what} example {i + 1} has no trained tokens (no assistant turn with a non-zero weight); fix or drop it, or use --train-on-inputs.");
        }
    }
}
