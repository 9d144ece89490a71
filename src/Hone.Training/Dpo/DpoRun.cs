using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Store;
using Hone.Tokenizers.Chat;
using Hone.Training.Batching;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Dpo;

/// <summary>Everything one DPO (or SFT-then-DPO) run needs; stored in the run's manifest so the run can resume.</summary>
public sealed record DpoRunOptions
{
    /// <summary>Base model: a Hugging Face folder, a GGUF file or a llama2.c checkpoint.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Tokenizer file for a model without one beside it.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>Built-in chat template name for a model without one (or to override it).</summary>
    public string? Template { get; init; }

    /// <summary>Preference pairs (OpenAI preference JSONL, HF prompt/chosen/rejected, ShareGPT preference JSON).</summary>
    public required string PairsFile { get; init; }

    /// <summary>Validation pairs (optional: without them the valid metrics are absent, not zero).</summary>
    public string? ValidFile { get; init; }

    /// <summary>DPO trainer options (method, β, loss, SFT weight, epochs, learning-rate multiplier, seed, ...).</summary>
    public DpoOptions Trainer { get; init; } = new();

    /// <summary>
    /// When set, the run has two stages: SFT on the preferred outputs with these options (its method is the DPO
    /// method), then DPO from the SFT model (<c>hone train sft-then-dpo</c>). With LoRA both stages train the same
    /// adapter, so the run exports as one adapter over the base.
    /// </summary>
    public SftOptions? SftStage { get; init; }

    /// <summary>LoRA settings (used when the method is LoRA).</summary>
    public LoraOptions Lora { get; init; } = new() { TargetModules = ["all-linear"] };

    /// <summary>Worker threads for the engine (default: all cores).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>What training does with a pair longer than the context (<c>--on-overflow</c>): drop (default), truncate or fail.</summary>
    public OverflowPolicy OnOverflow { get; init; } = OverflowPolicy.Drop;

    /// <summary>Checks the options once.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(OnOverflow)) throw new TrainingException($"--on-overflow {OnOverflow} is not one of drop, truncate, fail.");
        if (!File.Exists(ModelPath) && !Directory.Exists(ModelPath)) throw new TrainingException($"Model '{ModelPath}' not found: give a model folder or file.");
        if (!File.Exists(PairsFile)) throw new TrainingException($"Pair file '{PairsFile}' not found.");
        if (ValidFile is not null && !File.Exists(ValidFile)) throw new TrainingException($"Validation file '{ValidFile}' not found.");
        if (Threads is < 1 or > 256) throw new TrainingException($"Threads {Threads} must be between 1 and 256.");
        Trainer.Validate();
        SftStage?.Validate();
        if (SftStage is not null && SftStage.Method != Trainer.Method) throw new TrainingException("sft-then-dpo: both stages use the same method; give one --method.");
        if (Trainer.Method == TrainingMethod.Lora) Lora.ResolveTargets();
    }
}

/// <summary>The outcome of <see cref="DpoRun.Start"/> or <see cref="DpoRun.Resume"/>.</summary>
/// <param name="RunFolder">The run folder (manifest, reference log-probs, results.csv, chart, checkpoints).</param>
/// <param name="RunId">The run's id in the store (null without a store).</param>
/// <param name="Result">What the DPO trainer reports.</param>
/// <param name="Sft">The SFT stage's result (sft-then-dpo only).</param>
/// <param name="Model">The tuned model (LoRA merged into a copy of the base; full fine-tuning updated in place); the caller disposes it.</param>
/// <param name="Encoder">The tokenizer and chat template the run used.</param>
/// <param name="TrainPairs">Training pairs used.</param>
/// <param name="ValidPairs">Validation pairs used.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record DpoRunResult(string RunFolder, string? RunId, DpoResult Result, SftResult? Sft, LlamaModel Model, ChatEncoder Encoder,
    int TrainPairs, int ValidPairs, double Seconds)
{
    /// <summary>What the <c>--on-overflow</c> policy did, per data set (training, then validation when given).</summary>
    public IReadOnlyList<OverflowReport> Overflow { get; init; } = [];

    /// <summary>The warnings given before training (over-long pairs, an end-of-turn token LoRA cannot learn).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// One DPO run end to end: load the base model and its chat encoder, read and tokenize the pairs (prompt masked), build
/// the engine's trainer (full or LoRA), optionally run the SFT stage on the preferred outputs (folder <c>sft/</c>, its
/// metrics in its own results.csv), then <see cref="DpoTrainer"/> with checkpoints, and return the tuned model.
/// A plain DPO run trains in the run folder itself; an SFT-then-DPO run trains its DPO stage in <c>dpo/</c> (with its
/// own run.json, so <c>hone export RUN/dpo</c> works). <see cref="Resume"/> continues either from the newest checkpoints.
/// </summary>
public static class DpoRun
{
    /// <summary>Manifest kind of a DPO run.</summary>
    public const string Kind = "dpo";

    /// <summary>Manifest kind of an SFT-then-DPO run.</summary>
    public const string TwoStageKind = "sft-then-dpo";

    /// <summary>Starts a new run in <paramref name="runFolder"/> (created; must be empty or absent).</summary>
    public static DpoRunResult Start(DpoRunOptions options, string runFolder, RunStore? store = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Start(options, runFolder, store, progress, null, cancellationToken);

    /// <summary>
    /// Starts a new run; the pairs are read, tokenized and fitted to the context before the run is registered or anything
    /// is written, and <paramref name="warn"/> gets each warning before training begins.
    /// </summary>
    public static DpoRunResult Start(DpoRunOptions options, string runFolder, RunStore? store, IProgress<TrainingProgress>? progress,
        Action<string>? warn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (Directory.Exists(runFolder) && Directory.EnumerateFileSystemEntries(runFolder).Any())
            throw new TrainingException($"Run folder '{runFolder}' is not empty; choose a new --out folder (or resume the run).");
        var kind = options.SftStage is null ? Kind : TwoStageKind;
        var prepared = Prepare(options, warn);
        try
        {
            // Recorded only now that the inputs are valid; a later refusal removes the fresh record and empty folder.
            return RunManifest.StartNew(store, runFolder,
                () => store?.CreateRun(kind, Path.GetFileName(Path.GetFullPath(runFolder)), ToJson(options, null), Path.GetFullPath(runFolder)).Id,
                register => Execute(options, prepared, runFolder, store, register(), progress, cancellationToken));
        }
        catch
        {
            prepared.Model.Dispose();
            throw;
        }
    }

    /// <summary>Continues the run in <paramref name="runFolder"/> from its newest checkpoints, with the options it started with.</summary>
    public static DpoRunResult Resume(string runFolder, RunStore? store = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Resume(runFolder, store, progress, null, cancellationToken);

    /// <summary>Continues the run in <paramref name="runFolder"/>; <paramref name="warn"/> gets the warnings before training goes on.</summary>
    public static DpoRunResult Resume(string runFolder, RunStore? store, IProgress<TrainingProgress>? progress,
        Action<string>? warn, CancellationToken cancellationToken = default)
    {
        var (kind, json, manifest) = RunManifest.Read(runFolder, k => k is Kind or TwoStageKind, "a DPO run");
        var (options, runId) = FromJson(json, manifest);
        options.Validate();
        var prepared = Prepare(options, warn);
        try
        {
            runId = RunManifest.ResumeRunId(store, runId, kind, runFolder, ToJson(options, null));
        }
        catch
        {
            prepared.Model.Dispose();
            throw;
        }
        return Execute(options, prepared, runFolder, store, runId, progress, cancellationToken);
    }

    /// <summary>The tokenizer, the pairs fitted to the context, the base model and the warnings: everything checked before a run is registered.</summary>
    private sealed record Prepared(ChatEncoder Encoder, List<PreferencePair> Train, List<PreferencePair>? Valid, LlamaModel Model,
        List<OverflowReport> Overflow, List<string> Warnings);

    private static Prepared Prepare(DpoRunOptions o, Action<string>? warn)
    {
        var encoder = ChatEncoder.Load(o.ModelPath, o.TokenizerPath, o.Template);
        var trainRead = PreferenceData.ReadOrThrow(o.PairsFile, encoder);
        var validRead = o.ValidFile is null ? null : PreferenceData.ReadOrThrow(o.ValidFile, encoder);
        var model = LlamaModel.Load(o.ModelPath);
        try
        {
            int limit = model.Config.MaxSeqLen;
            var (train, trainReport) = PreferenceData.Fit(trainRead, encoder, "training", limit, o.OnOverflow);
            var overflow = new List<OverflowReport> { trainReport };
            List<PreferencePair>? valid = null;
            if (validRead is not null)
            {
                (valid, var validReport) = PreferenceData.Fit(validRead, encoder, "validation", limit, o.OnOverflow);
                overflow.Add(validReport);
            }
            var warnings = overflow.Select(r => r.Summary()).OfType<string>().ToList();
            if (SftRun.EndOfTurnWarning(o.Trainer.Method, o.Lora, model, encoder, [.. train.Select(p => p.Chosen)], o.Threads) is { } eot) warnings.Add(eot);
            foreach (var w in warnings) warn?.Invoke(w);
            return new Prepared(encoder, train, valid, model, overflow, warnings);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static DpoRunResult Execute(DpoRunOptions o, Prepared prep, string runFolder, RunStore? store, string? runId,
        IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var (encoder, train, valid, model) = (prep.Encoder, prep.Train, prep.Valid, prep.Model);
        int longest = train.Concat(valid ?? []).Max(pair => Math.Max(pair.Chosen.Length, pair.Rejected.Length));
        bool lora = o.Trainer.Method == TrainingMethod.Lora;
        int rows = Math.Max(2 * o.Trainer.MicroBatchPairs, o.SftStage?.MicroBatchSize ?? 1);
        using var pool = new WorkerPool(o.Threads);
        using var engine = new LlamaTrainer(model, rows, longest, lora ? o.Lora : null, pool);
        var root = new RunFolder(runFolder, store, runId);
        var data = new Dictionary<string, string> { ["pairs"] = o.PairsFile };
        if (o.ValidFile is not null) data["valid"] = o.ValidFile;
        var kind = o.SftStage is null ? Kind : TwoStageKind;
        SftResult? sftResult = null;
        DpoResult result;
        try
        {
            RunFolder dpoFolder = root;
            if (o.SftStage is { } sftOptions)
            {
                // Stage 1: SFT on the preferred outputs (prompt masked, exactly the chosen rows of DPO).
                var sftFolder = new RunFolder(Path.Combine(root.Path, "sft"));
                var sft = new SftTrainer(engine, sftOptions with { SequenceLength = longest }, train.Select(p => p.Chosen).ToList(),
                    valid?.Select(p => p.Chosen).ToList(), sftFolder);
                sftFolder.WriteManifest("sft-stage", ToJson(o, null), sft.Resolved, data, Path.GetFullPath(o.ModelPath), null);
                progress?.Report(new TrainingProgress("sft", 0, sft.Epochs, 0, sft.TotalSteps, double.NaN, double.NaN, 0, TimeSpan.Zero));
                sftResult = sft.Run(progress, ct);
                root.AddArtifact("sft/results.csv", sftResult.ResultsCsvPath);
                dpoFolder = new RunFolder(Path.Combine(root.Path, "dpo"), store, runId);
            }
            // Stage 2 (or the only stage): DPO. With LoRA after SFT the reference is the SFT model: adapters on.
            var dpo = new DpoTrainer(engine, o.Trainer, train, dpoFolder, valid) { ReferenceUsesAdapters = o.SftStage is not null };
            var resolved = new Dictionary<string, object>(dpo.Resolved)
            {
                ["reference"] = o.SftStage is null ? (lora ? "base model, adapters off" : "base model") : "SFT stage model",
                ["overflow"] = new JsonObject([.. prep.Overflow.Select(r => KeyValuePair.Create(r.Set, (JsonNode?)r.ToJson()))]),
                ["warnings"] = prep.Warnings,
            };
            RunManifest.AddChat(resolved, encoder, o.ModelPath, o.TokenizerPath);
            root.WriteManifest(kind, ToJson(o, runId), resolved, data, Path.GetFullPath(o.ModelPath), RunManifest.ModelHash(o.ModelPath));
            if (dpoFolder != root) dpoFolder.WriteManifest(Kind, ToJson(o, null), resolved, data, Path.GetFullPath(o.ModelPath), null);
            result = dpo.Train(progress, ct);
        }
        catch
        {
            if (runId is not null) store!.SetStatus(runId, ct.IsCancellationRequested ? RunStatus.Cancelled : RunStatus.Failed);
            throw;
        }
        var tuned = engine.IsLora ? new LlamaModel(engine.MergedWeights()) : model;
        if (engine.IsLora) model.Dispose();
        if (runId is not null)
        {
            var last = result.History.Count > 0 ? result.History[^1].Train : default;
            store!.SetStatus(runId, RunStatus.Succeeded, JsonSerializer.Serialize(new
            {
                epochs = result.Epochs, steps = result.Steps, learning_rate = result.LearningRate,
                reward_accuracy = last.RewardAccuracy, reward_margin = last.RewardMargin,
                findings = result.Findings.Select(f => $"{f.Kind}: {f.Message} {f.Suggestion}"),
            }));
        }
        return new DpoRunResult(Path.GetFullPath(runFolder), runId, result, sftResult, tuned, encoder, train.Count, valid?.Count ?? 0,
            (DateTime.UtcNow - started).TotalSeconds)
        { Overflow = prep.Overflow, Warnings = prep.Warnings };
    }

    private static string ToJson(DpoRunOptions o, string? runId) => new JsonObject
    {
        ["run_id"] = runId,
        ["model"] = Path.GetFullPath(o.ModelPath),
        ["tokenizer"] = o.TokenizerPath is null ? null : Path.GetFullPath(o.TokenizerPath),
        ["template"] = o.Template,
        ["pairs"] = Path.GetFullPath(o.PairsFile),
        ["valid"] = o.ValidFile is null ? null : Path.GetFullPath(o.ValidFile),
        ["threads"] = o.Threads,
        ["on_overflow"] = OverflowPolicies.Name(o.OnOverflow),
        ["trainer"] = JsonNode.Parse(o.Trainer.ToJson()),
        ["sft_stage"] = o.SftStage is null ? null : JsonNode.Parse(o.SftStage.ToJson()),
        ["lora"] = RunManifest.LoraToJson(o.Lora),
    }.ToJsonString();

    private static (DpoRunOptions Options, string? RunId) FromJson(JsonObject j, string source)
    {
        return RunManifest.ReadBack(source, () =>
        {
            var options = new DpoRunOptions
            {
                ModelPath = (string)j["model"]!,
                TokenizerPath = (string?)j["tokenizer"],
                Template = (string?)j["template"],
                PairsFile = (string)j["pairs"]!,
                ValidFile = (string?)j["valid"],
                Threads = (int)j["threads"]!,
                OnOverflow = j["on_overflow"] is { } policy ? OverflowPolicies.Parse((string?)policy) : OverflowPolicy.Drop,
                Trainer = DpoOptions.FromJson(j["trainer"]!.ToJsonString()),
                SftStage = j["sft_stage"] is { } s ? SftOptions.FromJson(s.ToJsonString()) : null,
                Lora = RunManifest.LoraFromJson(j["lora"]),
            };
            return (options, (string?)j["run_id"]);
        });
    }
}
