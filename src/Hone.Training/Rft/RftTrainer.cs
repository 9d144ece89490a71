using Hone.Data.Cost;
using Hone.Models;
using Hone.Models.Generation;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Training.Analysis;
using Hone.Training.Batching;
using Hone.Training.Dpo;
using Hone.Training.Loop;
using Hone.Training.Objectives;
using Hone.Training.Runs;

namespace Hone.Training.Rft;

/// <summary>
/// Reinforcement fine-tuning by group-relative policy optimisation, as an objective of the shared
/// <see cref="TrainingLoop"/>. A step's pass begins with the rollouts: for each of its prompts, G outputs sampled from the
/// current policy (<see cref="ITrainableModel.OpenSamplingSession"/>: with LoRA a merged copy made once per step, with full
/// fine-tuning the trained weights themselves), scored by the <see cref="IRewardFunction"/>, the rewards normalised within
/// each group. The sampled sequences are then the micro-batches of one clipped-ratio update with a k3 KL penalty to the
/// reference (LoRA: the base, adapters off; full: a separate reference model). With one update per rollout the old policy
/// equals the current one, so the ratio is 1 at the update. Validation decodes greedily and reports the mean reward;
/// the best <see cref="TrainerOptions.KeepCheckpoints"/> checkpoints by <c>full_valid_mean_reward</c> are kept, plus
/// the newest for resume.
/// </summary>
public sealed class RftTrainer : ITrainingObjective
{
    /// <summary>The RFT results CSV: step, epoch, the GRPO loss, the mean reward, KL, zero-variance share, completion length and the validation batch's mean reward.</summary>
    public static readonly ResultsTable Results = new(EpochColumn: true,
    [
        new("train_loss", MetricNames.TrainLoss), new("train_reward_mean", MetricNames.TrainRewardMean), new("kl", MetricNames.Kl),
        new("zero_variance_group_share", MetricNames.ZeroVarianceGroupShare), new("mean_completion_tokens", MetricNames.MeanCompletionTokens),
        new("valid_reward_mean", MetricNames.ValidRewardMean),
    ]);

    private static readonly ObjectiveReport ReportInfo = new("rft", Results, MetricNames.TrainLoss, MetricNames.TrainRewardMean, "reward",
        EvaluateWithoutDropout: false, KeepBestBy: MetricNames.FullValidMeanReward);

    private readonly ITrainableModel _engine;
    private readonly ITrainableModel? _reference;
    private readonly IReadOnlyList<RftPrompt> _train, _valid;
    private readonly IRewardFunction _reward;
    private readonly RunFolder _run;
    private readonly Func<int[], string> _decode;
    private readonly IReadOnlyList<string> _stopStrings;
    private readonly WorkerPool? _pool;
    private readonly int _length;
    private readonly float[] _old, _ref;
    private readonly bool[] _refCorrect;
    private readonly int[] _seqOf, _counts;
    private readonly Dictionary<(int, int), TokenBatch> _batches = [];
    private readonly List<DataFinding> _findings = [];

    // The pass under way.
    private TrainingPhase _phase;
    private List<TokenizedExample> _sequences = [];
    private double[] _advantages = [];
    private GroupAdvantages _groups;
    private Dictionary<string, double> _components = [];
    private int _componentCount, _from, _rows, _positions;
    private long _completionTokens;
    private double _loss, _kl, _meanReward, _meanParseError;

    /// <summary>Validates everything once and prepares the run.</summary>
    /// <param name="engine">The policy (full or LoRA).</param>
    /// <param name="options">Options.</param>
    /// <param name="train">Training prompts.</param>
    /// <param name="valid">Validation prompts (may be empty).</param>
    /// <param name="reward">The reward (graders adapted by the caller).</param>
    /// <param name="run">The run folder.</param>
    /// <param name="decode">Token ids → text (the tokenizer's decoder).</param>
    /// <param name="stopStrings">End-of-turn strings that end a sample (besides EOS).</param>
    /// <param name="reference">Reference model for the KL term of a full fine-tuning run (unused with LoRA).</param>
    /// <param name="pool">Workers for sampling.</param>
    public RftTrainer(ITrainableModel engine, RftOptions options, IReadOnlyList<RftPrompt> train, IReadOnlyList<RftPrompt>? valid,
        IRewardFunction reward, RunFolder run, Func<int[], string> decode, IReadOnlyList<string>? stopStrings = null,
        ITrainableModel? reference = null, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(reward);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(decode);
        options.Validate();
        if (train.Count == 0) throw new TrainingException("The training set is empty; give a file with at least one prompt.");
        if (!engine.HasAdapters && options.Grpo.KlBeta > 0 && reference is null)
            throw new TrainingException("RFT with full fine-tuning and a KL penalty needs a reference engine; pass one (or --kl 0).");
        Options = options;
        _engine = engine;
        _reference = engine.HasAdapters ? null : reference;
        _train = train;
        _valid = valid ?? [];
        _reward = reward;
        _run = run;
        _decode = decode;
        _stopStrings = stopStrings ?? [];
        _pool = pool;
        int longestPrompt = _train.Concat(_valid).Max(p => p.PromptIds.Length);
        _length = longestPrompt + options.MaxTokens + 1;
        if (_length > engine.MaxSequenceLength)
            throw new TrainingException($"A prompt of {longestPrompt} tokens plus --max-tokens {options.MaxTokens} exceeds the engine's {engine.MaxSequenceLength} positions; shorten the prompt or lower --max-tokens.");
        Plan = TrainingPlan.For(options, train.Count, options.PromptsPerStep);
        int n = options.MicroBatchSize * _length;
        _old = new float[n];
        _ref = new float[n];
        _refCorrect = new bool[n];
        _seqOf = new int[n];
        _counts = new int[options.MicroBatchSize];
    }

    /// <summary>The validated options.</summary>
    public RftOptions Options { get; }

    /// <inheritdoc />
    public TrainingPlan Plan { get; }

    /// <summary>Epochs (auto resolved).</summary>
    public int Epochs => Plan.Epochs;

    /// <summary>Steps per epoch.</summary>
    public int StepsPerEpoch => Plan.StepsPerEpoch;

    /// <summary>Steps in the run.</summary>
    public long TotalSteps => Plan.TotalSteps;

    /// <summary>Row length the engine must hold: the longest prompt + max tokens + 1.</summary>
    public static int RowLength(IEnumerable<RftPrompt> prompts, int maxTokens) => prompts.Max(p => p.PromptIds.Length) + maxTokens + 1;

    /// <summary>The resolved values the run manifest records.</summary>
    public IReadOnlyDictionary<string, object> Resolved => new Dictionary<string, object>
    {
        ["epochs"] = Epochs,
        ["steps_per_epoch"] = StepsPerEpoch,
        ["total_steps"] = TotalSteps,
        ["learning_rate"] = Options.LearningRate,
        ["samples_per_prompt"] = Options.SamplesPerPrompt,
        ["kl"] = Options.Grpo.KlBeta,
        ["train_prompts"] = _train.Count,
        ["valid_prompts"] = _valid.Count,
        ["sampling_model"] = _engine.HasAdapters ? "merged copy of base + adapter, once per step" : "the engine's weights (updated in place)",
    };

    TrainerOptions ITrainingObjective.Options => Options;

    int ITrainingObjective.TrainCount => _train.Count;

    int ITrainingObjective.ValidCount => _valid.Count;

    long? ITrainingObjective.TrainTokens => null;

    int ITrainingObjective.MaxPositions => Options.MicroBatchSize * _length;

    ObjectiveReport ITrainingObjective.Report => ReportInfo;

    /// <summary>Runs the remaining epochs (resuming from the newest checkpoint in the run folder).</summary>
    public RftResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = TrainingLoop.Run(_engine, this, _run, progress, cancellationToken);
        return new RftResult(o.Plan.Epochs, o.Steps, o.LearningRate, [.. o.History.Select(Row)], [.. o.EpochHistory.Select(Epoch)], [.. _findings],
            o.ResultsCsvPath, o.KeptCheckpoints, o.ResumedFromEpoch)
        {
            ChartPath = o.ChartPath,
            Diagnosis = o.Findings,
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
        var prompts = items.ToArray().Select(i => phase == TrainingPhase.Train ? _train[i] : _valid[i]).ToList();
        if (phase != TrainingPhase.Train)
        {
            Evaluate(prompts, cancellationToken);
            return 0;
        }

        var rewards = Rollouts(step, prompts, cancellationToken);
        _advantages = new double[rewards.Count];
        _groups = GrpoObjective.Advantages(rewards.ToArray(), Options.SamplesPerPrompt, _advantages, Options.Grpo.AdvantageEpsilon);
        (_loss, _kl) = (0, 0);
        return (_sequences.Count + Options.MicroBatchSize - 1) / Options.MicroBatchSize;
    }

    TokenBatch ITrainingObjective.Layout(int index)
    {
        _from = index * Options.MicroBatchSize;
        _rows = Math.Min(Options.MicroBatchSize, _sequences.Count - _from);
        var idx = Enumerable.Range(_from, _rows).ToArray();
        int longest = idx.Max(i => _sequences[i].Length);
        var batch = BatchOf(_rows, longest);
        SftBatcher.Pad(batch, _sequences, idx, trainOnInputs: false);
        _positions = _rows * longest;
        for (int t = 0; t < _positions; t++) _seqOf[t] = batch.Targets[t] == TokenBatch.IgnoreTarget ? -1 : t / longest;
        // The reference first: the backward needs the policy's forward to be the model's last one.
        if (Options.Grpo.KlBeta > 0)
        {
            var lp = _ref.AsSpan(0, _positions);
            var ok = _refCorrect.AsSpan(0, _positions);
            if (_reference is not null) _reference.Forward(batch, lp, ok);
            else
            {
                using (ModelMode.Base(_engine)) _engine.Forward(batch, lp, ok);
            }
        }
        return batch;
    }

    void ITrainingObjective.Score(TokenBatch batch, ReadOnlySpan<float> logProbs, ReadOnlySpan<bool> correct, Span<float> coefficients)
    {
        int n = _positions, total = _sequences.Count;
        if (Options.Grpo.KlBeta <= 0) logProbs.CopyTo(_ref);
        logProbs.CopyTo(_old); // one update per rollout: π_old = π at the update
        var r = GrpoObjective.Compute(logProbs, _old.AsSpan(0, n), _ref.AsSpan(0, n), _seqOf.AsSpan(0, n), _advantages.AsSpan(_from, _rows),
            Options.Grpo, coefficients, _counts.AsSpan(0, _rows), total);
        _loss += r.Loss * _rows / total;
        _kl += r.MeanKl * _rows / total;
    }

    IReadOnlyList<KeyValuePair<string, double>> ITrainingObjective.End()
    {
        switch (_phase)
        {
            case TrainingPhase.Train:
                var m = new List<KeyValuePair<string, double>>
                {
                    new(MetricNames.TrainLoss, _loss), new(MetricNames.TrainRewardMean, _groups.MeanReward), new(MetricNames.Kl, _kl),
                    new(MetricNames.ZeroVarianceGroupShare, _groups.ZeroVarianceShare),
                    new(MetricNames.MeanCompletionTokens, _componentCount == 0 ? 0 : (double)_completionTokens / _componentCount),
                };
                m.AddRange(_components.Select(c => KeyValuePair.Create(MetricNames.TrainRewardPrefix + c.Key, _componentCount == 0 ? 0 : c.Value / _componentCount)));
                return m;
            case TrainingPhase.ValidBatch:
                return [new(MetricNames.ValidRewardMean, _meanReward)];
            default:
                var full = new List<KeyValuePair<string, double>> { new(MetricNames.FullValidMeanReward, _meanReward), new(MetricNames.FullValidMeanParseError, _meanParseError) };
                full.AddRange(_components.Select(c => KeyValuePair.Create(MetricNames.FullValidRewardPrefix + c.Key, c.Value)));
                return full;
        }
    }

    void ITrainingObjective.WriteChart(string path, IReadOnlyList<StepRecord> history, IReadOnlyList<EpochRecord> epochs) =>
        RftCurves.WriteChart(path, [.. history.Select(Row)], [.. epochs.Select(Epoch)]);

    IReadOnlyList<CurveFinding> ITrainingObjective.Diagnose(IReadOnlyList<StepRecord> history, IReadOnlyList<EpochRecord> epochs) =>
        RftCurves.Diagnose([.. history.Select(Row)], [.. epochs.Select(Epoch)]);

    private static RftStepRow Row(StepRecord r) => new(r.Step, r.Epoch, r[MetricNames.TrainLoss], r[MetricNames.TrainRewardMean],
        Components(r.Metrics, MetricNames.TrainRewardPrefix), r[MetricNames.Kl], r[MetricNames.ZeroVarianceGroupShare], r[MetricNames.MeanCompletionTokens],
        r.Get(MetricNames.ValidRewardMean));

    private static RftEpochRow Epoch(EpochRecord e) => new(e.Epoch, e.Step, e[MetricNames.FullValidMeanReward], e[MetricNames.FullValidMeanParseError],
        Components(e.Metrics, MetricNames.FullValidRewardPrefix));

    private static Dictionary<string, double> Components(IReadOnlyDictionary<string, double> metrics, string prefix) =>
        metrics.Where(m => m.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(m => m.Key[prefix.Length..], m => m.Value);

    /// <summary>Samples G outputs of each prompt and scores them; fills the pass's sequences and returns their rewards (a failed group is left out).</summary>
    private List<double> Rollouts(long step, List<RftPrompt> prompts, CancellationToken ct)
    {
        int g = Options.SamplesPerPrompt;
        var rewards = new List<double>();
        _sequences = [];
        _components = [];
        (_componentCount, _completionTokens) = (0, 0);
        var sampling = new SamplingOptions { Temperature = Options.Temperature };
        using var session = _engine.OpenSamplingSession(_length, _pool);
        for (int p = 0; p < prompts.Count; p++)
        {
            var group = new List<(TokenizedExample Example, double Reward)>(g);
            bool failed = false;
            for (int k = 0; k < g && !failed; k++)
            {
                ulong seed = unchecked((ulong)Options.Seed * 0x9E3779B97F4A7C15UL ^ ((ulong)step << 24) ^ ((ulong)p << 12) ^ (ulong)k);
                var (example, text, n) = Sample(session, prompts[p], sampling with { Seed = seed });
                var r = _reward.ScoreAsync(text, prompts[p].Item, ct).AsTask().GetAwaiter().GetResult();
                if (r.Error is not null)
                {
                    Fail(prompts[p], r.Error);
                    failed = true;
                    break;
                }
                _completionTokens += n;
                group.Add((example, r.Reward));
                foreach (var (name, v) in r.Components) _components[name] = _components.GetValueOrDefault(name) + v;
                _componentCount++;
            }
            if (failed) continue; // Skip policy: the group carries no usable signal
            _sequences.AddRange(group.Select(x => x.Example));
            rewards.AddRange(group.Select(x => x.Reward));
        }
        return rewards;
    }

    private void Fail(RftPrompt prompt, string message)
    {
        var finding = new DataFinding(prompt.Where, $"grader '{_reward.Name}' failed on a sample: {message}");
        _findings.Add(finding);
        if (Options.OnGraderError == GraderErrorPolicy.Stop)
            throw new TrainingException($"{finding} (--on-grader-error stop; use skip to drop such groups and go on).");
    }

    /// <summary>Greedy outputs of <paramref name="prompts"/>: their mean reward, parse-error share and per-grader means.</summary>
    private void Evaluate(List<RftPrompt> prompts, CancellationToken ct)
    {
        double sum = 0, parse = 0;
        var comps = new Dictionary<string, double>();
        using (var session = _engine.OpenSamplingSession(_length, _pool))
        {
            foreach (var p in prompts)
            {
                var (_, text, _) = Sample(session, p, SamplingOptions.Greedy);
                var r = _reward.ScoreAsync(text, p.Item, ct).AsTask().GetAwaiter().GetResult();
                if (r.Error is not null) Fail(p, r.Error);
                sum += r.Error is null ? r.Reward : 0;
                if (r.ParseError) parse++;
                foreach (var (name, v) in r.Components) comps[name] = comps.GetValueOrDefault(name) + v;
            }
        }
        int c = Math.Max(1, prompts.Count);
        (_meanReward, _meanParseError) = (sum / c, parse / c);
        _components = comps.ToDictionary(x => x.Key, x => x.Value / c);
    }

    private (TokenizedExample Example, string Text, int Tokens) Sample(IInferenceSession session, RftPrompt prompt, SamplingOptions sampling)
    {
        var generator = new Generator(session, _decode);
        var result = generator.Generate(prompt.PromptIds, new GenerationOptions
        {
            Sampling = sampling, MaxNewTokens = Options.MaxTokens, StopStrings = _stopStrings,
        });
        var completion = result.TokenIds.ToList();
        if (result.Reason == FinishReason.Stop && session.EosIds.Count > 0) completion.Add(session.EosIds[0]);
        var ids = prompt.PromptIds.Concat(completion).ToArray();
        var trained = ids.Select((_, i) => i >= prompt.PromptIds.Length).ToArray();
        return (new TokenizedExample(ids, trained), result.Text ?? _decode(result.TokenIds), result.TokenIds.Length);
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
}
