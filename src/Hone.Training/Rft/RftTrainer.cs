using System.Diagnostics;
using Hone.Data.Cost;
using Hone.Models.Generation;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Training.Batching;
using Hone.Training.Dpo;
using Hone.Training.Objectives;
using Hone.Training.Optim;
using Hone.Training.Runs;

namespace Hone.Training.Rft;

/// <summary>
/// Reinforcement fine-tuning by group-relative policy optimisation on the shared engine. Each step takes
/// <see cref="RftOptions.PromptsPerStep"/> prompts, samples G outputs of each from the current policy (an inference
/// session over the current weights: with full fine-tuning the engine's own weights, which it updates in place; with LoRA
/// a merged copy made once per step — one weight copy per step is small next to G × prompts × max-tokens decode steps,
/// and the inference path stays the plain, fast one), scores them with the <see cref="IRewardFunction"/>, normalises
/// the rewards within each group, and applies one clipped-ratio update with a k3 KL penalty to the reference (LoRA: the
/// base, adapters off; full: a separate reference engine). With one update per rollout the old policy equals the
/// current one, so the ratio is 1 at the update. Metrics, results CSV, epoch checkpoints (the best three by
/// <c>full_valid_mean_reward</c> kept, plus the newest for resume).
/// </summary>
public sealed class RftTrainer
{
    private readonly LlamaTrainer _engine;
    private readonly ITrainableModel? _reference;
    private readonly IReadOnlyList<RftPrompt> _train, _valid;
    private readonly IRewardFunction _reward;
    private readonly RunFolder _run;
    private readonly Func<int[], string> _decode;
    private readonly IReadOnlyList<string> _stopStrings;
    private readonly WorkerPool? _pool;
    private readonly AdamW _optimizer;
    private readonly TrainingRandom _random;
    private readonly string _optionsJson;
    private readonly int _length;
    private readonly float[] _lp, _old, _ref, _coef;
    private readonly bool[] _ok;
    private readonly int[] _seqOf, _counts, _order;
    private readonly Dictionary<(int, int), TokenBatch> _batches = [];
    private readonly List<DataFinding> _findings = [];

    /// <summary>Validates everything once and prepares the run.</summary>
    /// <param name="engine">The policy (full or LoRA).</param>
    /// <param name="options">Options.</param>
    /// <param name="train">Training prompts.</param>
    /// <param name="valid">Validation prompts (may be empty).</param>
    /// <param name="reward">The reward (graders adapted by the caller).</param>
    /// <param name="run">The run folder.</param>
    /// <param name="decode">Token ids → text (the tokenizer's decoder).</param>
    /// <param name="stopStrings">End-of-turn strings that end a sample (besides EOS).</param>
    /// <param name="reference">Reference engine for the KL term of a full fine-tuning run (unused with LoRA).</param>
    /// <param name="pool">Workers for sampling.</param>
    public RftTrainer(LlamaTrainer engine, RftOptions options, IReadOnlyList<RftPrompt> train, IReadOnlyList<RftPrompt>? valid,
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
        if (!engine.IsLora && options.Grpo.KlBeta > 0 && reference is null)
            throw new TrainingException("RFT with full fine-tuning and a KL penalty needs a reference engine; pass one (or --kl 0).");
        Options = options;
        _engine = engine;
        _reference = engine.IsLora ? null : reference;
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
        Epochs = options.Epochs ?? EpochRule.AutoEpochs(train.Count);
        StepsPerEpoch = (train.Count + options.PromptsPerStep - 1) / options.PromptsPerStep;
        TotalSteps = (long)StepsPerEpoch * Epochs;
        _optimizer = new AdamW(engine.Parameters, new AdamWSettings());
        _random = new TrainingRandom(options.Seed);
        _optionsJson = options.ToJson();
        int n = options.MicroBatchSize * _length;
        _lp = new float[n];
        _old = new float[n];
        _ref = new float[n];
        _coef = new float[n];
        _ok = new bool[n];
        _seqOf = new int[n];
        _counts = new int[options.MicroBatchSize];
        _order = new int[train.Count];
    }

    /// <summary>The validated options.</summary>
    public RftOptions Options { get; }

    /// <summary>Epochs (auto resolved).</summary>
    public int Epochs { get; }

    /// <summary>Steps per epoch.</summary>
    public int StepsPerEpoch { get; }

    /// <summary>Steps in the run.</summary>
    public long TotalSteps { get; }

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
        ["sampling_model"] = _engine.IsLora ? "merged copy of base + adapter, once per step" : "the engine's weights (updated in place)",
    };

    /// <summary>Runs the remaining epochs (resuming from the newest checkpoint in the run folder).</summary>
    public RftResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var history = new List<RftStepRow>();
        var epochs = new List<RftEpochRow>();
        int startEpoch = 0;
        long step = 0;
        var latest = Checkpoints.Latest(_run.CheckpointsPath);
        if (latest is not null)
        {
            var state = Checkpoints.Load(latest, _engine.Parameters, _optimizer, Checkpoints.HashOptions(_optionsJson));
            _random.SetState(Checkpoints.RandomState(state));
            startEpoch = state.Epoch;
            step = state.Step;
            if (RftReport.LoadHistory(latest) is { } saved)
            {
                history.AddRange(saved.History);
                epochs.AddRange(saved.Epochs);
            }
        }
        var clock = Stopwatch.StartNew();
        long tokens = 0, stepsThisCall = 0;
        for (int epoch = startEpoch; epoch < Epochs; epoch++)
        {
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
            _random.Shuffle(_order);
            for (int s = 0; s < StepsPerEpoch; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int from = s * Options.PromptsPerStep, count = Math.Min(Options.PromptsPerStep, _order.Length - from);
                step++;
                var prompts = _order.AsSpan(from, count).ToArray().Select(i => _train[i]).ToList();
                var row = Step(step, epoch + 1, prompts, cancellationToken, out long stepTokens);
                tokens += stepTokens;
                stepsThisCall++;
                double? valid = null;
                if (Options.EvalEvery > 0 && _valid.Count > 0 && step % Options.EvalEvery == 0)
                    valid = Evaluate(ValidBatch(step / Options.EvalEvery - 1), cancellationToken).MeanReward;
                row = row with { ValidRewardMean = valid };
                history.Add(row);
                var metrics = new List<KeyValuePair<string, double>>
                {
                    new(MetricNames.TrainLoss, row.Loss), new("train_reward_mean", row.RewardMean), new("kl", row.Kl),
                    new("zero_variance_group_share", row.ZeroVarianceShare), new("mean_completion_tokens", row.MeanCompletionTokens),
                    new(MetricNames.LearningRate, Options.LearningRate),
                };
                metrics.AddRange(row.Components.Select(c => new KeyValuePair<string, double>("train_reward/" + c.Key, c.Value)));
                if (valid is double v) metrics.Add(new("valid_reward_mean", v));
                _run.LogMetrics(step, metrics);
                RftReport.WriteCsv(_run.Path, history);
                double secs = clock.Elapsed.TotalSeconds;
                var eta = TimeSpan.FromSeconds(secs / stepsThisCall * (TotalSteps - step));
                progress?.Report(new TrainingProgress("train", epoch + 1, Epochs, step, TotalSteps, row.Loss, row.RewardMean, secs > 0 ? tokens / secs : 0, eta) { AccuracyName = "reward" });
            }
            if (_valid.Count > 0)
            {
                var full = Evaluate(_valid, cancellationToken);
                epochs.Add(new RftEpochRow(epoch + 1, step, full.MeanReward, full.MeanParseError, full.Components));
                var m = new List<KeyValuePair<string, double>> { new("full_valid_mean_reward", full.MeanReward), new("full_valid_mean_parse_error", full.MeanParseError) };
                m.AddRange(full.Components.Select(c => new KeyValuePair<string, double>("full_valid_reward/" + c.Key, c.Value)));
                _run.LogMetrics(step, m);
            }
            var folder = Checkpoints.Save(_run.CheckpointsPath, _engine.Parameters, _optimizer, new CheckpointState
            {
                Epoch = epoch + 1,
                Step = step,
                Random = Checkpoints.EncodeRandom(_random.GetState()),
                OptionsSha256 = Checkpoints.HashOptions(_optionsJson),
            }, int.MaxValue);
            RftReport.SaveHistory(folder, history, epochs);
            PruneCheckpoints(epochs);
        }
        var csv = RftReport.WriteCsv(_run.Path, history);
        _run.AddArtifact("results.csv", csv);
        var chart = Path.Combine(_run.Path, "chart.svg");
        RftCurves.WriteChart(chart, history, epochs);
        _run.AddArtifact("chart.svg", chart);
        return new RftResult(Epochs, step, Options.LearningRate, history, epochs, [.. _findings], csv, Checkpoints.List(_run.CheckpointsPath), startEpoch)
        {
            ChartPath = chart,
            Diagnosis = RftCurves.Diagnose(history, epochs),
        };
    }

    /// <summary>Keeps the newest checkpoint and the best <see cref="RftOptions.KeepCheckpoints"/> by full_valid_mean_reward (newest ones without validation).</summary>
    private void PruneCheckpoints(IReadOnlyList<RftEpochRow> epochs)
    {
        var all = Checkpoints.List(_run.CheckpointsPath);
        var byEpoch = epochs.ToDictionary(e => e.Epoch, e => e.MeanReward);
        var ranked = all.Select(f => (Folder: f, Epoch: Checkpoints.EpochOf(f)))
            .OrderByDescending(x => byEpoch.TryGetValue(x.Epoch, out var r) ? r : double.NegativeInfinity).ThenByDescending(x => x.Epoch)
            .Take(Options.KeepCheckpoints).Select(x => x.Folder).ToHashSet();
        if (all.Count > 0) ranked.Add(all[^1]);
        foreach (var f in all.Where(f => !ranked.Contains(f))) Directory.Delete(f, recursive: true);
    }

    private RftStepRow Step(long step, int epoch, List<RftPrompt> prompts, CancellationToken ct, out long tokens)
    {
        int g = Options.SamplesPerPrompt;
        var samples = new List<(TokenizedExample Example, double Reward)>();
        var rewards = new List<double>();
        var components = new Dictionary<string, double>();
        int componentCount = 0;
        long completionTokens = 0;
        var sampling = new SamplingOptions { Temperature = Options.Temperature };
        WithSession(session =>
        {
            for (int p = 0; p < prompts.Count; p++)
            {
                var group = new List<(TokenizedExample, double)>(g);
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
                    completionTokens += n;
                    group.Add((example, r.Reward));
                    foreach (var (name, v) in r.Components) components[name] = components.GetValueOrDefault(name) + v;
                    componentCount++;
                }
                if (failed) continue; // Skip policy: the group carries no usable signal
                samples.AddRange(group);
                rewards.AddRange(group.Select(x => x.Item2));
            }
        });
        var advantages = new double[rewards.Count];
        var adv = GrpoObjective.Advantages(rewards.ToArray(), g, advantages, Options.Grpo.AdvantageEpsilon);
        var (loss, kl, trained) = Update(samples.Select(s => s.Example).ToList(), advantages, out tokens);
        _optimizer.Step(Options.LearningRate);
        var comps = components.ToDictionary(c => c.Key, c => componentCount == 0 ? 0 : c.Value / componentCount);
        return new RftStepRow(step, epoch, loss, adv.MeanReward, comps, kl, adv.ZeroVarianceShare,
            componentCount == 0 ? 0 : (double)completionTokens / componentCount, null);
    }

    private void Fail(RftPrompt prompt, string message)
    {
        var finding = new DataFinding(prompt.Where, $"grader '{_reward.Name}' failed on a sample: {message}");
        _findings.Add(finding);
        if (Options.OnGraderError == GraderErrorPolicy.Stop)
            throw new TrainingException($"{finding} (--on-grader-error stop; use skip to drop such groups and go on).");
    }

    /// <summary>One GRPO update over the sampled sequences (reference forward, policy forward, objective, backward).</summary>
    private (double Loss, double Kl, int Sequences) Update(List<TokenizedExample> sequences, double[] advantages, out long tokens)
    {
        _engine.ZeroGrad();
        tokens = 0;
        double loss = 0, kl = 0;
        int total = sequences.Count, micro = Options.MicroBatchSize;
        for (int from = 0; from < total; from += micro)
        {
            int rows = Math.Min(micro, total - from);
            var idx = Enumerable.Range(from, rows).ToArray();
            int longest = idx.Max(i => sequences[i].Length);
            var batch = BatchOf(rows, longest);
            SftBatcher.Pad(batch, sequences, idx, trainOnInputs: false);
            int n = rows * longest;
            for (int t = 0; t < n; t++)
            {
                _seqOf[t] = batch.Targets[t] == TokenBatch.IgnoreTarget ? -1 : t / longest;
                if (batch.SegmentIds[t] >= 0) tokens++;
            }
            // Reference first: the backward needs the policy forward to be the last one.
            if (Options.Grpo.KlBeta > 0)
            {
                if (_reference is not null) _reference.Forward(batch, _ref.AsSpan(0, n), _ok.AsSpan(0, n));
                else
                {
                    _engine.AdaptersEnabled = false;
                    try { _engine.Forward(batch, _ref.AsSpan(0, n), _ok.AsSpan(0, n)); }
                    finally { _engine.AdaptersEnabled = true; }
                }
            }
            _engine.Forward(batch, _lp.AsSpan(0, n), _ok.AsSpan(0, n));
            if (Options.Grpo.KlBeta <= 0) _lp.AsSpan(0, n).CopyTo(_ref);
            _lp.AsSpan(0, n).CopyTo(_old); // one update per rollout: π_old = π at the update
            var r = GrpoObjective.Compute(_lp.AsSpan(0, n), _old.AsSpan(0, n), _ref.AsSpan(0, n), _seqOf.AsSpan(0, n),
                advantages.AsSpan(from, rows), Options.Grpo, _coef.AsSpan(0, n), _counts.AsSpan(0, rows), total);
            _engine.Backward(_coef.AsSpan(0, n));
            loss += r.Loss * rows / total;
            kl += r.MeanKl * rows / total;
        }
        GradientClipping.ClipByGlobalNorm(_engine.Parameters, Options.MaxGradNorm);
        return (loss, kl, total);
    }

    private (double MeanReward, double MeanParseError, Dictionary<string, double> Components) Evaluate(IReadOnlyList<RftPrompt> prompts, CancellationToken ct)
    {
        double sum = 0, parse = 0;
        var comps = new Dictionary<string, double>();
        WithSession(session =>
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
        });
        int c = Math.Max(1, prompts.Count);
        return (sum / c, parse / c, comps.ToDictionary(x => x.Key, x => x.Value / c));
    }

    private List<RftPrompt> ValidBatch(long evalIndex)
    {
        int n = Math.Min(Options.PromptsPerStep, _valid.Count);
        long start = evalIndex * n % _valid.Count;
        return Enumerable.Range(0, n).Select(i => _valid[(int)((start + i) % _valid.Count)]).ToList();
    }

    /// <summary>Runs <paramref name="body"/> with an inference session over the current policy's weights.</summary>
    private void WithSession(Action<SessionHandle> body)
    {
        LlamaModel? merged = _engine.IsLora ? new LlamaModel(_engine.MergedWeights()) : null;
        try
        {
            var model = merged ?? _engine.Model;
            using var session = model.CreateSession(_length, pool: _pool);
            body(new SessionHandle(session, model));
        }
        finally
        {
            merged?.Dispose();
        }
    }

    private (TokenizedExample Example, string Text, int Tokens) Sample(SessionHandle s, RftPrompt prompt, SamplingOptions sampling)
    {
        var generator = new Generator(s.Session, _decode);
        var result = generator.Generate(prompt.PromptIds, new GenerationOptions
        {
            Sampling = sampling, MaxNewTokens = Options.MaxTokens, StopStrings = _stopStrings,
        });
        var completion = result.TokenIds.ToList();
        if (result.Reason == FinishReason.Stop && s.Session.EosIds.Count > 0) completion.Add(s.Session.EosIds[0]);
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

    private readonly record struct SessionHandle(LlamaSession Session, LlamaModel Model);
}
