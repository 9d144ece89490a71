using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Formats;
using Hone.Formats.Safetensors;
using Hone.Models.Llama;

namespace Hone.Models.Adapters;

/// <summary>
/// Reads and writes a PEFT LoRA adapter folder: <c>adapter_config.json</c> (peft_type LORA, r, lora_alpha,
/// lora_dropout, target_modules, bias "none", fan_in_fan_out false, task_type CAUSAL_LM, ...) and
/// <c>adapter_model.safetensors</c> (tensors <c>base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight</c>, ...).
/// Modules trained in full are listed in <c>modules_to_save</c> and stored as PEFT saves them:
/// <c>base_model.model.model.embed_tokens.modules_to_save.weight</c> and <c>base_model.model.lm_head.modules_to_save.weight</c>.
/// Trainable tokens are listed in <c>trainable_token_indices</c> (a list, for embed_tokens, or an object of module to
/// list) and stored as <c>&lt;module path&gt;.token_adapter.trainable_tokens_delta</c> [ids, hidden].
/// </summary>
public static class PeftAdapterFiles
{
    /// <summary>File name of the adapter settings.</summary>
    public const string ConfigFile = "adapter_config.json";

    /// <summary>File name of the adapter tensors.</summary>
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>Largest adapter_config.json accepted.</summary>
    public const long MaxConfigBytes = 1 << 20;

    /// <summary>Largest rank accepted.</summary>
    public const int MaxRank = 4096;

    /// <summary>Writes both files into <paramref name="folder"/> (which must exist).</summary>
    public static void Write(PeftAdapter adapter, string folder)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var config = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(),
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = adapter.BaseModel,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["lora_alpha"] = adapter.Alpha,
            ["lora_dropout"] = adapter.Dropout,
            ["modules_to_save"] = adapter.SavedModules.Count == 0 ? null : new JsonArray([.. adapter.ModulesToSave.Select(m => JsonValue.Create(m))]),
            ["peft_type"] = "LORA",
            ["r"] = adapter.Rank,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = new JsonArray([.. adapter.TargetModules.Select(m => JsonValue.Create(m))]),
            ["task_type"] = "CAUSAL_LM",
            ["use_dora"] = false,
            ["use_rslora"] = adapter.UseRsLora,
        };
        if (adapter.EnsureWeightTying) config["ensure_weight_tying"] = true;
        if (adapter.TrainableTokens.Count > 0)
        {
            var tokens = new JsonObject();
            foreach (var module in LlamaModules.Savable.Where(adapter.TrainableTokens.ContainsKey))
                tokens[module] = new JsonArray([.. adapter.TrainableTokens[module].Indices.Select(i => JsonValue.Create(i))]);
            config["trainable_token_indices"] = tokens;
        }

        File.WriteAllText(Path.Combine(folder, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        foreach (var p in adapter.Pairs)
        {
            int inputs = p.A.Length / adapter.Rank, outputs = p.B.Length / adapter.Rank;
            writer.Add(PeftAdapter.TensorName(p.Layer, p.Module, "A"), [adapter.Rank, inputs], p.A);
            writer.Add(PeftAdapter.TensorName(p.Layer, p.Module, "B"), [outputs, adapter.Rank], p.B);
        }

        foreach (var module in adapter.ModulesToSave)
        {
            var m = adapter.SavedModules[module];
            writer.Add(PeftAdapter.SavedModuleName(module), [m.Rows, m.Columns], m.Values);
        }
        foreach (var module in LlamaModules.Savable.Where(adapter.TrainableTokens.ContainsKey))
        {
            var rows = adapter.TrainableTokens[module];
            writer.Add(PeftAdapter.TokenRowsName(module), [rows.Indices.Count, rows.Columns], rows.Values);
        }

        writer.Write(Path.Combine(folder, WeightsFile));
    }

    /// <summary>Reads an adapter folder; every field and tensor is checked (shapes against the base come later, in <see cref="PeftAdapter.Validate"/>).</summary>
    /// <exception cref="ModelLoadException">A file is missing or invalid, or the adapter uses a PEFT feature Hone does not apply.</exception>
    public static PeftAdapter Read(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
            throw new ModelLoadException($"{folder}: no such adapter folder; give a folder holding {ConfigFile} and {WeightsFile} (hone export RUN --format adapter writes one).") { FilePath = folder };
        var configPath = Path.Combine(folder, ConfigFile);
        var weightsPath = Path.Combine(folder, WeightsFile);
        if (!File.Exists(configPath)) throw Bad(folder, $"no {ConfigFile} in the folder; is it a PEFT LoRA adapter?");
        if (!File.Exists(weightsPath)) throw Bad(folder, $"no {WeightsFile} in the folder (Hone reads safetensors adapters, not adapter_model.bin).");
        var settings = ReadConfig(configPath);
        var (pairs, saved, tokens) = ReadTensors(weightsPath, settings);
        return settings with { Pairs = pairs, SavedModules = saved, TrainableTokens = tokens };
    }

    private static PeftAdapter ReadConfig(string path)
    {
        if (new FileInfo(path).Length > MaxConfigBytes) throw Bad(path, $"larger than {MaxConfigBytes} bytes.");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { MaxDepth = 32 }) as JsonObject
                   ?? throw Bad(path, "must hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{path}:{(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}: not valid JSON: {e.Message}", e) { FilePath = path };
        }

        string? Str(string key) => root[key] is JsonValue v && v.TryGetValue(out string? s) ? s : root[key] is null ? null : throw Bad(path, $"\"{key}\" must be a string.");
        bool Flag(string key) => root[key] is null ? false : root[key] is JsonValue v && v.TryGetValue(out bool b) ? b : throw Bad(path, $"\"{key}\" must be true or false.");
        double Num(string key) => root[key] is JsonValue v && v.TryGetValue(out double d) ? d : throw Bad(path, $"\"{key}\" must be a number.");
        bool Empty(string key) => root[key] is null || root[key] is JsonObject { Count: 0 } || root[key] is JsonArray { Count: 0 };

        var type = Str("peft_type");
        if (type != "LORA") throw Bad(path, $"peft_type \"{type}\" is not LORA; Hone applies LoRA adapters only.");
        if (Str("task_type") is { } task && task != "CAUSAL_LM") throw Bad(path, $"task_type \"{task}\" is not CAUSAL_LM.");
        double r = Num("r");
        if (r != Math.Floor(r) || r < 1 || r > MaxRank) throw Bad(path, $"r = {r} must be a whole number in 1..{MaxRank}.");
        double alpha = root["lora_alpha"] is null ? r : Num("lora_alpha");
        if (!(alpha > 0) || double.IsInfinity(alpha)) throw Bad(path, $"lora_alpha = {alpha} must be positive.");
        double dropout = root["lora_dropout"] is null ? 0 : Num("lora_dropout");
        if (Str("bias") is { } bias && bias != "none") throw Bad(path, $"bias \"{bias}\" is not supported; Hone applies adapters trained with bias \"none\".");
        if (Flag("fan_in_fan_out")) throw Bad(path, "fan_in_fan_out = true is for GPT-2 style Conv1D layers; a Llama-family adapter has it false.");
        if (Flag("use_dora")) throw Bad(path, "use_dora = true (DoRA) is not supported; train a plain LoRA adapter.");
        foreach (var key in new[] { "rank_pattern", "alpha_pattern", "layers_to_transform" })
            if (!Empty(key)) throw Bad(path, $"\"{key}\" is set; Hone applies uniform adapters only (remove it or re-export without it).");
        IReadOnlyList<string> targets = root["target_modules"] switch
        {
            JsonArray a => [.. a.Select(x => x is JsonValue v && v.TryGetValue(out string? s) ? s : throw Bad(path, "target_modules must list strings."))],
            JsonValue v when v.TryGetValue(out string? s) && s == "all-linear" => PeftAdapter.Modules,
            JsonValue v when v.TryGetValue(out string? s) => throw Bad(path, $"target_modules \"{s}\" is a regular expression; Hone reads a list of module names or \"all-linear\"."),
            _ => throw Bad(path, "target_modules is missing; list the adapted modules (e.g. [\"q_proj\", \"v_proj\"])."),
        };
        foreach (var m in targets)
            if (!PeftAdapter.Modules.Contains(m)) throw Bad(path, $"target module \"{m}\" is not a Llama linear layer; use {string.Join(", ", PeftAdapter.Modules)}.");
        IReadOnlyList<string> saved = root["modules_to_save"] switch
        {
            null => [],
            JsonArray a => [.. a.Select(x => x is JsonValue v && v.TryGetValue(out string? s) && LlamaModules.Savable.Contains(s) ? s
                : throw Bad(path, $"modules_to_save lists {x?.ToJsonString() ?? "null"}; Hone applies embed_tokens and lm_head trained in full."))],
            _ => throw Bad(path, "modules_to_save must be a list of module names (embed_tokens, lm_head) or null."),
        };
        int TokenId(JsonNode? x) => x is JsonValue v && v.TryGetValue(out double d) && d == Math.Floor(d) && d is >= 0 and <= int.MaxValue
            ? (int)d : throw Bad(path, $"trainable_token_indices lists {x?.ToJsonString() ?? "null"}; token ids are whole numbers ≥ 0.");
        var tokens = new Dictionary<string, TokenRows>(StringComparer.Ordinal);
        switch (root["trainable_token_indices"])
        {
            case null:
                break;
            case JsonArray a:
                tokens[LlamaModules.EmbedTokens] = new TokenRows([.. a.Select(TokenId)], 0, []);
                break;
            case JsonObject o:
                foreach (var (module, list) in o)
                {
                    if (!LlamaModules.Savable.Contains(module) || list is not JsonArray ids)
                        throw Bad(path, $"trainable_token_indices names \"{module}\"; Hone applies token rows of embed_tokens and lm_head, each a list of ids.");
                    tokens[module] = new TokenRows([.. ids.Select(TokenId)], 0, []);
                }

                break;
            default:
                throw Bad(path, "trainable_token_indices must be a list of token ids or an object of module name to list of ids.");
        }

        return new PeftAdapter
        {
            TrainableTokens = tokens,
            SavedModules = saved.Distinct().ToDictionary(m => m, _ => new SavedModule(0, 0, [])),
            EnsureWeightTying = Flag("ensure_weight_tying"),
            Rank = (int)r,
            Alpha = (float)alpha,
            Dropout = (float)dropout,
            UseRsLora = Flag("use_rslora"),
            TargetModules = targets,
            BaseModel = Str("base_model_name_or_path"),
            Pairs = [],
        };
    }

    private static (List<LoraPair> Pairs, Dictionary<string, SavedModule> Saved, Dictionary<string, TokenRows> Tokens) ReadTensors(string path, PeftAdapter settings)
    {
        SafetensorsFile file;
        try
        {
            file = SafetensorsFile.Open(path);
        }
        catch (HoneFormatException e)
        {
            throw new ModelLoadException($"{path}: not a valid safetensors file: {e.Message}", e) { FilePath = path };
        }

        using (file)
        {
            var found = new SortedDictionary<(int Layer, int Module), (float[]? A, float[]? B)>();
            var saved = new Dictionary<string, SavedModule>(StringComparer.Ordinal);
            var tokens = new Dictionary<string, TokenRows>(StringComparer.Ordinal);
            foreach (var t in file.Tensors)
            {
                if (TryParseTokenRowsName(t.Name, out string tokenModule))
                {
                    if (settings.TrainableTokens.GetValueOrDefault(tokenModule) is not { } listed)
                        throw Bad(path, $"tensor '{t.Name}' holds trainable-token rows of {tokenModule}, which trainable_token_indices does not list.");
                    long k = t.Shape.Count == 2 ? t.Shape[0] : -1, d = t.Shape.Count == 2 ? t.Shape[1] : -1;
                    if (k != listed.Indices.Count || d < 1 || k * d > int.MaxValue)
                        throw Bad(path, $"tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}]; it must be [{listed.Indices.Count}, hidden], one row per id trainable_token_indices lists for {tokenModule}.");
                    tokens[tokenModule] = listed with { Columns = (int)d, Values = ReadF32(file, t, k * d, path) };
                    continue;
                }

                if (TryParseSavedName(t.Name, out string savedModule))
                {
                    if (!settings.SavedModules.ContainsKey(savedModule))
                        throw Bad(path, $"tensor '{t.Name}' is a module trained in full ({savedModule}), which modules_to_save does not list.");
                    long r = t.Shape.Count == 2 ? t.Shape[0] : -1, c = t.Shape.Count == 2 ? t.Shape[1] : -1;
                    if (r < 1 || c < 1 || r * c > int.MaxValue)
                        throw Bad(path, $"tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}]; {savedModule} must be [vocab, hidden].");
                    saved[savedModule] = new SavedModule((int)r, (int)c, ReadF32(file, t, r * c, path));
                    continue;
                }

                if (!TryParseTensorName(t.Name, out int layer, out string module, out string matrix))
                    throw Bad(path, $"tensor '{t.Name}' is not a LoRA matrix of a Llama layer (expected base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight and the like).");
                if (!settings.TargetModules.Contains(module))
                    throw Bad(path, $"tensor '{t.Name}' adapts {module}, which target_modules ({string.Join(", ", settings.TargetModules)}) does not list.");
                long rows = t.Shape.Count == 2 ? t.Shape[0] : -1, cols = t.Shape.Count == 2 ? t.Shape[1] : -1;
                if (rows < 1 || cols < 1 || (matrix == "A" ? rows : cols) != settings.Rank || rows * cols > int.MaxValue)
                    throw Bad(path, $"tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}]; lora_{matrix} must be {(matrix == "A" ? "[r, in]" : "[out, r]")} with r = {settings.Rank}.");
                var values = ReadF32(file, t, rows * cols, path);
                var key = (layer, Array.IndexOf(PeftAdapter.Modules.ToArray(), module));
                found.TryGetValue(key, out var pair);
                found[key] = matrix == "A" ? (values, pair.B) : (pair.A, values);
            }

            var list = new List<LoraPair>();
            foreach (var ((layer, m), (a, b)) in found)
            {
                var module = PeftAdapter.Modules[m];
                if (a is null || b is null)
                    throw Bad(path, $"{PeftAdapter.TensorName(layer, module, a is null ? "A" : "B")} is missing; every lora_A needs its lora_B.");
                list.Add(new LoraPair(layer, module, a, b));
            }

            foreach (var m in settings.SavedModules.Keys)
                if (!saved.ContainsKey(m)) throw Bad(path, $"{PeftAdapter.SavedModuleName(m)} is missing; modules_to_save lists {m}.");
            foreach (var m in settings.TrainableTokens.Keys)
                if (!tokens.ContainsKey(m)) throw Bad(path, $"{PeftAdapter.TokenRowsName(m)} is missing; trainable_token_indices lists {m}.");
            if (list.Count == 0 && saved.Count == 0 && tokens.Count == 0) throw Bad(path, "holds no LoRA tensors.");
            return (list, saved, tokens);
        }
    }

    private static float[] ReadF32(SafetensorsFile file, SafetensorsTensorInfo t, long count, string path)
    {
        var values = new float[count];
        try
        {
            SafetensorsConvert.ToF32(t.Dtype, file.GetBytes(t.Name), values, path, t.Name);
        }
        catch (Exception e) when (e is HoneFormatException or ArgumentException or NotSupportedException)
        {
            throw new ModelLoadException($"{path}: tensor '{t.Name}' ({t.Dtype}) cannot be read as float32: {e.Message}", e) { FilePath = path };
        }

        return values;
    }

    /// <summary>
    /// Parses the PEFT name of a module trained in full: base_model.model.model.embed_tokens.modules_to_save[.ADAPTER].weight
    /// or base_model.model.lm_head.modules_to_save[.ADAPTER].weight; <paramref name="module"/> is embed_tokens or lm_head.
    /// </summary>
    public static bool TryParseSavedName(string name, out string module)
    {
        ArgumentNullException.ThrowIfNull(name);
        module = "";
        var parts = name.Split('.');
        if (parts.Length < 5 || parts[0] != "base_model" || parts[1] != "model" || parts[^1] != "weight") return false;
        int at = parts[2] == "model" && parts[3] == LlamaModules.EmbedTokens ? 4 : parts[2] == LlamaModules.LmHead ? 3 : -1;
        if (at < 0 || parts[at] != "modules_to_save" || parts.Length - at - 1 is not (1 or 2)) return false;
        module = at == 4 ? LlamaModules.EmbedTokens : LlamaModules.LmHead;
        return true;
    }

    /// <summary>
    /// Parses the PEFT name of a module's trainable-token rows: base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta[.ADAPTER]
    /// or base_model.model.lm_head.token_adapter.trainable_tokens_delta[.ADAPTER]; <paramref name="module"/> is embed_tokens or lm_head.
    /// </summary>
    public static bool TryParseTokenRowsName(string name, out string module)
    {
        ArgumentNullException.ThrowIfNull(name);
        module = "";
        var parts = name.Split('.');
        if (parts.Length < 5 || parts[0] != "base_model" || parts[1] != "model") return false;
        int at = parts[2] == "model" && parts.Length > 3 && parts[3] == LlamaModules.EmbedTokens ? 4 : parts[2] == LlamaModules.LmHead ? 3 : -1;
        if (at < 0 || parts.Length - at is not (2 or 3) || parts[at] != "token_adapter" || parts[at + 1] != "trainable_tokens_delta") return false;
        module = at == 4 ? LlamaModules.EmbedTokens : LlamaModules.LmHead;
        return true;
    }

    /// <summary>Parses a PEFT tensor name base_model.model.model.layers.N.(self_attn or mlp).MODULE.lora_(A or B)[.ADAPTER].weight; <paramref name="matrix"/> is "A" or "B".</summary>
    public static bool TryParseTensorName(string name, out int layer, out string module, out string matrix)
    {
        layer = -1;
        module = matrix = "";
        var parts = name.Split('.');
        if (parts.Length is not (9 or 10) || parts[0] != "base_model" || parts[1] != "model" || parts[2] != "model" || parts[3] != "layers" || parts[^1] != "weight")
            return false;
        if (!int.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out layer)) return false;
        module = parts[6];
        if (!PeftAdapter.Modules.Contains(module) || parts[5] != LlamaModules.BlockOf(module)) return false;
        matrix = parts[7] switch { "lora_A" => "A", "lora_B" => "B", _ => "" };
        return matrix.Length > 0;
    }

    private static ModelLoadException Bad(string path, string what) => new($"{path}: {what}") { FilePath = path };
}
