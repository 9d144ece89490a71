using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Models.Train;
using Hone.Store;
using Hone.Tokenizers;
using Hone.Tokenizers.Chat;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Training.Runs;

/// <summary>
/// What every training run (SFT, DPO, RFT) does the same way with its run folder's manifest: read the options back
/// to resume, register the resumed run in the store, hash the base model, and store LoRA settings.
/// </summary>
public static class RunManifest
{
    /// <summary>
    /// Reads <c>run.json</c> of <paramref name="runFolder"/>; its kind must satisfy <paramref name="kindOk"/>
    /// (<paramref name="what"/> names the expected kind in the error). Returns the kind, the options object and the manifest path.
    /// </summary>
    public static (string Kind, JsonObject Options, string Path) Read(string runFolder, Func<string?, bool> kindOk, string what)
    {
        ArgumentNullException.ThrowIfNull(kindOk);
        var manifest = System.IO.Path.Combine(runFolder, RunFolder.ManifestFile);
        if (!File.Exists(manifest)) throw new TrainingException($"{runFolder} has no {RunFolder.ManifestFile}: it is not a Hone training run folder.");
        var root = JsonNode.Parse(File.ReadAllText(manifest))?.AsObject() ?? throw new TrainingException($"{manifest} is empty.");
        var kind = (string?)root["kind"];
        if (!kindOk(kind)) throw new TrainingException($"{manifest}: kind '{kind}' is not {what}.");
        var options = root["options"]?.AsObject() ?? throw new TrainingException($"{manifest} records no options.");
        return (kind!, options, manifest);
    }

    /// <summary>
    /// The store id a resumed run records under: the manifest's id when the store still knows it (marked running
    /// again, owned by this process; refused while its owner is still running it), else a new run of
    /// <paramref name="kind"/>; null without a store.
    /// </summary>
    public static string? ResumeRunId(RunStore? store, string? runId, string kind, string runFolder, string optionsJson)
    {
        if (store is null) return null;
        if (runId is not null && store.FindRun(runId) is { } run)
        {
            if (run.Status == RunStatus.Running)
                throw new TrainingException($"Run {runId} is still running ({run.Owner}); let it finish or stop it before resuming it.");
            store.SetStatus(runId, RunStatus.Running);
            return runId;
        }
        return store.CreateRun(kind, System.IO.Path.GetFileName(System.IO.Path.GetFullPath(runFolder)), optionsJson, System.IO.Path.GetFullPath(runFolder)).Id;
    }

    /// <summary>
    /// Starts a new run: <paramref name="execute"/> validates the inputs, then records the run through the callback it is
    /// given (which calls <paramref name="create"/>). Should it still refuse the run after recording it, before anything
    /// is written into the run folder (a trainer's own checks), the record and the empty folder are removed again:
    /// a refused start leaves no run behind. A run that has written anything stays (failed or cancelled, resumable).
    /// </summary>
    public static T StartNew<T>(RunStore? store, string runFolder, Func<string?> create, Func<Func<string?>, T> execute)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(execute);
        string? created = null;
        var existed = Directory.Exists(runFolder);
        try
        {
            return execute(() => created = create());
        }
        catch
        {
            if (!Directory.Exists(runFolder) || !Directory.EnumerateFileSystemEntries(runFolder).Any())
            {
                if (created is not null) store!.DeleteRun(created);
                if (!existed && Directory.Exists(runFolder)) Directory.Delete(runFolder);
            }
            throw;
        }
    }

    /// <summary>SHA-256 of the model's weight files (comma-separated, in name order), for the manifest.</summary>
    public static string ModelHash(string modelPath)
    {
        var files = Directory.Exists(modelPath)
            ? Directory.GetFiles(modelPath, "*.safetensors").Concat(Directory.GetFiles(modelPath, "*.gguf")).Order(StringComparer.Ordinal).ToList()
            : [modelPath];
        return string.Join(",", files.Select(RunFolder.Sha256File));
    }

    /// <summary>The <c>resolved</c> key recording the tokenizer a run used: its file's path and SHA-256.</summary>
    public const string TokenizerKey = "tokenizer";

    /// <summary>The <c>resolved</c> key recording the chat template a run used: its origin, full source text, BOS and EOS tokens.</summary>
    public const string ChatTemplateKey = "chat_template";

    /// <summary>
    /// Adds to a manifest's <c>resolved</c> settings the tokenizer (path and SHA-256 of the file read) and the chat template
    /// (origin and full source text, with the BOS/EOS texts it renders) that <paramref name="encoder"/> was loaded with,
    /// so exports carry them and the run's model needs no --template or --tokenizer again.
    /// </summary>
    public static void AddChat(IDictionary<string, object> resolved, ChatEncoder encoder, string modelPath, string? tokenizerPath)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        ArgumentNullException.ThrowIfNull(encoder);
        var file = System.IO.Path.GetFullPath(TokenizerLoader.ResolveFile(TokenizerLocator.Find(modelPath, tokenizerPath)));
        resolved[TokenizerKey] = new JsonObject { ["path"] = file, ["sha256"] = RunFolder.Sha256File(file) };
        resolved[ChatTemplateKey] = new JsonObject
        {
            ["origin"] = encoder.TemplateSource, ["source"] = encoder.Template.Source, ["bos_token"] = encoder.BosToken, ["eos_token"] = encoder.EosToken,
        };
    }

    /// <summary>The chat template a manifest records (<see cref="AddChat"/>), or null when it records none.</summary>
    public static RunChatTemplate? ReadChatTemplate(JsonObject manifestRoot, string manifestPath)
    {
        ArgumentNullException.ThrowIfNull(manifestRoot);
        if (manifestRoot["resolved"]?[ChatTemplateKey] is not JsonObject chat) return null;
        string? Text(string key) => chat[key] switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out string? s) => s,
            _ => throw new TrainingException($"{manifestPath}: resolved.{ChatTemplateKey}.{key} must be a string."),
        };
        return Text("source") is { } source ? new RunChatTemplate(source, Text("origin") ?? "run.json", Text("bos_token"), Text("eos_token")) : null;
    }

    /// <summary>
    /// The chat template a run recorded before Hone kept it would have used: the built-in <paramref name="templateName"/>,
    /// else the base model's own; null when the base has none (or its tokenizer is gone).
    /// </summary>
    public static RunChatTemplate? ChatTemplateOf(string modelPath, string? tokenizerPath, string? templateName)
    {
        try
        {
            var encoder = ChatEncoder.Load(modelPath, tokenizerPath, templateName);
            return new RunChatTemplate(encoder.Template.Source, encoder.TemplateSource, encoder.BosToken, encoder.EosToken);
        }
        catch (Exception e) when (e is ChatTemplateException or TokenizerFormatException or FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>LoRA settings as stored in a manifest (the exporter reads <c>alpha</c> and <c>dropout</c> from here).</summary>
    public static JsonObject LoraToJson(LoraOptions lora)
    {
        ArgumentNullException.ThrowIfNull(lora);
        var json = new JsonObject
        {
            ["rank"] = lora.Rank, ["alpha"] = lora.Alpha, ["dropout"] = lora.Dropout, ["seed"] = lora.Seed,
            ["target_modules"] = new JsonArray([.. lora.TargetModules.Select(t => JsonValue.Create(t))]),
        };
        if (lora.ModulesToSave.Count > 0) json["modules_to_save"] = new JsonArray([.. lora.ModulesToSave.Select(t => JsonValue.Create(t))]);
        if (lora.BaseType == LoraBaseType.BF16) json["base_type"] = "bf16";
        if (lora.TrainableTokenIndices.Count > 0)
            json["trainable_token_indices"] = new JsonArray([.. lora.TrainableTokenIndices.Distinct().Order().Select(t => JsonValue.Create(t))]);
        return json;
    }

    /// <summary>The inverse of <see cref="LoraToJson"/>.</summary>
    public static LoraOptions LoraFromJson(JsonNode? node)
    {
        var lora = node!.AsObject();
        return new LoraOptions
        {
            Rank = (int)lora["rank"]!, Alpha = (float)lora["alpha"]!, Dropout = (float)lora["dropout"]!, Seed = (int)lora["seed"]!,
            TargetModules = [.. lora["target_modules"]!.AsArray().Select(x => (string)x!)],
            ModulesToSave = lora["modules_to_save"] is JsonArray saved ? [.. saved.Select(x => (string)x!)] : [],
            BaseType = (string?)lora["base_type"] == "bf16" ? LoraBaseType.BF16 : LoraBaseType.F32,
            TrainableTokenIndices = lora["trainable_token_indices"] is JsonArray ids ? [.. ids.Select(x => (int)x!)] : [],
        };
    }

    /// <summary>Runs <paramref name="read"/>, turning a manifest that does not read back into a clear error naming it.</summary>
    public static T ReadBack<T>(string source, Func<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException or JsonException)
        {
            throw new TrainingException($"{source}: the run's options cannot be read back ({e.Message}); the manifest was edited or is from another Hone version.", e);
        }
    }
}
