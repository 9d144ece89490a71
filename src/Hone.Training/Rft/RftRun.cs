using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Store;
using Hone.Tokenizers.Chat;
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

    /// <summary>Checks the options once.</summary>
    public void Validate()
    {
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
public sealed record RftRunResult(string RunFolder, string? RunId, RftResult Result, string RewardName, int TrainPrompts, int ValidPrompts, double Seconds);

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

    /// <summary>End-of-turn markers that end a sample when the template writes them.</summary>
    /// <summary>Starts a new run in <paramref name="runFolder"/> (created; must be empty or absent).</summary>
    /// <param name="options">The run's options.</param>
    /// <param name="loadReward">Builds the reward from <see cref="RftRunOptions.GraderFile"/>; called before anything is written.</param>
    /// <param name="runFolder">The run folder.</param>
    /// <param name="store">The workspace's run store, if any.</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="cancellationToken">Cancels the run (the newest checkpoint stays for resume).</param>
    public static RftRunResult Start(RftRunOptions options, Func<string, IRewardFunction> loadReward, string runFolder, RunStore? store = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loadReward);
        options.Validate();
        if (Directory.Exists(runFolder) && Directory.EnumerateFileSystemEntries(runFolder).Any())
            throw new TrainingException($"Run folder '{runFolder}' is not empty; choose a new --out folder (or 'hone train resume' to continue a run).");
        var reward = loadReward(options.GraderFile);
        return RunManifest.StartNew(store, runFolder,
            () => store?.CreateRun(Kind, Path.GetFileName(Path.GetFullPath(runFolder)), ToJson(options, null), Path.GetFullPath(runFolder)).Id,
            register => Execute(options, reward, runFolder, store, register, progress, cancellationToken));
    }

    /// <summary>Continues the run in <paramref name="runFolder"/> from its newest checkpoint, with the options (and grader file) it started with.</summary>
    public static RftRunResult Resume(string runFolder, Func<string, IRewardFunction> loadReward, RunStore? store = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loadReward);
        var (_, json, manifest) = RunManifest.Read(runFolder, k => k == Kind, "an RFT run");
        var (options, runId) = FromJson(json, manifest);
        options.Validate();
        var reward = loadReward(options.GraderFile);
        return Execute(options, reward, runFolder, store, () => RunManifest.ResumeRunId(store, runId, Kind, runFolder, ToJson(options, null)),
            progress, cancellationToken);
    }

    /// <param name="register">Records the run in the store (or marks it running again) once the inputs are valid.</param>
    private static RftRunResult Execute(RftRunOptions o, IRewardFunction reward, string runFolder, RunStore? store, Func<string?> register,
        IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        string? runId = null;
        RftResult result;
        int trainCount, validCount;
        try
        {
            var encoder = ChatEncoder.Load(o.ModelPath, o.TokenizerPath, o.Template);
            var train = RftPromptData.ReadOrThrow(o.TrainFile, encoder);
            var valid = o.ValidFile is null ? [] : RftPromptData.ReadOrThrow(o.ValidFile, encoder);
            (trainCount, validCount) = (train.Count, valid.Count);
            using var model = LlamaModel.Load(o.ModelPath);
            int length = RftTrainer.RowLength(train.Concat(valid), o.Trainer.MaxTokens);
            if (length > model.Config.MaxSeqLen)
                throw new TrainingException($"The longest prompt plus --max-tokens {o.Trainer.MaxTokens} needs {length} positions, more than the model's context of {model.Config.MaxSeqLen}. Shorten the prompts or lower --max-tokens.");
            runId = register(); // the inputs are valid: only now is the run recorded and its folder made
            var folder = new RunFolder(runFolder, store, runId);
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
            };
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
        return new RftRunResult(Path.GetFullPath(runFolder), runId, result, reward.Name, trainCount, validCount, (DateTime.UtcNow - started).TotalSeconds);
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
                Trainer = RftOptions.FromJson(j["trainer"]!.ToJsonString()),
                Lora = RunManifest.LoraFromJson(j["lora"]),
            };
            return (options, (string?)j["run_id"]);
        });
    }
}
