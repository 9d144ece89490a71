using System.Security.Cryptography;
using System.Text.Json;
using Hone.Core;
using Hone.Data.Cost;
using Hone.Models.Train;
using Hone.Store;
using Hone.Training.Analysis;
using Hone.Training.Batching;
using Hone.Training.Loop;
using Hone.Training.Objectives;
using Hone.Training.Runs;

namespace Hone.Training.Dpo;

/// <summary>
/// DPO as an objective of the shared <see cref="TrainingLoop"/>. Reference log-probabilities (Σ log p over each
/// completion's scored tokens) are computed once from the starting model — with LoRA, the base with the adapters
/// switched off — and stored with the run (<see cref="ReferenceFile"/>), so no second model is held. Each micro-batch
/// lays every pair out as two rows (chosen, rejected; the prompt is masked), one forward gives the policy sums,
/// <see cref="DpoObjective"/> turns them into one coefficient per row (divided by the step's pair count) and one backward
/// accumulates the gradients: a single pass per micro-batch. Metrics per step <c>train_loss</c>,
/// <c>rewards/chosen|rejected|margins|accuracies</c>; on a validation batch the same (<c>valid_</c>…) and at each epoch
/// end on the whole validation set (<c>full_valid_</c>…), scored without dropout.
/// </summary>
public sealed class DpoTrainer : ITrainingObjective
{
    /// <summary>File in the run folder holding the reference sums.</summary>
    public const string ReferenceFile = "reference_logprobs.json";

    /// <summary>The DPO results CSV: step, epoch, the step's loss and rewards, and the validation batch's.</summary>
    public static readonly ResultsTable Results = new(EpochColumn: true,
    [
        .. Columns(MetricNames.TrainLoss, ""), .. Columns(MetricNames.ValidLoss, MetricNames.ValidPrefix),
    ]);

    private static readonly ObjectiveReport ReportInfo = new("dpo", Results, MetricNames.TrainLoss, MetricNames.RewardsAccuracies, "reward acc",
        EvaluateWithoutDropout: true);

    private readonly ITrainableModel _model;
    private readonly IReadOnlyList<PreferencePair> _train, _valid;
    private readonly RunFolder _run;
    private readonly int _length;
    private readonly DpoPair[] _pairScratch;
    private readonly double[] _dc, _dr, _sums;
    private readonly int[] _items;
    private readonly Dictionary<(int Rows, int Length), TokenBatch> _batches = [];
    private (double Chosen, double Rejected)[]? _refTrain, _refValid;

    // The pass under way.
    private TrainingPhase _phase;
    private IReadOnlyList<PreferencePair> _set = [];
    private (double Chosen, double Rejected)[] _reference = [];
    private int _count, _from, _chunk;
    private Accumulator _accumulated;

    /// <summary>Validates everything once and prepares the run (no training yet).</summary>
    /// <exception cref="TrainingException">Bad options, an empty set, or a pair that does not fit or has an empty completion.</exception>
    public DpoTrainer(ITrainableModel model, DpoOptions options, IReadOnlyList<PreferencePair> pairs, RunFolder run,
        IReadOnlyList<PreferencePair>? valid = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(run);
        options.Validate();
        if (pairs.Count == 0) throw new TrainingException("The preference set is empty; give a file with at least one pair.");
        (Options, _model, _train, _valid, _run) = (options, model, pairs, valid ?? [], run);
        Check(_train, "Pair");
        Check(_valid, "Validation pair");
        _length = _train.Concat(_valid).Max(p => Math.Max(p.Chosen.Length, p.Rejected.Length));
        Plan = TrainingPlan.For(options, pairs.Count, options.ResolveBatchSize(pairs.Count));
        int micro = options.MicroBatchPairs;
        _pairScratch = new DpoPair[micro];
        _dc = new double[micro];
        _dr = new double[micro];
        _sums = new double[2 * micro];
        _items = new int[Math.Max(pairs.Count, _valid.Count)];
    }

    /// <summary>The validated options.</summary>
    public DpoOptions Options { get; }

    /// <summary>
    /// Whether the reference log-probs are taken with the LoRA adapters as they are (true: the reference is the current
    /// model, e.g. the SFT stage's adapter) rather than switched off (false, default: the base model).
    /// </summary>
    public bool ReferenceUsesAdapters { get; init; }

    /// <inheritdoc />
    public TrainingPlan Plan { get; }

    /// <summary>The resolved values the run manifest records.</summary>
    public IReadOnlyDictionary<string, object> Resolved => new Dictionary<string, object>
    {
        ["epochs"] = Plan.Epochs,
        ["batch_size"] = Plan.ItemsPerStep,
        ["steps_per_epoch"] = Plan.StepsPerEpoch,
        ["total_steps"] = Plan.TotalSteps,
        ["learning_rate"] = Options.LearningRate,
        ["beta"] = Options.Dpo.Beta,
        ["loss"] = Options.Dpo.Loss.ToString().ToLowerInvariant(),
        ["sft_weight"] = Options.Dpo.SftWeight,
        ["train_pairs"] = _train.Count,
        ["valid_pairs"] = _valid.Count,
        ["epoch_rule"] = EpochRule.Description,
    };

    TrainerOptions ITrainingObjective.Options => Options;

    int ITrainingObjective.TrainCount => _train.Count;

    int ITrainingObjective.ValidCount => _valid.Count;

    long? ITrainingObjective.TrainTokens => _train.Sum(p => (long)p.Chosen.Length + p.Rejected.Length);

    int ITrainingObjective.MaxPositions => 2 * Options.MicroBatchPairs * _length;

    ObjectiveReport ITrainingObjective.Report => ReportInfo;

    /// <summary>
    /// Reference sums (chosen, rejected) of the training pairs: read from the run folder when present, else computed
    /// with the model as it is now (adapters off for LoRA) and stored, together with the validation pairs' sums.
    /// </summary>
    public (double Chosen, double Rejected)[] ReferenceLogProbs()
    {
        EnsureReference();
        return _refTrain!;
    }

    /// <summary>Trains (resuming from the newest checkpoint in the run folder); returns the per-step metrics.</summary>
    public IReadOnlyList<DpoMetrics> Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Train(progress, cancellationToken).History.Select(r => r.Train).ToList();

    /// <summary>
    /// Runs the remaining epochs (all for a fresh run; those after the newest checkpoint otherwise). Cancelling stops
    /// between steps; the epoch checkpoints written so far let a new trainer on the same folder resume.
    /// </summary>
    public DpoResult Train(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = TrainingLoop.Run(_model, this, _run, progress, cancellationToken);
        var history = o.History.Select(Row).ToList();
        return new DpoResult(o.Plan.Epochs, o.Plan.ItemsPerStep, o.Steps, o.LearningRate, history, [.. o.EpochHistory.Select(Epoch)],
            o.Findings, o.ResultsCsvPath, o.ChartPath, Sparkline.Render(history.Select(r => r.Train.Loss).ToArray(), 40), o.ResumedFromEpoch)
        { Best = o.Best, GoldenScores = o.GoldenScores };
    }

    void ITrainingObjective.Prepare(RunFolder run) => EnsureReference();

    int ITrainingObjective.Begin(TrainingPhase phase, ReadOnlySpan<int> items, long step, CancellationToken cancellationToken)
    {
        _phase = phase;
        (_set, _reference) = phase == TrainingPhase.Train ? (_train, _refTrain!) : (_valid, _refValid!);
        items.CopyTo(_items);
        _count = items.Length;
        _accumulated = default;
        return (_count + Options.MicroBatchPairs - 1) / Options.MicroBatchPairs;
    }

    TokenBatch ITrainingObjective.Layout(int index)
    {
        _from = index * Options.MicroBatchPairs;
        _chunk = Math.Min(Options.MicroBatchPairs, _count - _from);
        return Fill(_set, _items.AsSpan(_from, _chunk));
    }

    void ITrainingObjective.Score(TokenBatch batch, ReadOnlySpan<float> logProbs, ReadOnlySpan<bool> correct, Span<float> coefficients)
    {
        bool train = _phase == TrainingPhase.Train;
        var m = Objective(batch, logProbs, _items.AsSpan(_from, _chunk), _reference, train ? _count : 0);
        if (train)
        {
            for (int r = 0; r < batch.Rows; r++)
            {
                double k = r % 2 == 0 ? _dc[r / 2] : _dr[r / 2];
                for (int t = 0; t < batch.SequenceLength; t++)
                {
                    int at = (r * batch.SequenceLength) + t;
                    coefficients[at] = batch.Targets[at] == TokenBatch.IgnoreTarget ? 0f : (float)k;
                }
            }
        }
        _accumulated.Add(m);
    }

    IReadOnlyList<KeyValuePair<string, double>> ITrainingObjective.End()
    {
        var m = _accumulated.Mean();
        return _phase switch
        {
            TrainingPhase.Train => [.. m.Named(MetricNames.TrainLoss)],
            TrainingPhase.ValidBatch => [.. m.Named(MetricNames.ValidLoss, MetricNames.ValidPrefix)],
            _ => [.. m.Named(MetricNames.FullValidLoss, MetricNames.FullValidPrefix)],
        };
    }

    void ITrainingObjective.WriteChart(string path, IReadOnlyList<StepRecord> history, IReadOnlyList<EpochRecord> epochs) =>
        DpoReport.WriteChart(path, [.. history.Select(Row)], [.. epochs.Select(Epoch)]);

    IReadOnlyList<CurveFinding> ITrainingObjective.Diagnose(IReadOnlyList<StepRecord> history, IReadOnlyList<EpochRecord> epochs) =>
        CurveDiagnosis.Diagnose(DpoReport.AsMetricRows(history.Select(Row)), DpoReport.AsEpochMetrics(epochs.Select(Epoch)));

    private DpoStepRow Row(StepRecord r) => new(r.Step, r.Epoch, DpoMetrics.FromNamed(n => r[n], MetricNames.TrainLoss, "", r.Items),
        r.Metrics.ContainsKey(MetricNames.ValidLoss)
            ? DpoMetrics.FromNamed(n => r[n], MetricNames.ValidLoss, MetricNames.ValidPrefix, Math.Min(Plan.ItemsPerStep, _valid.Count))
            : null,
        r[MetricNames.LearningRate], r[MetricNames.GradNorm]);

    private DpoEpochRow Epoch(EpochRecord e) =>
        new(e.Epoch, e.Step, DpoMetrics.FromNamed(n => e[n], MetricNames.FullValidLoss, MetricNames.FullValidPrefix, _valid.Count));

    private static IEnumerable<ResultsColumn> Columns(string loss, string prefix) =>
        new DpoMetrics().Named(loss, prefix).Select(m => new ResultsColumn(m.Key, m.Key));

    /// <summary>Sums the rows' scored log-probs and runs the objective for the pairs of one micro-batch.</summary>
    private DpoMetrics Objective(TokenBatch batch, ReadOnlySpan<float> logProbs, ReadOnlySpan<int> chunk, (double Chosen, double Rejected)[] reference, int pairsInStep)
    {
        RowSums(batch, logProbs);
        for (int i = 0; i < chunk.Length; i++)
        {
            var (rc, rr) = reference[chunk[i]];
            _pairScratch[i] = new DpoPair(_sums[2 * i], _sums[(2 * i) + 1], rc, rr, ChosenTokens(batch, 2 * i));
        }
        return DpoObjective.Compute(_pairScratch.AsSpan(0, chunk.Length), Options.Dpo, _dc.AsSpan(0, chunk.Length), _dr.AsSpan(0, chunk.Length), pairsInStep);
    }

    private static int ChosenTokens(TokenBatch batch, int row)
    {
        int c = 0;
        for (int t = 0; t < batch.SequenceLength; t++) if (batch.Targets[(row * batch.SequenceLength) + t] != TokenBatch.IgnoreTarget) c++;
        return c;
    }

    private void RowSums(TokenBatch batch, ReadOnlySpan<float> logProbs)
    {
        for (int r = 0; r < batch.Rows; r++)
        {
            double s = 0;
            for (int t = 0; t < batch.SequenceLength; t++)
            {
                int at = (r * batch.SequenceLength) + t;
                if (batch.Targets[at] != TokenBatch.IgnoreTarget) s += logProbs[at];
            }
            _sums[r] = s;
        }
    }

    /// <summary>The sums of every pair of <paramref name="set"/> under the model as it is (adapters off unless <see cref="ReferenceUsesAdapters"/>), without dropout.</summary>
    private (double Chosen, double Rejected)[] ScoreReference(IReadOnlyList<PreferencePair> set, float[] logProbs, bool[] correct)
    {
        var sums = new (double Chosen, double Rejected)[set.Count];
        var all = Enumerable.Range(0, set.Count).ToArray();
        using (ModelMode.Evaluation(_model, adapters: ReferenceUsesAdapters))
        {
            for (int from = 0; from < all.Length; from += Options.MicroBatchPairs)
            {
                var chunk = all.AsSpan(from, Math.Min(Options.MicroBatchPairs, all.Length - from));
                var batch = Fill(set, chunk);
                int len = batch.Rows * batch.SequenceLength;
                _model.Forward(batch, logProbs.AsSpan(0, len), correct.AsSpan(0, len));
                RowSums(batch, logProbs.AsSpan(0, len));
                for (int i = 0; i < chunk.Length; i++) sums[from + i] = (_sums[2 * i], _sums[(2 * i) + 1]);
            }
        }
        return sums;
    }

    private void EnsureReference()
    {
        if (_refTrain is not null) return;
        var path = Path.Combine(_run.Path, ReferenceFile);
        var fingerprint = Fingerprint();
        if (File.Exists(path))
        {
            StoredReference? stored;
            try { stored = JsonSerializer.Deserialize<StoredReference>(File.ReadAllText(path)); }
            catch (JsonException e) { throw new TrainingException($"{path}: damaged reference log-probs ({e.Message}); delete the file to recompute them from the base model.", e); }
            if (stored is null || stored.Fingerprint != fingerprint || stored.Train.Length != _train.Count || stored.Valid.Length != _valid.Count)
                throw new TrainingException($"{path}: holds reference log-probs for other pairs (or another tokenization); delete it to recompute, or resume with the pair files the run started with.");
            _refTrain = stored.Train.Select(r => (r[0], r[1])).ToArray();
            _refValid = stored.Valid.Select(r => (r[0], r[1])).ToArray();
            return;
        }
        int positions = 2 * Options.MicroBatchPairs * _length;
        float[] logProbs = new float[positions];
        bool[] correct = new bool[positions];
        _refTrain = ScoreReference(_train, logProbs, correct);
        _refValid = ScoreReference(_valid, logProbs, correct);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new StoredReference(fingerprint,
            _refTrain.Select(s => new[] { s.Chosen, s.Rejected }).ToArray(), _refValid.Select(s => new[] { s.Chosen, s.Rejected }).ToArray())));
    }

    private string Fingerprint()
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var p in _train.Concat(_valid))
        {
            foreach (var e in new[] { p.Chosen, p.Rejected })
            {
                h.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.Ids.AsSpan()));
                h.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.Trained.AsSpan()));
                h.AppendData([0xff]);
            }
        }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    private TokenBatch Fill(IReadOnlyList<PreferencePair> set, ReadOnlySpan<int> pairIndices)
    {
        int longest = 0;
        foreach (int i in pairIndices) longest = Math.Max(longest, Math.Max(set[i].Chosen.Length, set[i].Rejected.Length));
        if (!_batches.TryGetValue((2 * pairIndices.Length, longest), out var batch))
        {
            batch = new TokenBatch(2 * pairIndices.Length, longest);
            _batches.Add((batch.Rows, longest), batch);
        }
        SftBatcher.Clear(batch, Options.PadId);
        for (int i = 0; i < pairIndices.Length; i++)
        {
            var p = set[pairIndices[i]];
            SftBatcher.Place(batch, 2 * i, 0, 0, p.Chosen, trainOnInputs: false);
            SftBatcher.Place(batch, (2 * i) + 1, 0, 0, p.Rejected, trainOnInputs: false);
        }
        return batch;
    }

    private void Check(IReadOnlyList<PreferencePair> set, string what)
    {
        for (int i = 0; i < set.Count; i++)
        {
            var p = set[i] ?? throw new TrainingException($"{what} {i + 1} is missing.");
            foreach (var (e, side) in new[] { (p.Chosen, "chosen"), (p.Rejected, "rejected") })
            {
                if (e.Length > _model.MaxSequenceLength) throw new TrainingException($"{what} {i + 1}: the {side} sequence has {e.Length} tokens, more than the model's {_model.MaxSequenceLength}; shorten it.");
                if (e.TargetCount(false) == 0) throw new TrainingException($"{what} {i + 1}: the {side} completion is empty; every pair needs two non-empty completions.");
                foreach (int id in e.Ids)
                {
                    if ((uint)id >= (uint)_model.VocabSize)
                        throw new TrainingException($"{what} {i + 1}: the {side} sequence holds token id {id}, outside the model's vocabulary of {_model.VocabSize}; it was tokenized for another model.");
                }
            }
        }
    }

    private sealed record StoredReference(string Fingerprint, double[][] Train, double[][] Valid);

    /// <summary>Pair-weighted means of micro-batch metrics.</summary>
    private struct Accumulator
    {
        private double _loss, _chosen, _rejected, _accuracy;
        private int _pairs;

        public void Add(DpoMetrics m)
        {
            _loss += m.Loss * m.Pairs;
            _chosen += m.RewardChosen * m.Pairs;
            _rejected += m.RewardRejected * m.Pairs;
            _accuracy += m.RewardAccuracy * m.Pairs;
            _pairs += m.Pairs;
        }

        public readonly DpoMetrics Mean() => _pairs == 0 ? default
            : new DpoMetrics(_loss / _pairs, _chosen / _pairs, _rejected / _pairs, (_chosen - _rejected) / _pairs, _accuracy / _pairs, _pairs);
    }
}
