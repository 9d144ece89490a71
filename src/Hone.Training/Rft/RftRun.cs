using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Store;
using Hone.Tokenizers.Chat;
using Hone.Training.Analysis;
using Hone.Training.Batching;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Rft;

/// <summary>Everything one reinforcement fine-tuning run needs; stored in the run's manifest so the run can resume.</summary>
public sealed record RftRunOptions
{
    /// <summary>Base model: a Hugging Face folder, a GGUF file or a llama2.c checkpoint.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Tokenizer file for a model without one beside it.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>Built-in chat template name for a model without one (or to override it).</summary>
    public string? Template { get; init; }

    /// <summary>Training prompts: OpenAI reinforcement JSONL.</summary>
    public required string TrainFile { get; init; }

    /// <summary>Validation prompts (optional: without them the valid metrics are absent, not zero).</summary>
    public string? ValidFile { get; init; }

    /// <summary>The grader definition (Hone YAML, or OpenAI grader JSON); the caller turns it into an <see cref="IRewardFunction"/>.</summary>
    public required string GraderFile { get; init; }

    /// <summary>GRPO trainer options.</summary>
    public RftOptions Trainer { get; init; } = new();

    /// <summary>LoRA settings (used when the method is LoRA).</summary>
    public LoraOptions Lora { get; init; } = new() { TargetModules = ["all-linear"] };

    /// <summary>Worker threads for the engine (default: all cores).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// What training does with a prompt that, with --max-tokens, is longer than the context (<c>--on-overflow</c>): drop
    /// (default), truncate (cut the earliest turns after the system prompt, keep the last user turn) or fail.
    /// </summary>
    public OverflowPolicy OnOverflow { get; init; } = OverflowPolicy.Drop;

    /// <summary>Checks the options once.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(OnOverflow)) throw new TrainingException($"--on-overflow {OnOverflow} is not one of drop, truncate, fail.");
        if (!File.Exists(ModelPath) && !Directory.Exists(ModelPath)) throw new TrainingException($"Model '{ModelPath}' not found: give a model folder or file.");
        if (!File.Exists(TrainFile)) throw new TrainingException($"Training file '{TrainFile}' not found.");
        if (ValidFile is not null && !File.Exists(ValidFile)) throw new TrainingException($"Validation file '{ValidFile}' not found.");
        if (!File.Exists(GraderFile)) throw new TrainingException($"Grader file '{GraderFile}' not found.");
        if (Threads is < 1 or > 256) throw new TrainingException($"Threads {Threads} must be between 1 and 256.");
        Trainer.Validate();
        if (Trainer.Method == TrainingMethod.Lora) Lora.ResolveTargets();
    }
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
{
    /// <summary>What the <c>--on-overflow</c> policy did, per data set (training, then validation when given).</summary>
    public IReadOnlyList<OverflowReport> Overflow { get; init; } = [];

    /// <summary>The warnings given before training (over-long prompts, an end-of-turn token LoRA cannot learn).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// One RFT run end to end: load the reward (through the caller's loader: Hone.Training does not know the graders),
/// the base model and its chat encoder, read and render the prompts, build the engine's trainer (LoRA: the reference is
/// the base with adapters off; full: a second, frozen engine), run <see cref="RftTrainer"/> with checkpoints in the run
/// folder. <see cref="Resume"/> continues a killed run from its manifest and newest checkpoint.
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
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loadReward);
        options.Validate();
        if (Directory.Exists(runFolder) && Directory.EnumerateFileSystemEntries(runFolder).Any())
            throw new TrainingException($"Run folder '{runFolder}' is not empty; choose a new --out folder (or 'hone train resume' to continue a run).");
        var reward = loadReward(options.GraderFile);
        var prepared = Prepare(options, warn);
        try
        {
            // Recorded only now that the inputs are valid; a later refusal removes the fresh record and empty folder.
            return RunManifest.StartNew(store, runFolder,
                () => store?.CreateRun(Kind, Path.GetFileName(Path.GetFullPath(runFolder)), ToJson(options, null), Path.GetFullPath(runFolder)).Id,
                register => Execute(options, prepared, reward, runFolder, store, register(), progress, cancellationToken));
        }
        catch
        {
            prepared.Model.Dispose();
            throw;
        }
    }

    /// <summary>Continues the run in <paramref name="runFolder"/> from its newest checkpoint, with the options (and grader file) it started with.</summary>
    public static RftRunResult Resume(string runFolder, Func<string, IRewardFunction> loadReward, RunStore? store = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Resume(runFolder, loadReward, store, progress, null, cancellationToken);

    /// <summary>Continues the run in <paramref name="runFolder"/>; <paramref name="warn"/> gets the warnings before training goes on.</summary>
    public static RftRunResult Resume(string runFolder, Func<string, IRewardFunction> loadReward, RunStore? store,
        IProgress<TrainingProgress>? progress, Action<string>? warn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loadReward);
        var (_, json, manifest) = RunManifest.Read(runFolder, k => k == Kind, "an RFT run");
        var (options, runId) = FromJson(json, manifest);
        options.Validate();
        var reward = loadReward(options.GraderFile);
        var prepared = Prepare(options, warn);
        try
        {
            runId = RunManifest.ResumeRunId(store, runId, Kind, runFolder, ToJson(options, null));
        }
        catch
        {
            prepared.Model.Dispose();
            throw;
        }
        return Execute(options, prepared, reward, runFolder, store, runId, progress, cancellationToken);
    }

    /// <summary>The tokenizer, the prompts fitted to the context, the base model and the warnings: everything checked before a run is registered.</summary>
    private sealed record Prepared(ChatEncoder Encoder, List<RftPrompt> Train, List<RftPrompt> Valid, LlamaModel Model,
        List<OverflowReport> Overflow, List<string> Warnings);

    private static Prepared Prepare(RftRunOptions o, Action<string>? warn)
    {
        var encoder = ChatEncoder.Load(o.ModelPath, o.TokenizerPath, o.Template);
        var trainRead = RftPromptData.ReadOrThrow(o.TrainFile, encoder);
        var validRead = o.ValidFile is null ? [] : RftPromptData.ReadOrThrow(o.ValidFile, encoder);
        var model = LlamaModel.Load(o.ModelPath);
        try
        {
            int context = model.Config.MaxSeqLen;
            if (o.Trainer.MaxTokens + 2 > context)
                throw new TrainingException($"--max-tokens {o.Trainer.MaxTokens} leaves no room for a prompt in the model's context of {context}; lower --max-tokens.");
            var (train, trainReport) = RftPromptData.Fit(trainRead, encoder, "training", context, o.Trainer.MaxTokens, o.OnOverflow);
            var overflow = new List<OverflowReport> { trainReport };
            var valid = new List<RftPrompt>();
            if (o.ValidFile is not null)
            {
                (valid, var validReport) = RftPromptData.Fit(validRead, encoder, "validation", context, o.Trainer.MaxTokens, o.OnOverflow);
                overflow.Add(validReport);
            }
            var warnings = overflow.Select(r => r.Summary()).OfType<string>().ToList();
            if (o.Trainer.Method == TrainingMethod.Lora && EndOfTurnCheck.TemplateEndOfTurnId(encoder) is { } id && id < model.Config.VocabSize)
            {
                // RFT has no reference turn ends to probe: only the rows are checked, and only when no module to save covers them.
                var saved = o.Lora.ResolveModulesToSave();
                bool covered = saved.Contains("lm_head") || (model.Config.TiedEmbeddings && saved.Count > 0);
                if (!covered && EndOfTurnCheck.Warning(model, id, $"'{encoder.Tokenizer.TokenText(id)}'", []) is { } eot) warnings.Add(eot);
            }
            foreach (var w in warnings) warn?.Invoke(w);
            return new Prepared(encoder, train, valid, model, overflow, warnings);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static RftRunResult Execute(RftRunOptions o, Prepared prep, IRewardFunction reward, string runFolder, RunStore? store, string? runId,
        IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var folder = new RunFolder(runFolder, store, runId);
        RftResult result;
        var (encoder, train, valid) = (prep.Encoder, prep.Train, prep.Valid);
        try
        {
            using var model = prep.Model;
            int length = RftTrainer.RowLength(train.Concat(valid), o.Trainer.MaxTokens);
            bool lora = o.Trainer.Method == TrainingMethod.Lora;
            using var pool = new WorkerPool(o.Threads);
            using var engine = new LlamaTrainer(model, o.Trainer.MicroBatchSize, length, lora ? o.Lora : null, pool);
            // Full fine-tuning updates the weights in place, so the KL reference is a second, frozen copy of the base.
            using var referenceModel = !lora && o.Trainer.Grpo.KlBeta > 0 ? LlamaModel.Load(o.ModelPath) : null;
            using var reference = referenceModel is null ? null : new LlamaTrainer(referenceModel, o.Trainer.MicroBatchSize, length, null, pool);
            var trainer = new RftTrainer(engine, o.Trainer, train, valid, reward, folder, ids => encoder.Tokenizer.Decode(ids),
                [.. encoder.RenderedEndOfTurnMarkers()], reference, pool);
            var resolved = new Dictionary<string, object>(trainer.Resolved)
            {
                ["reward"] = reward.Name,
                ["reference"] = lora ? "base model, adapters off" : o.Trainer.Grpo.KlBeta > 0 ? "frozen copy of the base model" : "none (--kl 0)",
                ["overflow"] = new JsonObject([.. prep.Overflow.Select(r => KeyValuePair.Create(r.Set, (JsonNode?)r.ToJson()))]),
                ["warnings"] = prep.Warnings,
            };
            RunManifest.AddChat(resolved, encoder, o.ModelPath, o.TokenizerPath);
            var data = new Dictionary<string, string> { ["train"] = o.TrainFile, ["grader"] = o.GraderFile };
            if (o.ValidFile is not null) data["valid"] = o.ValidFile;
            folder.WriteManifest(Kind, ToJson(o, runId), resolved, data, Path.GetFullPath(o.ModelPath), RunManifest.ModelHash(o.ModelPath));
            result = trainer.Run(progress, ct);
        }
        catch
        {
            if (runId is not null) store!.SetStatus(runId, ct.IsCancellationRequested ? RunStatus.Cancelled : RunStatus.Failed);
            throw;
        }
        if (runId is not null)
        {
            var last = result.History.Count > 0 ? result.History[^1] : null;
            var epoch = result.EpochHistory.Count > 0 ? result.EpochHistory[^1] : null;
            store!.SetStatus(runId, RunStatus.Succeeded, JsonSerializer.Serialize(new
            {
                epochs = result.Epochs, steps = result.Steps, learning_rate = result.LearningRate,
                train_reward_mean = last?.RewardMean, full_valid_mean_reward = epoch?.MeanReward,
                findings = result.Findings.Select(f => f.ToString()),
            }));
        }
        return new RftRunResult(Path.GetFullPath(runFolder), runId, result, reward.Name, train.Count, valid.Count, (DateTime.UtcNow - started).TotalSeconds)
        { Overflow = prep.Overflow, Warnings = prep.Warnings };
    }

    private static string ToJson(RftRunOptions o, string? runId) => new JsonObject
    {
        ["run_id"] = runId,
        ["model"] = Path.GetFullPath(o.ModelPath),
        ["tokenizer"] = o.TokenizerPath is null ? null : Path.GetFullPath(o.TokenizerPath),
        ["template"] = o.Template,
        ["train"] = Path.GetFullPath(o.TrainFile),
        ["valid"] = o.ValidFile is null ? null : Path.GetFullPath(o.ValidFile),
        ["grader"] = Path.GetFullPath(o.GraderFile),
        ["threads"] = o.Threads,
        ["on_overflow"] = OverflowPolicies.Name(o.OnOverflow),
        ["trainer"] = JsonNode.Parse(o.Trainer.ToJson()),
        ["lora"] = RunManifest.LoraToJson(o.Lora),
    }.ToJsonString();

    private static (RftRunOptions Options, string? RunId) FromJson(JsonObject j, string source)
    {
        return RunManifest.ReadBack(source, () =>
        {
            var options = new RftRunOptions
            {
                ModelPath = (string)j["model"]!,
                TokenizerPath = (string?)j["tokenizer"],
                Template = (string?)j["template"],
                TrainFile = (string)j["train"]!,
                ValidFile = (string?)j["valid"],
                GraderFile = (string)j["grader"]!,
                Threads = (int)j["threads"]!,
                OnOverflow = j["on_overflow"] is { } policy ? OverflowPolicies.Parse((string?)policy) : OverflowPolicy.Drop,
                Trainer = RftOptions.FromJson(j["trainer"]!.ToJsonString()),
                Lora = RunManifest.LoraFromJson(j["lora"]),
            };
            return (options, (string?)j["run_id"]);
        });
    }
}
