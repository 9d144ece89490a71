using System.Text.Json.Nodes;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Store;
using Hone.Training.Analysis;
using Hone.Training.Loop;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Rft;

/// <summary>Everything one reinforcement fine-tuning run needs; stored in the run's manifest so the run can resume.</summary>
public sealed record RftRunOptions : RunOptions
{
    /// <summary>Training prompts: OpenAI reinforcement JSONL.</summary>
    public required string TrainFile { get; init; }

    /// <summary>The grader definition (Hone YAML, or OpenAI grader JSON); the caller turns it into an <see cref="IRewardFunction"/>.</summary>
    public required string GraderFile { get; init; }

    /// <summary>GRPO trainer options.</summary>
    public RftOptions Trainer { get; init; } = new();

    internal override TrainerOptions TrainerOptions => Trainer;

    internal override string TrainInput => TrainFile;

    internal override IReadOnlyList<(string Role, string Path, string What)> Inputs =>
        [("train", TrainFile, "Training file"), ("grader", GraderFile, "Grader file")];

    /// <summary>The options a manifest's options object records.</summary>
    internal static RftRunOptions FromJson(JsonObject j) => new RftRunOptions
    {
        ModelPath = (string)j["model"]!,
        TrainFile = (string)j["train"]!,
        GraderFile = (string)j["grader"]!,
        Trainer = RftOptions.FromJson(j["trainer"]!.ToJsonString()),
    }.WithShared<RftRunOptions>(j);
}

/// <summary>The outcome of <see cref="RftRun.Start"/> or <see cref="RftRun.Resume"/>.</summary>
/// <param name="RunFolder">The run folder (manifest, results.csv, checkpoints).</param>
/// <param name="RunId">The run's id in the store (null without a store).</param>
/// <param name="Result">What the RFT trainer reports.</param>
/// <param name="RewardName">The reward's (grader's) name.</param>
/// <param name="TrainPrompts">Training prompts used.</param>
/// <param name="ValidPrompts">Validation prompts used.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record RftRunResult(string RunFolder, string? RunId, RftResult Result, string RewardName, int TrainPrompts, int ValidPrompts, double Seconds)
    : RunResult(RunFolder, RunId, Seconds);

/// <summary>
/// One RFT run end to end: load the reward (through the caller's loader: Hone.Training does not know the graders),
/// the base model and its chat encoder, read and render the prompts (a prompt, with <c>--max-tokens</c>, longer than the
/// context goes by <c>--on-overflow</c>: drop, truncate — cut the earliest turns after the system prompt, keep the last
/// user turn — or fail), build the engine's trainer (LoRA: the reference is the base with adapters off; full: a second,
/// frozen engine), run <see cref="RftTrainer"/> with checkpoints in the run folder. <see cref="Resume"/> continues a
/// killed run from its manifest and newest checkpoint.
/// </summary>
public static class RftRun
{
    /// <summary>Manifest kind of an RFT run.</summary>
    public const string Kind = "rft";

    /// <summary>Starts a new run in <paramref name="runFolder"/> (created; must be empty or absent).</summary>
    /// <param name="options">The run's options.</param>
    /// <param name="loadReward">Builds the reward from <see cref="RftRunOptions.GraderFile"/>; called before anything is written.</param>
    /// <param name="runFolder">The run folder.</param>
    /// <param name="store">The workspace's run store, if any.</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="cancellationToken">Cancels the run (the newest checkpoint stays for resume).</param>
    public static RftRunResult Start(RftRunOptions options, Func<string, IRewardFunction> loadReward, string runFolder, RunStore? store = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Start(options, loadReward, runFolder, store, progress, null, cancellationToken);

    /// <summary>
    /// Starts a new run; the reward, the prompts (fitted to the context) and the model are loaded before the run is
    /// registered or anything is written, and <paramref name="warn"/> gets each warning before training begins.
    /// </summary>
    public static RftRunResult Start(RftRunOptions options, Func<string, IRewardFunction> loadReward, string runFolder, RunStore? store,
        IProgress<TrainingProgress>? progress, Action<string>? warn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loadReward);
        IRewardFunction? reward = null;
        return TrainingRun.Start(Kind, options, runFolder, store, o =>
            {
                reward = loadReward(o.GraderFile);
                return Prepare(o, warn);
            },
            (prepared, runId) => Execute(options, prepared, reward!, runFolder, store, runId, progress, cancellationToken));
    }

    /// <summary>
    /// Continues the run in <paramref name="runFolder"/>; a run started with an eval spec gets its checkpoint scorer from
    /// <paramref name="scorerFor"/> (given the spec's path); without one its remaining checkpoints are not scored.
    /// </summary>
    public static RftRunResult Resume(string runFolder, Func<string, IRewardFunction> loadReward, RunStore? store = null,
        IProgress<TrainingProgress>? progress = null, Action<string>? warn = null, Func<string, ICheckpointScorer>? scorerFor = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loadReward);
        IRewardFunction? reward = null;
        return TrainingRun.Resume(runFolder, store, k => k == Kind, "an RFT run", RftRunOptions.FromJson, scorerFor, o =>
            {
                reward = loadReward(o.GraderFile);
                return Prepare(o, warn);
            },
            (_, options, prepared, runId) => Execute(options, prepared, reward!, runFolder, store, runId, progress, cancellationToken));
    }

    /// <summary>
    /// The plan of a run of <paramref name="options"/> without running it (<c>--dry-run</c>): the reward built from the
    /// grader file (so a bad grader fails here), the prompts read and fitted as a run would, nothing written. The training
    /// tokens are unknown: the completions are sampled during the run.
    /// </summary>
    public static RunPlan Plan(RftRunOptions options, Func<string, IRewardFunction> loadReward, Action<string>? warn)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loadReward);
        options.Validate();
        _ = loadReward(options.GraderFile);
        var p = Prepare(options, warn);
        p.Model.Dispose();
        return RunPlan.Of(Kind, TrainingPlan.For(options.Trainer, p.Train.Count, options.Trainer.PromptsPerStep), p.Train.Count, null, options.Scorer);
    }

    private static Prepared<RftPrompt> Prepare(RftRunOptions o, Action<string>? warn) =>
        TrainingRun.Prepare(o, warn, RftPromptData.ReadOrThrow, (model, encoder, read, set) =>
        {
            int context = model.Config.MaxSeqLen;
            if (o.Trainer.MaxTokens + 2 > context)
                throw new TrainingException($"--max-tokens {o.Trainer.MaxTokens} leaves no room for a prompt in the model's context of {context}; lower --max-tokens.");
            return RftPromptData.Fit(read, encoder, set, context, o.Trainer.MaxTokens, o.OnOverflow);
        }, (model, encoder, _) =>
        {
            // RFT has no reference turn ends to probe: only the rows are checked, and only when no module to save (nor a trainable token) covers them.
            if (o.Trainer.Method != TrainingMethod.Lora || EndOfTurnCheck.TemplateEndOfTurnId(encoder) is not { } id || id >= model.Config.VocabSize) return null;
            return EndOfTurnCheck.OutputRowTrains(o.Lora, model.Config, id) ? null : EndOfTurnCheck.Warning(model, id, $"'{encoder.Tokenizer.TokenText(id)}'", []);
        });

    private static RftRunResult Execute(RftRunOptions o, Prepared<RftPrompt> prep, IRewardFunction reward, string runFolder, RunStore? store, string? runId,
        IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var folder = new RunFolder(runFolder, store, runId) { Scorer = o.Scorer };
        var (encoder, train, valid) = (prep.Encoder, prep.Train, prep.Valid ?? []);
        var result = TrainingRun.Record(store, runId, ct, () =>
        {
            using var model = prep.Model;
            int length = RftTrainer.RowLength(train.Concat(valid), o.Trainer.MaxTokens);
            bool lora = o.Trainer.Method == TrainingMethod.Lora;
            using var pool = new WorkerPool(o.Threads);
            using var engine = new LlamaTrainer(model, o.Trainer.MicroBatchSize, length, lora ? o.Lora : null, pool, o.Recompute);
            // Full fine-tuning updates the weights in place, so the KL reference is a second, frozen copy of the base.
            using var referenceModel = !lora && o.Trainer.Grpo.KlBeta > 0 ? LlamaModel.Load(o.ModelPath) : null;
            using var reference = referenceModel is null ? null : new LlamaTrainer(referenceModel, o.Trainer.MicroBatchSize, length, null, pool, o.Recompute);
            var trainer = new RftTrainer(engine, o.Trainer, train, valid, reward, folder, ids => encoder.Tokenizer.Decode(ids),
                [.. encoder.RenderedEndOfTurnMarkers()], reference, pool);
            var resolved = new Dictionary<string, object>(trainer.Resolved)
            {
                ["reward"] = reward.Name,
                ["reference"] = lora ? "base model, adapters off" : o.Trainer.Grpo.KlBeta > 0 ? "frozen copy of the base model" : "none (--kl 0)",
            };
            TrainingRun.WriteManifest(folder, Kind, o, runId, resolved, prep);
            return trainer.Run(progress, ct);
        }, r =>
        {
            var last = r.History.Count > 0 ? r.History[^1] : null;
            var epoch = r.EpochHistory.Count > 0 ? r.EpochHistory[^1] : null;
            return new
            {
                epochs = r.Epochs, steps = r.Steps, learning_rate = r.LearningRate,
                train_reward_mean = last?.RewardMean, full_valid_mean_reward = epoch?.MeanReward,
                findings = r.Findings.Select(f => f.ToString()),
            };
        });
        return new RftRunResult(Path.GetFullPath(runFolder), runId, result, reward.Name, train.Count, valid.Count, (DateTime.UtcNow - started).TotalSeconds)
        { Overflow = prep.Overflow, Warnings = prep.Warnings };
    }
}
