using System.Diagnostics;
using Hone.Data.Cost;
using Hone.Models.Train;
using Hone.Training.Analysis;
using Hone.Training.Batching;
using Hone.Training.Objectives;
using Hone.Training.Optim;
using Hone.Training.Runs;

namespace Hone.Training.Sft;

/// <summary>
/// Supervised fine-tuning over an <see cref="ITrainableModel"/>: shuffles the examples each epoch (seeded), takes
/// <see cref="BatchSize"/> examples per optimiser step (accumulating gradients over micro-batches), AdamW with warm-up
/// and decay, metrics under their fixed names in the run store and the results CSV, a checkpoint at each epoch end,
/// and at the end a chart and a diagnosis. <see cref="Run"/> resumes from the newest checkpoint in the run folder.
/// </summary>
public sealed class SftTrainer
{
    private readonly ITrainableModel _model;
    private readonly IReadOnlyList<TokenizedExample> _train;
    private readonly IReadOnlyList<TokenizedExample> _valid;
    private readonly RunFolder _run;
    private readonly AdamW _optimizer;
    private readonly TrainingRandom _random;
    private readonly LearningRateSchedule _schedule;
    private readonly string _optionsJson;
    private readonly Dictionary<(int Rows, int Length), TokenBatch> _batches = [];
    private readonly float[] _logProbs;
    private readonly bool[] _correct;
    private readonly float[] _coefficients;
    private readonly int[] _order;
    private readonly List<int> _rowScratch = [];

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

        Epochs = options.Epochs ?? EpochRule.AutoEpochs(train.Count);
        BatchSize = Math.Min(train.Count, options.BatchSize ?? Math.Clamp(train.Count / 16, 1, SftOptions.MaxAutoBatchSize));
        StepsPerEpoch = (train.Count + BatchSize - 1) / BatchSize;
        TotalSteps = (long)StepsPerEpoch * Epochs;
        int warmup = (int)Math.Ceiling(options.WarmupRatio * TotalSteps);
        _schedule = new LearningRateSchedule(options.LearningRate, (int)Math.Min(int.MaxValue, TotalSteps), warmup, options.Decay);
        _optimizer = new AdamW(model.Parameters, new AdamWSettings(WeightDecay: options.WeightDecay));
        _random = new TrainingRandom(options.Seed);
        _optionsJson = options.ToJson();
        int maxRows = options.MicroBatchSize;
        _logProbs = new float[maxRows * SequenceLength];
        _correct = new bool[maxRows * SequenceLength];
        _coefficients = new float[maxRows * SequenceLength];
        _order = new int[train.Count];
    }

    /// <summary>The validated options.</summary>
    public SftOptions Options { get; }

    /// <summary>Epochs (auto resolved).</summary>
    public int Epochs { get; }

    /// <summary>Examples per optimiser step (auto resolved).</summary>
    public int BatchSize { get; }

    /// <summary>Optimiser steps per epoch.</summary>
    public int StepsPerEpoch { get; }

    /// <summary>Optimiser steps in the run.</summary>
    public long TotalSteps { get; }

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

    /// <summary>
    /// Runs the remaining epochs (all of them for a fresh run; those after the newest checkpoint when the run folder
    /// has one). Cancelling stops between steps; the epoch checkpoints written so far let <see cref="Run"/> resume.
    /// </summary>
    public SftResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var history = new List<MetricRow>();
        var epochHistory = new List<EpochMetrics>();
        int startEpoch = 0;
        long step = 0;
        var latest = Checkpoints.Latest(_run.CheckpointsPath);
        if (latest is not null)
        {
            var state = Checkpoints.Load(latest, _model.Parameters, _optimizer, Checkpoints.HashOptions(_optionsJson));
            _random.SetState(Checkpoints.RandomState(state));
            startEpoch = state.Epoch;
            step = state.Step;
            history.AddRange(state.History);
            epochHistory.AddRange(state.EpochHistory);
        }

        var clock = Stopwatch.StartNew();
        long tokensSeen = 0, stepsThisCall = 0;
        for (int epoch = startEpoch; epoch < Epochs; epoch++)
        {
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
            _random.Shuffle(_order);
            for (int s = 0; s < StepsPerEpoch; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int from = s * BatchSize, count = Math.Min(BatchSize, _order.Length - from);
                var (loss, acc, tokens, gradNorm) = TrainStep(_order.AsSpan(from, count));
                step++;
                stepsThisCall++;
                tokensSeen += tokens;
                double lr = _schedule.RateAt(step);
                _optimizer.Step(lr);

                double? vLoss = null, vAcc = null;
                if (Options.EvalEvery > 0 && _valid.Count > 0 && step % Options.EvalEvery == 0)
                    (vLoss, vAcc) = ValidBatch(step / Options.EvalEvery - 1);
                var row = new MetricRow(step, epoch + 1, loss, acc, vLoss, vAcc);
                history.Add(row);
                var metrics = new List<KeyValuePair<string, double>>
                {
                    new(MetricNames.TrainLoss, loss),
                    new(MetricNames.TrainMeanTokenAccuracy, acc),
                    new(MetricNames.LearningRate, lr),
                    new(MetricNames.GradNorm, gradNorm),
                };
                if (vLoss is double vl) metrics.Add(new(MetricNames.ValidLoss, vl));
                if (vAcc is double va) metrics.Add(new(MetricNames.ValidMeanTokenAccuracy, va));
                _run.LogMetrics(step, metrics);
                _run.WriteResultsCsv(history);

                double secs = clock.Elapsed.TotalSeconds;
                var eta = TimeSpan.FromSeconds(secs / stepsThisCall * (TotalSteps - step));
                progress?.Report(new TrainingProgress("train", epoch + 1, Epochs, step, TotalSteps, loss, acc, secs > 0 ? tokensSeen / secs : 0, eta));
            }

            if (_valid.Count > 0)
            {
                var (fl, fa) = Evaluate(_valid, AllIndices(_valid.Count));
                epochHistory.Add(new EpochMetrics(epoch + 1, step, fl, fa));
                _run.LogMetrics(step, [new(MetricNames.FullValidLoss, fl), new(MetricNames.FullValidMeanTokenAccuracy, fa)]);
            }
            Checkpoints.Save(_run.CheckpointsPath, _model.Parameters, _optimizer, new CheckpointState
            {
                Epoch = epoch + 1,
                Step = step,
                Random = Checkpoints.EncodeRandom(_random.GetState()),
                OptionsSha256 = Checkpoints.HashOptions(_optionsJson),
                History = [.. history],
                EpochHistory = [.. epochHistory],
            }, Options.KeepCheckpoints);
            var last = history[^1];
            progress?.Report(new TrainingProgress("checkpoint", epoch + 1, Epochs, step, TotalSteps, last.TrainLoss, last.TrainAccuracy, 0, TimeSpan.Zero));
        }

        var csv = _run.WriteResultsCsv(history);
        _run.AddArtifact("results.csv", csv);
        var chart = Path.Combine(_run.Path, "chart.svg");
        SvgChart.WriteTrainingChart(chart, history, epochHistory);
        _run.AddArtifact("chart.svg", chart);
        var findings = CurveDiagnosis.Diagnose(history, epochHistory);
        var spark = Sparkline.Render(history.Select(r => r.TrainLoss).ToArray(), 40);
        if (history.Count > 0)
            progress?.Report(new TrainingProgress("done", Epochs, Epochs, step, TotalSteps, history[^1].TrainLoss, history[^1].TrainAccuracy, 0, TimeSpan.Zero));
        return new SftResult(Epochs, BatchSize, step, Options.LearningRate, history, epochHistory, findings, csv, chart, spark, startEpoch);
    }

    private (double Loss, double Accuracy, long Tokens, double GradNorm) TrainStep(ReadOnlySpan<int> examples)
    {
        _model.ZeroGrad();
        int normalizer = 0;
        foreach (int i in examples) normalizer += _train[i].TargetCount(Options.TrainOnInputs);
        double nll = 0;
        long correct = 0, positions = 0;
        ForEachMicroBatch(_train, examples, batch =>
        {
            int n = batch.Rows * batch.SequenceLength;
            var lp = _logProbs.AsSpan(0, n);
            var ok = _correct.AsSpan(0, n);
            var coef = _coefficients.AsSpan(0, n);
            _model.Forward(batch, lp, ok);
            var r = SftObjective.Compute(lp, batch.Targets, ok, coef, normalizer);
            _model.Backward(coef);
            nll += r.NllSum;
            correct += r.Correct;
            foreach (int seg in batch.SegmentIds) if (seg >= 0) positions++;
        });
        double norm = GradientClipping.ClipByGlobalNorm(_model.Parameters, Options.MaxGradNorm);
        return (nll / normalizer, (double)correct / normalizer, positions, norm);
    }

    private (double Loss, double Accuracy) ValidBatch(long evalIndex)
    {
        int n = Math.Min(BatchSize, _valid.Count);
        var idx = new int[n];
        long start = evalIndex * n % _valid.Count;
        for (int i = 0; i < n; i++) idx[i] = (int)((start + i) % _valid.Count);
        return Evaluate(_valid, idx);
    }

    private (double Loss, double Accuracy) Evaluate(IReadOnlyList<TokenizedExample> set, int[] indices)
    {
        double nll = 0;
        long tokens = 0, correct = 0;
        ForEachMicroBatch(set, indices, batch =>
        {
            int n = batch.Rows * batch.SequenceLength;
            var lp = _logProbs.AsSpan(0, n);
            var ok = _correct.AsSpan(0, n);
            _model.Forward(batch, lp, ok);
            var r = SftObjective.Compute(lp, batch.Targets, ok, _coefficients.AsSpan(0, n));
            nll += r.NllSum;
            tokens += r.Tokens;
            correct += r.Correct;
        });
        return tokens == 0 ? (double.NaN, double.NaN) : (nll / tokens, (double)correct / tokens);
    }

    private void ForEachMicroBatch(IReadOnlyList<TokenizedExample> set, ReadOnlySpan<int> indices, Action<TokenBatch> body)
    {
        int micro = Options.MicroBatchSize;
        if (Options.Packing)
        {
            var rows = SftBatcher.PlanPacking(set, indices, SequenceLength);
            for (int r = 0; r < rows.Count; r += micro)
            {
                var chunk = rows.GetRange(r, Math.Min(micro, rows.Count - r));
                var batch = BatchOf(chunk.Count, SequenceLength);
                SftBatcher.Pack(batch, set, chunk, Options.TrainOnInputs, Options.PadId);
                body(batch);
            }
            return;
        }
        for (int r = 0; r < indices.Length; r += micro)
        {
            var chunk = indices.Slice(r, Math.Min(micro, indices.Length - r));
            int longest = 0;
            foreach (int i in chunk) longest = Math.Max(longest, set[i].Length);
            var batch = BatchOf(chunk.Length, longest);
            SftBatcher.Pad(batch, set, chunk, Options.TrainOnInputs, Options.PadId);
            body(batch);
        }
    }

    private TokenBatch BatchOf(int rows, int length)
    {
        if (!_batches.TryGetValue((rows, length), out var b))
        {
            b = new TokenBatch(rows, length);
            _batches.Add((rows, length), b);
        }
        return b;
    }

    private static int[] AllIndices(int n)
    {
        var a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
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
