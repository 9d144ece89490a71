using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Formats;
using Hone.Formats.Safetensors;
using Hone.Models.Adapters;
using Hone.Models.Chat;
using Hone.Models.Llama;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Export;

/// <summary>
/// A finished (or interrupted) training run as an export reads it: the base model and method from run.json, and the
/// trained parameters of the newest whole checkpoint (<c>checkpoints/epoch-NNNN/state.safetensors</c>, <c>param.NAME</c>).
/// run.json's <c>options</c> give <c>model</c> (or <c>model.path</c> at the top level), <c>tokenizer</c>,
/// <c>trainer.method</c> (or <c>method</c>) and <c>lora.alpha</c> / <c>lora.dropout</c>.
/// </summary>
public sealed class TrainedRun
{
    private TrainedRun(string path, string modelPath, string? tokenizerPath, TrainingMethod method, float loraAlpha, float loraDropout,
        string checkpoint, int epoch, Dictionary<string, (float[] Values, long[] Shape)> parameters)
    {
        Path = path;
        ModelPath = modelPath;
        TokenizerPath = tokenizerPath;
        Method = method;
        LoraAlpha = loraAlpha;
        LoraDropout = loraDropout;
        Checkpoint = checkpoint;
        Epoch = epoch;
        Parameters = parameters;
    }

    /// <summary>The run folder.</summary>
    public string Path { get; }

    /// <summary>The base model (folder, .gguf or llama2.c .bin).</summary>
    public string ModelPath { get; }

    /// <summary>The tokenizer the run was given explicitly, or null (the base model's own).</summary>
    public string? TokenizerPath { get; }

    /// <summary>LoRA or full.</summary>
    public TrainingMethod Method { get; }

    /// <summary>lora_alpha of a LoRA run.</summary>
    public float LoraAlpha { get; }

    /// <summary>lora_dropout of a LoRA run.</summary>
    public float LoraDropout { get; }

    /// <summary>The checkpoint folder read.</summary>
    public string Checkpoint { get; }

    /// <summary>Its epoch.</summary>
    public int Epoch { get; }

    /// <summary>
    /// The chat template the run trained with (its full source text), as run.json records it (<c>resolved.chat_template</c>);
    /// for a run recorded before Hone kept it, the template its options name or the base model's own; null when neither exists.
    /// </summary>
    public string? ChatTemplate { get; private init; }

    /// <summary>Where <see cref="ChatTemplate"/> came from (e.g. "builtin:plain", "tokenizer_config.json").</summary>
    public string? ChatTemplateOrigin { get; private init; }

    /// <summary>The BOS token text the template was rendered with (null when unknown).</summary>
    public string? BosToken { get; private init; }

    /// <summary>The EOS token text the template was rendered with (null when unknown).</summary>
    public string? EosToken { get; private init; }

    /// <summary>The trained tensors by name (HF names for full runs, PEFT names for LoRA), row-major float32, in the base's row order.</summary>
    public IReadOnlyDictionary<string, (float[] Values, long[] Shape)> Parameters { get; }

    /// <summary>Why this checkpoint was read: "epoch N" (asked for), "best by golden_accuracy" or "newest".</summary>
    public string ChosenBy { get; private init; } = "newest";

    /// <summary>The checkpoint's best.json record when it is the run's best one, else null.</summary>
    public BestCheckpoint? Best { get; private init; }

    /// <summary>The built-in chat template name the run was given (options.template), or null.</summary>
    public string? TemplateName { get; private init; }

    /// <summary>SHA-256 of the checkpoint's tensor file (identifies the trained weights).</summary>
    public string StateSha256 { get; private init; } = "";

    /// <summary>Opens a run folder at its newest checkpoint, or at the kept checkpoint of <paramref name="epoch"/>.</summary>
    /// <exception cref="TrainingException">No run.json, no whole checkpoint (of that epoch), or they disagree.</exception>
    public static TrainedRun Open(string runPath, int? epoch = null) => Open(runPath, epoch, preferBest: false);

    /// <summary>
    /// Opens a run folder at the kept checkpoint of <paramref name="epoch"/>, else (with <paramref name="preferBest"/>) at
    /// the checkpoint that scored best on the golden set when the run scored its checkpoints (best.json), else at the newest.
    /// </summary>
    /// <exception cref="TrainingException">No run.json, no whole checkpoint (of that epoch), or they disagree.</exception>
    public static TrainedRun Open(string runPath, int? epoch, bool preferBest)
    {
        ArgumentException.ThrowIfNullOrEmpty(runPath);
        var path = System.IO.Path.GetFullPath(runPath);
        var manifest = System.IO.Path.Combine(path, RunFolder.ManifestFile);
        if (!Directory.Exists(path)) throw new TrainingException($"{path}: no such run folder; give the folder `hone train sft` wrote (it holds {RunFolder.ManifestFile}).");
        if (!File.Exists(manifest)) throw new TrainingException($"{path}: no {RunFolder.ManifestFile}; this is not a training run folder.");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(manifest)) as JsonObject ?? throw new TrainingException($"{manifest}: must hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new TrainingException($"{manifest}:{(e.LineNumber ?? 0) + 1}: not valid JSON ({e.Message}); the manifest is damaged.", e);
        }

        var options = root["options"] as JsonObject ?? new JsonObject();
        var modelPath = Str(options["model"], manifest, "options.model") ?? Str(root["model"]?["path"], manifest, "model.path")
            ?? throw new TrainingException($"{manifest}: records no base model (options.model or model.path); the export needs the model the run trained.");
        var tokenizer = Str(options["tokenizer"], manifest, "options.tokenizer");
        var methodText = Str(options["trainer"]?["method"], manifest, "options.trainer.method") ?? Str(options["method"], manifest, "options.method");

        var kept = Checkpoints.List(System.IO.Path.Combine(path, "checkpoints"));
        if (kept.Count == 0)
            throw new TrainingException($"{path}: the run has no whole checkpoint yet (checkpoints/epoch-NNNN); let it finish an epoch, or `hone train resume` it.");
        var best = BestCheckpoint.Read(path);
        if (epoch is null && preferBest && best is not null)
        {
            if (!kept.Any(f => Checkpoints.EpochOf(f) == best.Epoch))
                throw new TrainingException($"{path}: best.json names epoch {best.Epoch}, whose checkpoint is gone; give --epoch N (kept: {string.Join(", ", kept.Select(Checkpoints.EpochOf))}).");
            epoch = best.Epoch;
        }
        var chosenBy = epoch is { } asked ? (best?.Epoch == asked && preferBest ? $"best by {best.Metric}" : $"epoch {asked}") : "newest";
        var checkpoint = epoch is not { } wanted ? kept[^1]
            : kept.FirstOrDefault(f => Checkpoints.EpochOf(f) == wanted)
              ?? throw new TrainingException(
                  $"{path}: no kept checkpoint of epoch {wanted}; the run keeps epoch(s) {string.Join(", ", kept.Select(Checkpoints.EpochOf))}.");
        var (checkpointEpoch, parameters, stateSha) = ReadCheckpoint(checkpoint);
        bool hasLora = parameters.Keys.Any(k => k.Contains(".lora_A.", StringComparison.Ordinal));
        var method = methodText switch
        {
            "lora" => TrainingMethod.Lora,
            "full" => TrainingMethod.Full,
            null => hasLora ? TrainingMethod.Lora : TrainingMethod.Full,
            _ => throw new TrainingException($"{manifest}: method \"{methodText}\" is neither lora nor full."),
        };
        if ((method == TrainingMethod.Lora) != hasLora)
            throw new TrainingException($"{checkpoint}: the checkpoint holds {(hasLora ? "LoRA" : "full")} parameters but {RunFolder.ManifestFile} says method {methodText}; the run folder is inconsistent.");

        float alpha = 0, dropout = 0;
        int[] tokenIds = [];
        if (method == TrainingMethod.Lora)
        {
            var lora = options["lora"] as JsonObject ?? root["resolved"]?["lora"] as JsonObject
                ?? throw new TrainingException($"{manifest}: a LoRA run must record its settings (options.lora: rank, alpha, dropout); the export needs lora alpha to scale the adapter.");
            alpha = Num(lora["alpha"], manifest, "lora.alpha") ?? throw new TrainingException($"{manifest}: options.lora has no alpha; the export needs it to scale the adapter.");
            dropout = Num(lora["dropout"], manifest, "lora.dropout") ?? 0;
            if (!(alpha > 0)) throw new TrainingException($"{manifest}: lora alpha {alpha} must be positive.");
            tokenIds = lora["trainable_token_indices"] switch
            {
                null => [],
                JsonArray ids => [.. ids.Select(x => x is JsonValue v && v.TryGetValue(out int id) ? id
                    : throw new TrainingException($"{manifest}: options.lora.trainable_token_indices must list whole numbers."))],
                _ => throw new TrainingException($"{manifest}: options.lora.trainable_token_indices must be a list of token ids."),
            };
        }

        if (!File.Exists(modelPath) && !Directory.Exists(modelPath))
            throw new TrainingException($"{manifest}: the base model {modelPath} is gone; the export needs it (restore it at that path).");
        var chat = RunManifest.ReadChatTemplate(root, manifest)
            ?? RunManifest.ChatTemplateOf(modelPath, tokenizer, Str(options["template"], manifest, "options.template"));
        return new TrainedRun(path, modelPath, tokenizer, method, alpha, dropout, checkpoint, checkpointEpoch, parameters)
        {
            ChatTemplate = chat?.Source, ChatTemplateOrigin = chat?.Origin, BosToken = chat?.Bos, EosToken = chat?.Eos,
            ChosenBy = chosenBy, Best = best?.Epoch == checkpointEpoch ? best : null, StateSha256 = stateSha,
            TemplateName = Str(options["template"], manifest, "options.template"),
            TrainableTokenIndices = tokenIds,
        };
    }

    /// <summary>The token ids whose embedding (and, untied, head) rows a LoRA run trained (options.lora.trainable_token_indices), ascending; empty for none.</summary>
    public IReadOnlyList<int> TrainableTokenIndices { get; private init; } = [];

    /// <summary>
    /// Where the base's tokenizer is: the run's explicit tokenizer, else the base folder or GGUF file itself, else (a
    /// llama2.c checkpoint) the tokenizer .bin beside it.
    /// </summary>
    public string TokenizerSource => TokenizerPath
        ?? (Directory.Exists(ModelPath) || ModelPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? ModelPath : ModelPaths.FindTokenizer(ModelPath));

    /// <summary>Loads the base model.</summary>
    public LlamaModel LoadBase() => LlamaModel.Load(ModelPath);

    /// <summary>The LoRA adapter of the run, B rows in Hugging Face order (as PEFT files hold them).</summary>
    /// <exception cref="TrainingException">The run is a full fine-tuning run.</exception>
    public PeftAdapter ToAdapter(LlamaConfig baseConfig)
    {
        ArgumentNullException.ThrowIfNull(baseConfig);
        if (Method != TrainingMethod.Lora)
            throw new TrainingException($"{Path}: this is a full fine-tuning run; it has no adapter. Export it with --format merged or --format gguf.");
        var pairs = new List<LoraPair>();
        var saved = new Dictionary<string, SavedModule>(StringComparer.Ordinal);
        var tokens = new Dictionary<string, TokenRows>(StringComparer.Ordinal);
        int rank = -1;
        foreach (var (name, (values, shape)) in Parameters.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (PeftAdapterFiles.TryParseTokenRowsName(name, out string tokenModule))
            {
                if (shape.Length != 2 || shape[0] != TrainableTokenIndices.Count)
                    throw new TrainingException($"{Checkpoint}: '{name}' holds [{string.Join(", ", shape)}] rows but the run lists {TrainableTokenIndices.Count} trainable token ids; the run folder is inconsistent.");
                tokens[tokenModule] = new TokenRows(TrainableTokenIndices, (int)shape[1], values);
                continue;
            }

            if (PeftAdapterFiles.TryParseSavedName(name, out string savedModule))
            {
                if (shape.Length != 2) throw new TrainingException($"{Checkpoint}: '{name}' is not a matrix; the checkpoint is damaged.");
                saved[savedModule] = new SavedModule((int)shape[0], (int)shape[1], values);
                continue;
            }

            if (!PeftAdapterFiles.TryParseTensorName(name, out int layer, out string module, out string matrix))
                throw new TrainingException($"{Checkpoint}: parameter '{name}' of a LoRA run is not a LoRA matrix; the checkpoint is damaged.");
            if (matrix != "A") continue;
            var bName = PeftAdapter.TensorName(layer, module, "B");
            if (!Parameters.TryGetValue(bName, out var b)) throw new TrainingException($"{Checkpoint}: '{bName}' is missing; the checkpoint is damaged.");
            if (rank < 0) rank = (int)shape[0];
            if (shape[0] != rank) throw new TrainingException($"{Checkpoint}: '{name}' has rank {shape[0]}, others {rank}.");
            pairs.Add(new LoraPair(layer, module, values, AdapterLoader.ToHfRowOrder(baseConfig, module, b.Values, rank)));
        }

        if (pairs.Count == 0) throw new TrainingException($"{Checkpoint}: the LoRA run's checkpoint holds no adapter pairs.");
        var targets = PeftAdapter.Modules.Where(m => pairs.Any(p => p.Module == m)).ToArray();

        // On a tied base the trainer keeps one trained copy for the embedding and the head (PEFT's ensure_weight_tying);
        // the adapter lists both modules and holds both tensors, equal, as PEFT saves the tied wrappers.
        bool tied = baseConfig.TiedEmbeddings && saved.Count > 0;
        if (tied && saved.GetValueOrDefault(LlamaModules.EmbedTokens) is { } shared) saved[LlamaModules.LmHead] = shared;
        if (TrainableTokenIndices.Count > 0 && !tokens.ContainsKey(LlamaModules.EmbedTokens))
            throw new TrainingException($"{Checkpoint}: the run lists trainable token ids but the checkpoint holds no trained rows of them; the checkpoint is damaged.");
        var adapter = new PeftAdapter
        {
            SavedModules = saved,
            TrainableTokens = tokens,
            EnsureWeightTying = tied,
            Rank = rank,
            Alpha = LoraAlpha,
            Dropout = LoraDropout,
            TargetModules = targets,
            BaseModel = ModelPath,
            Pairs = [.. pairs.OrderBy(p => p.Layer).ThenBy(p => Array.IndexOf(targets, p.Module))],
        };
        try
        {
            adapter.Validate(baseConfig, Checkpoint);
        }
        catch (Hone.Models.ModelLoadException e)
        {
            throw new TrainingException($"{e.Message} (base model {ModelPath})", e);
        }

        return adapter;
    }

    /// <summary>The tuned weights: the base with the adapter merged in (LoRA) or the trained weights (full), in the base's row order. The caller disposes them.</summary>
    public LlamaWeights TunedWeights(LlamaModel baseModel)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        if (Method == TrainingMethod.Lora) return AdapterLoader.Merge(baseModel.Weights, ToAdapter(baseModel.Config), Checkpoint);
        foreach (var (name, shape) in LlamaWeights.Manifest(baseModel.Config))
        {
            if (!Parameters.TryGetValue(name, out var p))
                throw new TrainingException($"{Checkpoint}: the full run's checkpoint lacks '{name}', which the base model {ModelPath} has; was the base replaced?");
            if (p.Values.Length != shape.Aggregate(1L, (a, d) => a * d))
                throw new TrainingException($"{Checkpoint}: '{name}' holds {p.Values.Length} values but the base model {ModelPath} needs [{string.Join(", ", shape)}]; was the base replaced?");
        }

        return LlamaWeights.Create(baseModel.Config, (name, t) => Parameters[name].Values.CopyTo(t.Span));
    }

    private static (int Epoch, Dictionary<string, (float[], long[])> Parameters, string StateSha256) ReadCheckpoint(string folder)
    {
        var manifest = System.IO.Path.Combine(folder, "checkpoint.json");
        var state = System.IO.Path.Combine(folder, "state.safetensors");
        JsonNode? m;
        try
        {
            m = JsonNode.Parse(File.ReadAllText(manifest));
        }
        catch (JsonException e)
        {
            throw new TrainingException($"{manifest}: damaged checkpoint manifest ({e.Message}); delete this checkpoint folder to export the one before.", e);
        }

        var sha = Str(m?["state_sha256"], manifest, "state_sha256");
        if (!File.Exists(state) || sha is null || RunFolder.Sha256File(state) != sha)
            throw new TrainingException($"{state}: missing or its SHA-256 differs from the checkpoint manifest; delete this checkpoint folder to export the one before.");
        int epoch = (int)(Num(m?["epoch"], manifest, "epoch") ?? 0);
        var result = new Dictionary<string, (float[], long[])>(StringComparer.Ordinal);
        try
        {
            using var file = SafetensorsFile.Open(state);
            foreach (var t in file.Tensors)
            {
                if (!t.Name.StartsWith("param.", StringComparison.Ordinal)) continue;
                if (t.Dtype != SafetensorsDtype.F32) throw new TrainingException($"{state}: '{t.Name}' is {t.Dtype}, not F32; the checkpoint is damaged.");
                result[t.Name["param.".Length..]] = (file.ReadF32(t.Name), [.. t.Shape]);
            }
        }
        catch (HoneFormatException e)
        {
            throw new TrainingException($"{state}: not a valid checkpoint: {e.Message}", e);
        }

        if (result.Count == 0) throw new TrainingException($"{state}: the checkpoint holds no parameters.");
        return (epoch, result, sha);
    }

    private static string? Str(JsonNode? node, string file, string key) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        _ => throw new TrainingException($"{file}: \"{key}\" must be a string."),
    };

    private static float? Num(JsonNode? node, string file, string key) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out double d) => (float)d,
        _ => throw new TrainingException(string.Create(CultureInfo.InvariantCulture, $"{file}: \"{key}\" must be a number.")),
    };
}
