using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Data.Model;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Store;
using Hone.Tokenizers.Chat;
using Hone.Training.Analysis;
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

    /// <summary>What training does with an example longer than the context (<c>--on-overflow</c>): drop (default), truncate or fail.</summary>
    public OverflowPolicy OnOverflow { get; init; } = OverflowPolicy.Drop;

    /// <summary>Checks the options once.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(OnOverflow)) throw new TrainingException($"--on-overflow {OnOverflow} is not one of drop, truncate, fail.");
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
    int TrainExamples, int ValidExamples, double Seconds)
{
    /// <summary>What the <c>--on-overflow</c> policy did, per data set (training, then validation when given).</summary>
    public IReadOnlyList<OverflowReport> Overflow { get; init; } = [];

    /// <summary>The warnings given before training (over-long examples, an end-of-turn token LoRA cannot learn).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

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
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Start(options, runFolder, store, progress, null, cancellationToken);

    /// <summary>
    /// Starts a new run in <paramref name="runFolder"/> (created; must be empty or absent). The data are read, tokenized
    /// and fitted to the context (<see cref="SftRunOptions.OnOverflow"/>) before the run is registered or anything is
    /// written; <paramref name="warn"/> gets each warning before training begins.
    /// </summary>
    public static SftRunResult Start(SftRunOptions options, string runFolder, RunStore? store, IProgress<TrainingProgress>? progress,
        Action<string>? warn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (Directory.Exists(runFolder) && Directory.EnumerateFileSystemEntries(runFolder).Any())
            throw new TrainingException($"Run folder '{runFolder}' is not empty; choose a new --out folder (or 'hone train resume' to continue a run).");
        var prepared = Prepare(options, warn);
        try
        {
            // Recorded only now that the inputs are valid; a later refusal removes the fresh record and empty folder.
            return RunManifest.StartNew(store, runFolder,
                () => store?.CreateRun(Kind, Path.GetFileName(Path.GetFullPath(runFolder)), ToJson(options, null), Path.GetFullPath(runFolder)).Id,
                register => Execute(options, prepared, runFolder, store, register(), progress, cancellationToken));
        }
        catch
        {
            prepared.Model.Dispose();
            throw;
        }
    }

    /// <summary>Continues the run in <paramref name="runFolder"/> from its newest checkpoint, with the options it started with.</summary>
    public static SftRunResult Resume(string runFolder, RunStore? store = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Resume(runFolder, store, progress, null, cancellationToken);

    /// <summary>Continues the run in <paramref name="runFolder"/>; <paramref name="warn"/> gets the warnings before training goes on.</summary>
    public static SftRunResult Resume(string runFolder, RunStore? store, IProgress<TrainingProgress>? progress,
        Action<string>? warn, CancellationToken cancellationToken = default)
    {
        var (_, json, manifest) = RunManifest.Read(runFolder, k => k == Kind, "an SFT run");
        var (options, runId) = FromJson(json, manifest);
        options.Validate();
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
        return Execute(options, prepared, runFolder, store, runId, progress, cancellationToken);
    }

    /// <summary>The tokenizer, the data fitted to the context, the base model and the warnings: everything checked before a run is registered.</summary>
    private sealed record Prepared(ChatEncoder Encoder, List<TokenizedExample> Train, List<TokenizedExample>? Valid, LlamaModel Model,
        List<OverflowReport> Overflow, List<string> Warnings);

    private static Prepared Prepare(SftRunOptions o, Action<string>? warn)
    {
        var encoder = ChatEncoder.Load(o.ModelPath, o.TokenizerPath, o.Template);
        var trainRead = SftData.Read(o.TrainFile, encoder);
        var validRead = o.ValidFile is null ? null : SftData.Read(o.ValidFile, encoder);
        var model = LlamaModel.Load(o.ModelPath);
        try
        {
            int context = model.Config.MaxSeqLen;
            if (o.Trainer.SequenceLength > context)
                throw new TrainingException($"SFT option --sequence-length = {o.Trainer.SequenceLength} exceeds the model's context of {context}; use at most {context}.");
            int limit = o.Trainer.SequenceLength ?? context;
            var (trainKept, trainReport) = SftData.Fit(trainRead, encoder, "training", limit, o.OnOverflow);
            SftData.Check(trainKept, model.Config.VocabSize, o.Trainer.TrainOnInputs, requireTargets: true);
            var overflow = new List<OverflowReport> { trainReport };
            var train = trainKept.Select(s => s.Example).ToList();
            List<TokenizedExample>? valid = null;
            if (validRead is not null)
            {
                var (validKept, validReport) = SftData.Fit(validRead, encoder, "validation", limit, o.OnOverflow);
                SftData.Check(validKept, model.Config.VocabSize, o.Trainer.TrainOnInputs, requireTargets: false);
                valid = [.. validKept.Select(s => s.Example)];
                overflow.Add(validReport);
            }
            var warnings = overflow.Select(r => r.Summary()).OfType<string>().ToList();
            if (EndOfTurnWarning(o.Trainer.Method, o.Lora, model, encoder, train, o.Threads) is { } eot) warnings.Add(eot);
            foreach (var w in warnings) warn?.Invoke(w);
            return new Prepared(encoder, train, valid, model, overflow, warnings);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// For a LoRA run whose modules to save do not cover the output head: the warning of <see cref="EndOfTurnCheck"/>
    /// about the data's end-of-turn token, or null.
    /// </summary>
    internal static string? EndOfTurnWarning(TrainingMethod method, LoraOptions lora, LlamaModel model, ChatEncoder encoder,
        IReadOnlyList<TokenizedExample> examples, int threads)
    {
        if (method != TrainingMethod.Lora) return null;
        var saved = lora.ResolveModulesToSave();
        if (saved.Contains("lm_head") || (model.Config.TiedEmbeddings && saved.Count > 0)) return null;
        if (EndOfTurnCheck.EndOfTurnId(examples) is not { } id || id >= model.Config.VocabSize) return null;
        using var pool = new WorkerPool(threads);
        return EndOfTurnCheck.Warning(model, id, $"'{encoder.Tokenizer.TokenText(id)}'", examples, pool);
    }

    private static SftRunResult Execute(SftRunOptions o, Prepared p, string runFolder, RunStore? store, string? runId,
        IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var (encoder, train, valid, model) = (p.Encoder, p.Train, p.Valid, p.Model);
        var longest = train.Concat(valid ?? []).Max(e => e.Length);
        var sequence = o.Trainer.SequenceLength ?? longest;
        var trainerOptions = o.Trainer with { SequenceLength = sequence };
        SftResult result;
        LlamaModel tuned;
        var folder = new RunFolder(runFolder, store, runId);
        using (var pool = new WorkerPool(o.Threads))
        using (var engine = new LlamaTrainer(model, trainerOptions.MicroBatchSize, sequence,
            o.Trainer.Method == TrainingMethod.Lora ? o.Lora : null, pool))
        {
            var sft = new SftTrainer(engine, trainerOptions, train, valid, folder);
            var data = new Dictionary<string, string> { ["train"] = o.TrainFile };
            if (o.ValidFile is not null) data["valid"] = o.ValidFile;
            var resolved = new Dictionary<string, object>(sft.Resolved)
            {
                ["overflow"] = new JsonObject([.. p.Overflow.Select(r => KeyValuePair.Create(r.Set, (JsonNode?)r.ToJson()))]),
                ["warnings"] = p.Warnings,
            };
            RunManifest.AddChat(resolved, encoder, o.ModelPath, o.TokenizerPath);
            folder.WriteManifest(Kind, ToJson(o, runId), resolved, data, Path.GetFullPath(o.ModelPath), RunManifest.ModelHash(o.ModelPath));
            try
            {
                result = sft.Run(progress, ct);
            }
            catch
            {
                if (runId is not null) store!.SetStatus(runId, ct.IsCancellationRequested ? RunStatus.Cancelled : RunStatus.Failed);
                throw;
            }
            tuned = engine.IsLora ? new LlamaModel(engine.MergedWeights()) : model;
        }
        if (!ReferenceEquals(tuned, model)) model.Dispose();
        if (runId is not null)
        {
            store!.SetStatus(runId, RunStatus.Succeeded, JsonSerializer.Serialize(new
            {
                epochs = result.Epochs, steps = result.Steps, learning_rate = result.LearningRate,
                findings = result.Findings.Select(f => $"{f.Kind}: {f.Message} {f.Suggestion}"),
                dropped = p.Overflow.Sum(r => r.Dropped), truncated = p.Overflow.Sum(r => r.Truncated),
            }));
            folder.AddArtifact("results.csv", result.ResultsCsvPath);
            if (File.Exists(result.ChartPath)) folder.AddArtifact("chart.svg", result.ChartPath);
        }
        return new SftRunResult(Path.GetFullPath(runFolder), runId, result, tuned, encoder, train.Count, valid?.Count ?? 0,
            (DateTime.UtcNow - started).TotalSeconds)
        { Overflow = p.Overflow, Warnings = p.Warnings };
    }

    /// <summary>Reads chat SFT or prompt/completion JSONL into tokenized examples; a bad line is an error naming it.</summary>
    public static List<TokenizedExample> ReadExamples(string path, ChatEncoder encoder) =>
        [.. SftData.Read(path, encoder).Select(s => s.Example)];

    private static string ToJson(SftRunOptions o, string? runId) => new JsonObject
    {
        ["run_id"] = runId,
        ["model"] = Path.GetFullPath(o.ModelPath),
        ["tokenizer"] = o.TokenizerPath is null ? null : Path.GetFullPath(o.TokenizerPath),
        ["template"] = o.Template,
        ["train"] = Path.GetFullPath(o.TrainFile),
        ["valid"] = o.ValidFile is null ? null : Path.GetFullPath(o.ValidFile),
        ["threads"] = o.Threads,
        ["on_overflow"] = OverflowPolicies.Name(o.OnOverflow),
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
                OnOverflow = j["on_overflow"] is { } policy ? OverflowPolicies.Parse((string?)policy) : OverflowPolicy.Drop,
                Trainer = SftOptions.FromJson(j["trainer"]!.ToJsonString()),
                Lora = RunManifest.LoraFromJson(j["lora"]),
            };
            return (options, (string?)j["run_id"]);
        });
    }
}
