using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Hone.Data.Cost;
using Hone.Models.Train;
using Hone.Store;
using Hone.Training.Analysis;
using Hone.Training.Batching;
using Hone.Training.Objectives;
using Hone.Training.Optim;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Dpo;

/// <summary>
/// DPO on the shared engine. Reference log-probabilities (Σ log p over each completion's scored tokens) are computed
/// once from the starting model — with LoRA, the base with the adapters switched off — and stored with the run
/// (<see cref="ReferenceFile"/>), so no second model is held. Each micro-batch lays every pair out as two rows (chosen,
/// rejected; the prompt is masked), one forward gives the policy sums, <see cref="DpoObjective"/> turns them into one
/// coefficient per row (divided by the step's pair count) and one backward accumulates the gradients: a single pass per
/// micro-batch. Metrics per step <c>train_loss</c>, <c>rewards/chosen|rejected|margins|accuracies</c>; every
/// <see cref="DpoOptions.EvalEvery"/> steps the same on a validation batch (<c>valid_</c>…) and at each epoch end on
/// the whole validation set (<c>full_valid_</c>…); the results CSV, epoch checkpoints (resume), chart and diagnosis.
/// </summary>
public sealed class DpoTrainer
{
    /// <summary>File in the run folder holding the reference sums.</summary>
    public const string ReferenceFile = "reference_logprobs.json";

    private readonly ITrainableModel _model;
    private readonly IReadOnlyList<PreferencePair> _train, _valid;
    private readonly RunFolder _run;
    private readonly AdamW _optimizer;
    private readonly TrainingRandom _random;
    private readonly LearningRateSchedule _schedule;
    private readonly string _optionsJson;
    private readonly int _length;
    private readonly float[] _lp, _coef;
    private readonly bool[] _ok;
    private readonly DpoPair[] _pairScratch;
    private readonly double[] _dc, _dr, _sums;
    private readonly int[] _order;
    private readonly Dictionary<(int Rows, int Length), TokenBatch> _batches = [];
    private (double Chosen, double Rejected)[]? _refTrain, _refValid;

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
        Options = options;
        _model = model;
        _train = pairs;
        _valid = valid ?? [];
        _run = run;
        Check(_train, "Pair");
        Check(_valid, "Validation pair");
        _length = _train.Concat(_valid).Max(p => Math.Max(p.Chosen.Length, p.Rejected.Length));
        Epochs = options.Epochs ?? EpochRule.AutoEpochs(pairs.Count);
        BatchSize = Math.Min(pairs.Count, options.BatchSize ?? Math.Clamp(pairs.Count / 16, 1, SftOptions.MaxAutoBatchSize));
        StepsPerEpoch = (pairs.Count + BatchSize - 1) / BatchSize;
        TotalSteps = (long)StepsPerEpoch * Epochs;
        _schedule = new LearningRateSchedule(options.LearningRate, (int)Math.Min(int.MaxValue, TotalSteps),
            (int)Math.Ceiling(options.WarmupRatio * TotalSteps), options.Decay);
        _optimizer = new AdamW(model.Parameters, new AdamWSettings(WeightDecay: options.WeightDecay));
        _random = new TrainingRandom(options.Seed);
        _optionsJson = options.ToJson();
        int micro = options.MicroBatchPairs, rows = 2 * micro;
        _lp = new float[rows * _length];
        _coef = new float[rows * _length];
        _ok = new bool[rows * _length];
        _pairScratch = new DpoPair[micro];
        _dc = new double[micro];
        _dr = new double[micro];
        _sums = new double[rows];
        _order = new int[pairs.Count];
    }

    /// <summary>The validated options.</summary>
    public DpoOptions Options { get; }

    /// <summary>
    /// Whether the reference log-probs are taken with the LoRA adapters as they are (true: the reference is the current
    /// model, e.g. the SFT stage's adapter) rather than switched off (false, default: the base model).
    /// </summary>
    public bool ReferenceUsesAdapters { get; init; }

    /// <summary>Epochs (auto resolved).</summary>
    public int Epochs { get; }

    /// <summary>Pairs per optimiser step (auto resolved).</summary>
    public int BatchSize { get; }

    /// <summary>Optimiser steps per epoch.</summary>
    public int StepsPerEpoch { get; }

    /// <summary>Optimiser steps in the run.</summary>
    public long TotalSteps { get; }

    /// <summary>The resolved values the run manifest records.</summary>
    public IReadOnlyDictionary<string, object> Resolved => new Dictionary<string, object>
    {
        ["epochs"] = Epochs,
        ["batch_size"] = BatchSize,
        ["steps_per_epoch"] = StepsPerEpoch,
        ["total_steps"] = TotalSteps,
        ["learning_rate"] = Options.LearningRate,
        ["beta"] = Options.Dpo.Beta,
        ["loss"] = Options.Dpo.Loss.ToString().ToLowerInvariant(),
        ["sft_weight"] = Options.Dpo.SftWeight,
        ["train_pairs"] = _train.Count,
        ["valid_pairs"] = _valid.Count,
        ["epoch_rule"] = EpochRule.Description,
    };

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
        EnsureReference(); // before any checkpoint is loaded: the reference is the starting model
        var history = new List<DpoStepRow>();
        var epochHistory = new List<DpoEpochRow>();
        int startEpoch = 0;
        long step = 0;
        var latest = Checkpoints.Latest(_run.CheckpointsPath);
        if (latest is not null)
        {
            var state = Checkpoints.Load(latest, _model.Parameters, _optimizer, Checkpoints.HashOptions(_optionsJson));
            _random.SetState(Checkpoints.RandomState(state));
            startEpoch = state.Epoch;
            step = state.Step;
            var saved = DpoReport.LoadHistory(latest);
            if (saved is { } s)
            {
                history.AddRange(s.History);
                epochHistory.AddRange(s.Epochs);
            }
            else
            {
                history.AddRange(state.History.Select(r => new DpoStepRow(r.Step, r.Epoch, new DpoMetrics(r.TrainLoss, double.NaN, double.NaN, double.NaN, r.TrainAccuracy, 0), null, double.NaN, double.NaN)));
            }
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
                var (m, tokens, norm) = Step(_order.AsSpan(from, count));
                step++;
                stepsThisCall++;
                tokensSeen += tokens;
                double lr = _schedule.RateAt(step);
                _optimizer.Step(lr);
                DpoMetrics? v = null;
                if (Options.EvalEvery > 0 && _valid.Count > 0 && step % Options.EvalEvery == 0) v = ValidBatch(step / Options.EvalEvery - 1);
                history.Add(new DpoStepRow(step, epoch + 1, m, v, lr, norm));
                var metrics = m.Named(MetricNames.TrainLoss).ToList();
                metrics.Add(new(MetricNames.LearningRate, lr));
                metrics.Add(new(MetricNames.GradNorm, norm));
                if (v is DpoMetrics vm) metrics.AddRange(vm.Named(MetricNames.ValidLoss, "valid_"));
                _run.LogMetrics(step, metrics);
                DpoReport.WriteCsv(_run.Path, history);
                double secs = clock.Elapsed.TotalSeconds;
                var eta = TimeSpan.FromSeconds(secs / stepsThisCall * (TotalSteps - step));
                progress?.Report(new TrainingProgress("train", epoch + 1, Epochs, step, TotalSteps, m.Loss, m.RewardAccuracy, secs > 0 ? tokensSeen / secs : 0, eta) { AccuracyName = "reward acc" });
            }

            if (_valid.Count > 0)
            {
                var full = Evaluate(_valid, _refValid!, AllIndices(_valid.Count));
                epochHistory.Add(new DpoEpochRow(epoch + 1, step, full));
                _run.LogMetrics(step, full.Named(MetricNames.FullValidLoss, "full_valid_"));
            }
            var folder = Checkpoints.Save(_run.CheckpointsPath, _model.Parameters, _optimizer, new CheckpointState
            {
                Epoch = epoch + 1,
                Step = step,
                Random = Checkpoints.EncodeRandom(_random.GetState()),
                OptionsSha256 = Checkpoints.HashOptions(_optionsJson),
                History = DpoReport.AsMetricRows(history),
                EpochHistory = DpoReport.AsEpochMetrics(epochHistory),
            }, Options.KeepCheckpoints);
            DpoReport.SaveHistory(folder, history, epochHistory);
            var last = history[^1].Train;
            progress?.Report(new TrainingProgress("checkpoint", epoch + 1, Epochs, step, TotalSteps, last.Loss, last.RewardAccuracy, 0, TimeSpan.Zero) { AccuracyName = "reward acc" });
        }

        var csv = DpoReport.WriteCsv(_run.Path, history);
        _run.AddArtifact("results.csv", csv);
        var chart = Path.Combine(_run.Path, "chart.svg");
        DpoReport.WriteChart(chart, history, epochHistory);
        _run.AddArtifact("chart.svg", chart);
        var findings = CurveDiagnosis.Diagnose(DpoReport.AsMetricRows(history), DpoReport.AsEpochMetrics(epochHistory));
        var spark = Sparkline.Render(history.Select(r => r.Train.Loss).ToArray(), 40);
        if (history.Count > 0)
            progress?.Report(new TrainingProgress("done", Epochs, Epochs, step, TotalSteps, history[^1].Train.Loss, history[^1].Train.RewardAccuracy, 0, TimeSpan.Zero) { AccuracyName = "reward acc" });
        return new DpoResult(Epochs, BatchSize, step, Options.LearningRate, history, epochHistory, findings, csv, chart, spark, startEpoch);
    }

    private (DpoMetrics Metrics, long Tokens, double GradNorm) Step(ReadOnlySpan<int> pairs)
    {
        _model.ZeroGrad();
        var acc = new Accumulator();
        long tokens = 0;
        int n = pairs.Length;
        for (int from = 0; from < n; from += Options.MicroBatchPairs)
        {
            var chunk = pairs.Slice(from, Math.Min(Options.MicroBatchPairs, n - from));
            var batch = Fill(_train, chunk);
            int len = batch.Rows * batch.SequenceLength;
            _model.Forward(batch, _lp.AsSpan(0, len), _ok.AsSpan(0, len));
            var m = Objective(batch, chunk, _refTrain!, n);
            for (int r = 0; r < batch.Rows; r++)
            {
                double k = r % 2 == 0 ? _dc[r / 2] : _dr[r / 2];
                for (int t = 0; t < batch.SequenceLength; t++)
                {
                    int at = (r * batch.SequenceLength) + t;
                    _coef[at] = batch.Targets[at] == TokenBatch.IgnoreTarget ? 0f : (float)k;
                    if (batch.SegmentIds[at] >= 0) tokens++;
                }
            }
            _model.Backward(_coef.AsSpan(0, len));
            acc.Add(m);
        }
        double norm = GradientClipping.ClipByGlobalNorm(_model.Parameters, Options.MaxGradNorm);
        return (acc.Mean(), tokens, norm);
    }

    /// <summary>Sums the rows' scored log-probs and runs the objective for the pairs of one micro-batch.</summary>
    private DpoMetrics Objective(TokenBatch batch, ReadOnlySpan<int> chunk, (double Chosen, double Rejected)[] reference, int pairsInStep)
    {
        RowSums(batch);
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

    private void RowSums(TokenBatch batch)
    {
        for (int r = 0; r < batch.Rows; r++)
        {
            double s = 0;
            for (int t = 0; t < batch.SequenceLength; t++)
            {
                int at = (r * batch.SequenceLength) + t;
                if (batch.Targets[at] != TokenBatch.IgnoreTarget) s += _lp[at];
            }
            _sums[r] = s;
        }
    }

    private DpoMetrics ValidBatch(long evalIndex)
    {
        int n = Math.Min(BatchSize, _valid.Count);
        var idx = new int[n];
        long start = evalIndex * n % _valid.Count;
        for (int i = 0; i < n; i++) idx[i] = (int)((start + i) % _valid.Count);
        return Evaluate(_valid, _refValid!, idx);
    }

    /// <summary>Loss and rewards of <paramref name="indices"/> under the current policy (no gradients kept).</summary>
    private DpoMetrics Evaluate(IReadOnlyList<PreferencePair> set, (double Chosen, double Rejected)[] reference, int[] indices)
    {
        var acc = new Accumulator();
        using (EvalMode(adapters: true))
        {
            for (int from = 0; from < indices.Length; from += Options.MicroBatchPairs)
            {
                var chunk = indices.AsSpan(from, Math.Min(Options.MicroBatchPairs, indices.Length - from));
                var batch = Fill(set, chunk);
                int len = batch.Rows * batch.SequenceLength;
                _model.Forward(batch, _lp.AsSpan(0, len), _ok.AsSpan(0, len));
                acc.Add(Objective(batch, chunk, reference, 0));
            }
        }
        return acc.Mean();
    }

    private (double Chosen, double Rejected)[] Score(IReadOnlyList<PreferencePair> set)
    {
        var sums = new (double Chosen, double Rejected)[set.Count];
        var all = AllIndices(set.Count);
        using (EvalMode(adapters: ReferenceUsesAdapters))
        {
            for (int from = 0; from < all.Length; from += Options.MicroBatchPairs)
            {
                var chunk = all.AsSpan(from, Math.Min(Options.MicroBatchPairs, all.Length - from));
                var batch = Fill(set, chunk);
                int len = batch.Rows * batch.SequenceLength;
                _model.Forward(batch, _lp.AsSpan(0, len), _ok.AsSpan(0, len));
                RowSums(batch);
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
        _refTrain = Score(_train);
        _refValid = Score(_valid);
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

    /// <summary>Switches LoRA dropout off (and, for the reference, the adapters) while scoring; restores on dispose.</summary>
    private EngineMode EvalMode(bool adapters) => new(_model as LlamaTrainer, adapters);

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

    private static int[] AllIndices(int n)
    {
        var a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
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

    private readonly struct EngineMode : IDisposable
    {
        private readonly LlamaTrainer? _engine;
        private readonly bool _adapters, _dropout;

        public EngineMode(LlamaTrainer? engine, bool adapters)
        {
            _engine = engine;
            if (engine is null) return;
            _adapters = engine.AdaptersEnabled;
            _dropout = engine.DropoutEnabled;
            engine.DropoutEnabled = false;
            if (!adapters) engine.AdaptersEnabled = false;
        }

        public void Dispose()
        {
            if (_engine is null) return;
            _engine.AdaptersEnabled = _adapters;
            _engine.DropoutEnabled = _dropout;
        }
    }
}
