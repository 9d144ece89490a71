using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Data.Model;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Store;
using Hone.Tokenizers.Chat;
using Hone.Training.Batching;
using Hone.Training.Runs;

namespace Hone.Training.Sft;

/// <summary>Everything one supervised fine-tuning run needs; stored in the run's manifest so the run can resume.</summary>
public sealed record SftRunOptions
{
    /// <summary>Base model: a Hugging Face folder, a GGUF file or a llama2.c checkpoint.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Tokenizer file for a model without one beside it.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>Built-in chat template name for a model without one (or to override it).</summary>
    public string? Template { get; init; }

    /// <summary>Training JSONL (chat SFT or prompt/completion).</summary>
    public required string TrainFile { get; init; }

    /// <summary>Validation JSONL (optional: without it the valid metrics are absent, not zero).</summary>
    public string? ValidFile { get; init; }

    /// <summary>Trainer options (method, epochs, batch size, learning-rate multiplier, seed, ...).</summary>
    public SftOptions Trainer { get; init; } = new();

    /// <summary>LoRA settings (used when <see cref="SftOptions.Method"/> is LoRA).</summary>
    public LoraOptions Lora { get; init; } = new() { TargetModules = ["all-linear"] };

    /// <summary>Worker threads for the engine (default: all cores).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Checks the options once.</summary>
    public void Validate()
    {
        if (!File.Exists(ModelPath) && !Directory.Exists(ModelPath)) throw new TrainingException($"Model '{ModelPath}' not found: give a model folder or file.");
        if (!File.Exists(TrainFile)) throw new TrainingException($"Training file '{TrainFile}' not found.");
        if (ValidFile is not null && !File.Exists(ValidFile)) throw new TrainingException($"Validation file '{ValidFile}' not found.");
        if (Threads is < 1 or > 256) throw new TrainingException($"Threads {Threads} must be between 1 and 256.");
        Trainer.Validate();
        if (Trainer.Method == TrainingMethod.Lora) Lora.ResolveTargets();
    }
}

/// <summary>The outcome of <see cref="SftRun.Start"/> or <see cref="SftRun.Resume"/>.</summary>
/// <param name="RunFolder">The run folder (manifest, results.csv, chart, checkpoints).</param>
/// <param name="RunId">The run's id in the store (null without a store).</param>
/// <param name="Result">What the trainer reports.</param>
/// <param name="Model">The tuned model (LoRA merged into a copy of the base; full fine-tuning updated in place); the caller disposes it.</param>
/// <param name="Encoder">The tokenizer and chat template the run used.</param>
/// <param name="TrainExamples">Training examples used.</param>
/// <param name="ValidExamples">Validation examples used.</param>
/// <param name="Seconds">Wall time of the training.</param>
public sealed record SftRunResult(string RunFolder, string? RunId, SftResult Result, LlamaModel Model, ChatEncoder Encoder,
    int TrainExamples, int ValidExamples, double Seconds);

/// <summary>
/// One SFT run end to end: load the base model and its chat encoder, tokenize the data with the exact loss mask,
/// build the engine's trainer (full or LoRA), run <see cref="SftTrainer"/> with checkpoints in a run folder, and
/// return the tuned model. <see cref="Resume"/> continues a killed run from its manifest and newest checkpoint.
/// </summary>
public static class SftRun
{
    /// <summary>The manifest key holding the <see cref="SftRunOptions"/>.</summary>
    public const string Kind = "sft";

    /// <summary>Starts a new run in <paramref name="runFolder"/> (created; must be empty or absent).</summary>
    public static SftRunResult Start(SftRunOptions options, string runFolder, RunStore? store = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (Directory.Exists(runFolder) && Directory.EnumerateFileSystemEntries(runFolder).Any())
            throw new TrainingException($"Run folder '{runFolder}' is not empty; choose a new --out folder (or 'hone train resume' to continue a run).");
        var runId = store?.CreateRun(Kind, Path.GetFileName(Path.GetFullPath(runFolder)), ToJson(options, null), Path.GetFullPath(runFolder)).Id;
        return Execute(options, runFolder, store, runId, progress, cancellationToken);
    }

    /// <summary>Continues the run in <paramref name="runFolder"/> from its newest checkpoint, with the options it started with.</summary>
    public static SftRunResult Resume(string runFolder, RunStore? store = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var (_, json, manifest) = RunManifest.Read(runFolder, k => k == Kind, "an SFT run");
        var (options, runId) = FromJson(json, manifest);
        options.Validate();
        runId = RunManifest.ResumeRunId(store, runId, Kind, runFolder, ToJson(options, null));
        return Execute(options, runFolder, store, runId, progress, cancellationToken);
    }

    private static SftRunResult Execute(SftRunOptions o, string runFolder, RunStore? store, string? runId,
        IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var encoder = ChatEncoder.Load(o.ModelPath, o.TokenizerPath, o.Template);
        var train = ReadExamples(o.TrainFile, encoder);
        var valid = o.ValidFile is null ? null : ReadExamples(o.ValidFile, encoder);
        var model = LlamaModel.Load(o.ModelPath);
        var longest = train.Concat(valid ?? []).Max(e => e.Length);
        if (longest > model.Config.MaxSeqLen)
            throw new TrainingException($"An example has {longest} tokens, more than the model's context of {model.Config.MaxSeqLen}. " +
                "Shorten it or drop it ('hone data check --model' lists examples over the limit).");
        var sequence = o.Trainer.SequenceLength ?? longest;
        var trainerOptions = o.Trainer with { SequenceLength = sequence };
        using var pool = new WorkerPool(o.Threads);
        using var engine = new LlamaTrainer(model, trainerOptions.MicroBatchSize, sequence,
            o.Trainer.Method == TrainingMethod.Lora ? o.Lora : null, pool);
        var folder = new RunFolder(runFolder, store, runId);
        var sft = new SftTrainer(engine, trainerOptions, train, valid, folder);
        var data = new Dictionary<string, string> { ["train"] = o.TrainFile };
        if (o.ValidFile is not null) data["valid"] = o.ValidFile;
        folder.WriteManifest(Kind, ToJson(o, runId), sft.Resolved, data, Path.GetFullPath(o.ModelPath), RunManifest.ModelHash(o.ModelPath));
        SftResult result;
        try
        {
            result = sft.Run(progress, ct);
        }
        catch
        {
            if (runId is not null) store!.SetStatus(runId, ct.IsCancellationRequested ? RunStatus.Cancelled : RunStatus.Failed);
            throw;
        }
        var tuned = engine.IsLora ? new LlamaModel(engine.MergedWeights()) : model;
        if (runId is not null)
        {
            store!.SetStatus(runId, RunStatus.Succeeded, JsonSerializer.Serialize(new
            {
                epochs = result.Epochs, steps = result.Steps, learning_rate = result.LearningRate,
                findings = result.Findings.Select(f => $"{f.Kind}: {f.Message} {f.Suggestion}"),
            }));
            folder.AddArtifact("results.csv", result.ResultsCsvPath);
            if (File.Exists(result.ChartPath)) folder.AddArtifact("chart.svg", result.ChartPath);
        }
        return new SftRunResult(Path.GetFullPath(runFolder), runId, result, tuned, encoder, train.Count, valid?.Count ?? 0,
            (DateTime.UtcNow - started).TotalSeconds);
    }

    /// <summary>Reads chat SFT or prompt/completion JSONL into tokenized examples; a bad line is an error naming it.</summary>
    public static List<TokenizedExample> ReadExamples(string path, ChatEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var list = new List<TokenizedExample>();
        long lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement root;
            try { root = JsonDocument.Parse(line).RootElement; }
            catch (JsonException e) { throw new TrainingException($"{path}:{lineNo}: invalid JSON ({e.Message}). Run 'hone data check' on the file."); }
            if (Hone.Data.Jsonl.JsonEscapes.FindLoneSurrogate(line.AsSpan()) is var lone and >= 0)
                throw new TrainingException($"{path}:{lineNo}:{lone + 1}: a \\u escape is half of a UTF-16 surrogate pair without its other half; no text can hold it. Run 'hone data check' on the file.");
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("prompt", out var p) && root.TryGetProperty("completion", out var c)
                && !root.TryGetProperty("messages", out _))
            {
                list.Add(TokenizedExample.FromPromptCompletion(encoder.Tokenizer, p.GetString() ?? "", c.GetString() ?? ""));
                continue;
            }
            ChatExample example;
            try { example = OpenAiJson.ParseChat(line, path, lineNo); }
            catch (DataFormatException e) { throw new TrainingException($"{path}:{lineNo}: {e.Message} Run 'hone data check' on the file.", e); }
            list.Add(TokenizedExample.FromChat(encoder, example));
        }
        if (list.Count == 0) throw new TrainingException($"{path} holds no examples.");
        return list;
    }

    private static string ToJson(SftRunOptions o, string? runId) => new JsonObject
    {
        ["run_id"] = runId,
        ["model"] = Path.GetFullPath(o.ModelPath),
        ["tokenizer"] = o.TokenizerPath is null ? null : Path.GetFullPath(o.TokenizerPath),
        ["template"] = o.Template,
        ["train"] = Path.GetFullPath(o.TrainFile),
        ["valid"] = o.ValidFile is null ? null : Path.GetFullPath(o.ValidFile),
        ["threads"] = o.Threads,
        ["trainer"] = JsonNode.Parse(o.Trainer.ToJson()),
        ["lora"] = RunManifest.LoraToJson(o.Lora),
    }.ToJsonString();

    private static (SftRunOptions Options, string? RunId) FromJson(JsonObject j, string source)
    {
        return RunManifest.ReadBack(source, () =>
        {
            var options = new SftRunOptions
            {
                ModelPath = (string)j["model"]!,
                TokenizerPath = (string?)j["tokenizer"],
                Template = (string?)j["template"],
                TrainFile = (string)j["train"]!,
                ValidFile = (string?)j["valid"],
                Threads = (int)j["threads"]!,
                Trainer = SftOptions.FromJson(j["trainer"]!.ToJsonString()),
                Lora = RunManifest.LoraFromJson(j["lora"]),
            };
            return (options, (string?)j["run_id"]);
        });
    }
}
