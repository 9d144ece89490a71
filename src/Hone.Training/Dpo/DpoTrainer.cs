using System.Text.Json;
using Hone.Models.Train;
using Hone.Store;
using Hone.Training.Batching;
using Hone.Training.Objectives;
using Hone.Training.Optim;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Dpo;

/// <summary>One preference pair as token sequences: the same prompt (untrained) followed by each completion (trained).</summary>
public sealed record PreferencePair(TokenizedExample Chosen, TokenizedExample Rejected);

/// <summary>Options of a DPO run (validated once).</summary>
public sealed record DpoOptions
{
    /// <summary>LoRA or full: picks the base learning rate (<see cref="SftOptions.LoraBaseLearningRate"/> or <see cref="SftOptions.FullBaseLearningRate"/>).</summary>
    public TrainingMethod Method { get; init; } = TrainingMethod.Lora;

    /// <summary>Epochs.</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Pairs per optimiser step.</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Pairs per forward pass (two rows each).</summary>
    public int MicroBatchPairs { get; init; } = 2;

    /// <summary>Multiplies the method's base learning rate.</summary>
    public double LearningRateMultiplier { get; init; } = 1.0;

    /// <summary>β, loss variant and SFT weight.</summary>
    public DpoSettings Dpo { get; init; } = new();

    /// <summary>Gradient clipping by global norm; 0 = off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Shuffle seed.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Peak learning rate.</summary>
    public double LearningRate => (Method == TrainingMethod.Lora ? SftOptions.LoraBaseLearningRate : SftOptions.FullBaseLearningRate) * LearningRateMultiplier;

    /// <summary>Throws <see cref="TrainingException"/> naming the first bad option.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new TrainingException($"DPO option --epochs = {Epochs} is invalid: use a whole number ≥ 1.");
        if (BatchSize < 1) throw new TrainingException($"DPO option --batch-size = {BatchSize} is invalid: use a whole number ≥ 1.");
        if (MicroBatchPairs < 1) throw new TrainingException($"DPO option --micro-batch-pairs = {MicroBatchPairs} is invalid: use a whole number ≥ 1.");
        if (!(LearningRateMultiplier > 0) || double.IsInfinity(LearningRateMultiplier)) throw new TrainingException($"DPO option --lr-multiplier = {LearningRateMultiplier} is invalid: use a positive number.");
        if (!(MaxGradNorm >= 0)) throw new TrainingException($"DPO option --max-grad-norm = {MaxGradNorm} is invalid: use a number ≥ 0.");
        ArgumentNullException.ThrowIfNull(Dpo);
        Dpo.Validate();
    }
}

/// <summary>
/// DPO on the shared engine: reference log-probabilities (Σ log p over each completion's scored tokens) are computed
/// once from the starting model and stored with the run (<c>reference_logprobs.json</c>), so no second model is held;
/// each step scores the chosen and rejected rows, <see cref="DpoObjective"/> turns the sums into per-row coefficients,
/// and the shared backward and AdamW do the rest. Metrics per step: <c>train_loss</c>, <c>rewards/chosen</c>,
/// <c>rewards/rejected</c>, <c>rewards/margins</c>, <c>rewards/accuracies</c>.
/// </summary>
public sealed class DpoTrainer
{
    /// <summary>File in the run folder holding the reference sums.</summary>
    public const string ReferenceFile = "reference_logprobs.json";

    private readonly ITrainableModel _model;
    private readonly IReadOnlyList<PreferencePair> _pairs;
    private readonly RunFolder _run;
    private readonly AdamW _optimizer;
    private readonly TrainingRandom _random;
    private readonly int _length;
    private readonly float[] _lp, _coef;
    private readonly bool[] _ok;

    /// <summary>Validates and prepares the run.</summary>
    public DpoTrainer(ITrainableModel model, DpoOptions options, IReadOnlyList<PreferencePair> pairs, RunFolder run)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(run);
        options.Validate();
        if (pairs.Count == 0) throw new TrainingException("The preference set is empty; give a file with at least one pair.");
        for (int i = 0; i < pairs.Count; i++)
        {
            foreach (var (e, side) in new[] { (pairs[i].Chosen, "chosen"), (pairs[i].Rejected, "rejected") })
            {
                if (e.Length > model.MaxSequenceLength) throw new TrainingException($"Pair {i + 1}: the {side} sequence has {e.Length} tokens, more than the model's {model.MaxSequenceLength}; shorten it.");
                if (e.TargetCount(false) == 0) throw new TrainingException($"Pair {i + 1}: the {side} completion is empty; every pair needs two non-empty completions.");
            }
        }
        Options = options;
        _model = model;
        _pairs = pairs;
        _run = run;
        _length = pairs.Max(p => Math.Max(p.Chosen.Length, p.Rejected.Length));
        int rows = 2 * options.MicroBatchPairs;
        _lp = new float[rows * _length];
        _coef = new float[rows * _length];
        _ok = new bool[rows * _length];
        _optimizer = new AdamW(model.Parameters, new AdamWSettings());
        _random = new TrainingRandom(options.Seed);
    }

    /// <summary>The validated options.</summary>
    public DpoOptions Options { get; }

    /// <summary>Reference sums (chosen, rejected) per pair: loaded from the run folder when present, else computed and stored.</summary>
    public (double Chosen, double Rejected)[] ReferenceLogProbs()
    {
        var path = Path.Combine(_run.Path, ReferenceFile);
        if (File.Exists(path))
        {
            var stored = JsonSerializer.Deserialize<double[][]>(File.ReadAllText(path));
            if (stored is null || stored.Length != _pairs.Count || stored.Any(r => r is null || r.Length != 2))
                throw new TrainingException($"{path}: holds reference log-probs for another pair set; delete it to recompute.");
            return stored.Select(r => (r[0], r[1])).ToArray();
        }
        var sums = Score(Enumerable.Range(0, _pairs.Count).ToArray());
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(sums.Select(s => new[] { s.Chosen, s.Rejected }).ToArray()));
        return sums;
    }

    /// <summary>Trains; returns the per-step metrics (named as the issue fixes them).</summary>
    public IReadOnlyList<DpoMetrics> Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var reference = ReferenceLogProbs();
        int stepsPerEpoch = (_pairs.Count + Options.BatchSize - 1) / Options.BatchSize;
        long total = (long)stepsPerEpoch * Options.Epochs, step = 0;
        var schedule = new LearningRateSchedule(Options.LearningRate, (int)total, 0, DecayKind.Cosine);
        var order = Enumerable.Range(0, _pairs.Count).ToArray();
        var history = new List<DpoMetrics>();
        for (int epoch = 0; epoch < Options.Epochs; epoch++)
        {
            _random.Shuffle(order);
            for (int s = 0; s < stepsPerEpoch; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int from = s * Options.BatchSize, count = Math.Min(Options.BatchSize, order.Length - from);
                var m = Step(order.AsSpan(from, count), reference);
                step++;
                double lr = schedule.RateAt(step);
                _optimizer.Step(lr);
                history.Add(m);
                _run.LogMetrics(step, [.. m.Named(MetricNames.TrainLoss), new(MetricNames.LearningRate, lr)]);
                progress?.Report(new TrainingProgress("train", epoch + 1, Options.Epochs, step, total, m.Loss, m.RewardAccuracy, 0, TimeSpan.Zero));
            }
        }
        return history;
    }

    private DpoMetrics Step(ReadOnlySpan<int> pairs, (double Chosen, double Rejected)[] reference)
    {
        _model.ZeroGrad();
        int n = pairs.Length;
        var inputs = new DpoPair[n];
        var dc = new double[n];
        var dr = new double[n];
        var sums = Score(pairs.ToArray());
        for (int i = 0; i < n; i++)
        {
            var p = _pairs[pairs[i]];
            inputs[i] = new DpoPair(sums[i].Chosen, sums[i].Rejected, reference[pairs[i]].Chosen, reference[pairs[i]].Rejected, p.Chosen.TargetCount(false));
        }
        var metrics = DpoObjective.Compute(inputs, Options.Dpo, dc, dr);
        // Second pass with gradients: the forward is repeated per micro-batch so the backward sees its own activations.
        var idx = pairs.ToArray();
        for (int from = 0; from < n; from += Options.MicroBatchPairs)
        {
            int c = Math.Min(Options.MicroBatchPairs, n - from);
            var batch = Fill(idx.AsSpan(from, c));
            int len = batch.Rows * batch.SequenceLength;
            _model.Forward(batch, _lp.AsSpan(0, len), _ok.AsSpan(0, len));
            for (int r = 0; r < batch.Rows; r++)
            {
                double k = r % 2 == 0 ? dc[from + (r / 2)] : dr[from + (r / 2)];
                for (int t = 0; t < batch.SequenceLength; t++)
                {
                    int at = (r * batch.SequenceLength) + t;
                    _coef[at] = batch.Targets[at] == TokenBatch.IgnoreTarget ? 0f : (float)k;
                }
            }
            _model.Backward(_coef.AsSpan(0, len));
        }
        GradientClipping.ClipByGlobalNorm(_model.Parameters, Options.MaxGradNorm);
        return metrics;
    }

    private (double Chosen, double Rejected)[] Score(int[] pairIndices)
    {
        var sums = new (double Chosen, double Rejected)[pairIndices.Length];
        for (int from = 0; from < pairIndices.Length; from += Options.MicroBatchPairs)
        {
            int c = Math.Min(Options.MicroBatchPairs, pairIndices.Length - from);
            var batch = Fill(pairIndices.AsSpan(from, c));
            int len = batch.Rows * batch.SequenceLength;
            _model.Forward(batch, _lp.AsSpan(0, len), _ok.AsSpan(0, len));
            for (int r = 0; r < batch.Rows; r++)
            {
                double s = 0;
                for (int t = 0; t < batch.SequenceLength; t++)
                {
                    int at = (r * batch.SequenceLength) + t;
                    if (batch.Targets[at] != TokenBatch.IgnoreTarget) s += _lp[at];
                }
                if (r % 2 == 0) sums[from + (r / 2)].Chosen = s;
                else sums[from + (r / 2)].Rejected = s;
            }
        }
        return sums;
    }

    private TokenBatch Fill(ReadOnlySpan<int> pairIndices)
    {
        var batch = new TokenBatch(2 * pairIndices.Length, _length);
        SftBatcher.Clear(batch);
        for (int i = 0; i < pairIndices.Length; i++)
        {
            var p = _pairs[pairIndices[i]];
            SftBatcher.Place(batch, 2 * i, 0, 0, p.Chosen, trainOnInputs: false);
            SftBatcher.Place(batch, (2 * i) + 1, 0, 0, p.Rejected, trainOnInputs: false);
        }
        return batch;
    }
}
