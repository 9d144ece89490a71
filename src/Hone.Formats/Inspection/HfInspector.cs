using System.Text.Json;
using Hone.Formats.Safetensors;

namespace Hone.Formats.Inspection;

/// <summary>Inspection of Hugging Face folders: config.json, safetensors weights, tokenizer_config.json, tokenizer.json.</summary>
internal static class HfInspector
{
    /// <summary>Largest JSON file read (tokenizer.json of big vocabularies is tens of MB).</summary>
    private const long MaxJsonBytes = 256L << 20;

    public static ModelInfo InspectFolder(string dir)
    {
        var hasIndex = File.Exists(Path.Combine(dir, "model.safetensors.index.json"));
        var hasSingle = File.Exists(Path.Combine(dir, "model.safetensors"));
        if (!hasIndex && !hasSingle)
        {
            if (!File.Exists(Path.Combine(dir, "config.json")))
                throw new ModelInspectException($"{dir}: neither config.json nor model.safetensors(.index.json) here; this is not a Hugging Face model folder") { FilePath = dir };
            return Build(dir, weights: null, hasWeights: false);
        }
        return InspectWeights(dir, dir);
    }

    public static ModelInfo InspectWeights(string weightsPath, string dir)
    {
        using var ckpt = SafetensorsCheckpoint.Open(weightsPath);
        return Build(dir, ckpt, hasWeights: true);
    }

    private static ModelInfo Build(string dir, SafetensorsCheckpoint? weights, bool hasWeights)
    {
        using var config = ReadJson(Path.Combine(dir, "config.json"));
        using var tokConfig = ReadJson(Path.Combine(dir, "tokenizer_config.json"));
        using var tokenizer = ReadJson(Path.Combine(dir, "tokenizer.json"));
        var c = config?.RootElement;
        if (c is { ValueKind: not JsonValueKind.Object })
            throw new ModelInspectException($"{Path.Combine(dir, "config.json")}: must be a JSON object") { FilePath = Path.Combine(dir, "config.json") };
        // GPT-2 style configs carry text_config-less flat fields with other names.
        int? I(params string[] keys) => c is { } e ? FirstInt(e, keys) : null;
        var dim = I("hidden_size", "n_embd", "d_model");
        var heads = I("num_attention_heads", "n_head");
        var tensors = weights?.Tensors.Select(t => (t.Name, t.ElementCount)).ToList() ?? [];
        var hasLmHead = weights?.HasTensor("lm_head.weight") ?? false;
        bool? tied = c is { } ce && ce.TryGetProperty("tie_word_embeddings", out var tw) && tw.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? tw.GetBoolean()
            : hasWeights ? !hasLmHead : null;
        double? theta = c is { } ct && ct.TryGetProperty("rope_theta", out var rt) && rt.ValueKind == JsonValueKind.Number ? rt.GetDouble() : null;
        var files = Directory.Exists(dir)
            ? Directory.GetFiles(dir).Where(f => IsModelFile(Path.GetFileName(f))).Order(StringComparer.Ordinal).ToList()
            : [];
        if (weights is not null)
            foreach (var f in weights.Files)
                if (!files.Contains(f.Path)) files.Add(f.Path);
        return new ModelInfo
        {
            Format = ModelFormat.HuggingFace,
            Architecture = c is { } cm && cm.TryGetProperty("model_type", out var mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString()! : "unknown",
            Dim = dim,
            Layers = I("num_hidden_layers", "n_layer", "num_layers"),
            Heads = heads,
            KvHeads = I("num_key_value_heads") ?? heads,
            HeadDim = I("head_dim") ?? (dim is { } d && heads is > 0 ? d / heads : null),
            FfnDim = I("intermediate_size", "n_inner") ?? (c is { } g && g.TryGetProperty("n_embd", out _) && dim is { } gd ? 4 * gd : null),
            VocabSize = I("vocab_size"),
            ContextLength = I("max_position_embeddings", "n_positions", "n_ctx"),
            RopeTheta = theta,
            TiedEmbeddings = tied,
            ParameterCount = tensors.Sum(t => t.ElementCount),
            ParametersByGroup = ParameterGroups.Sum(tensors),
            Dtypes = weights?.Tensors.Select(t => t.Dtype.ToString()).Distinct().Order(StringComparer.Ordinal).ToList() ?? [],
            SpecialTokens = SpecialTokens(c, tokConfig?.RootElement, tokenizer?.RootElement),
            HasChatTemplate = HasTemplate(tokConfig?.RootElement) || File.Exists(Path.Combine(dir, "chat_template.jinja")) || File.Exists(Path.Combine(dir, "chat_template.json")),
            Files = files.Order(StringComparer.Ordinal).ToList(),
        };
    }

    private static bool IsModelFile(string name) =>
        name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ||
        name.EndsWith(".jinja", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".model", StringComparison.OrdinalIgnoreCase) ||
        name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase);

    private static bool HasTemplate(JsonElement? tc) =>
        tc is { ValueKind: JsonValueKind.Object } t && t.TryGetProperty("chat_template", out var ct) &&
        (ct.ValueKind == JsonValueKind.String && ct.GetString()!.Length > 0 || ct.ValueKind == JsonValueKind.Array && ct.GetArrayLength() > 0);

    private static List<SpecialToken> SpecialTokens(JsonElement? config, JsonElement? tokConfig, JsonElement? tokenizer)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        if (tokenizer is { ValueKind: JsonValueKind.Object } tj && tj.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            foreach (var a in added.EnumerateArray())
                if (a.ValueKind == JsonValueKind.Object && a.TryGetProperty("content", out var ac) && ac.ValueKind == JsonValueKind.String &&
                    a.TryGetProperty("id", out var ai) && ai.TryGetInt32(out var id))
                    ids.TryAdd(ac.GetString()!, id);
        var result = new List<SpecialToken>();
        foreach (var role in new[] { "bos", "eos", "unk", "pad" })
        {
            string? text = null;
            if (tokConfig is { ValueKind: JsonValueKind.Object } t && t.TryGetProperty(role + "_token", out var v))
                text = v.ValueKind == JsonValueKind.String ? v.GetString()
                    : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var vc) && vc.ValueKind == JsonValueKind.String ? vc.GetString() : null;
            int? id = text is not null && ids.TryGetValue(text, out var known) ? known : null;
            if (id is null && config is { ValueKind: JsonValueKind.Object } c && c.TryGetProperty(role + "_token_id", out var cid) && cid.TryGetInt32(out var ci)) id = ci;
            if (text is not null || id is not null) result.Add(new SpecialToken(role, text ?? "", id));
        }
        if (tokenizer is { ValueKind: JsonValueKind.Object } tj2 && tj2.TryGetProperty("added_tokens", out var added2) && added2.ValueKind == JsonValueKind.Array)
            foreach (var a in added2.EnumerateArray())
                if (a.ValueKind == JsonValueKind.Object && a.TryGetProperty("special", out var sp) && sp.ValueKind == JsonValueKind.True &&
                    a.TryGetProperty("content", out var ac) && ac.ValueKind == JsonValueKind.String && result.All(r => r.Text != ac.GetString()))
                    result.Add(new SpecialToken("special", ac.GetString()!, a.TryGetProperty("id", out var ai) && ai.TryGetInt32(out var id) ? id : null));
        return result;
    }

    private static int? FirstInt(JsonElement e, string[] keys)
    {
        foreach (var k in keys)
            if (e.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i)) return i;
        return null;
    }

    /// <summary>Parses a JSON file, or null when it does not exist; too large or malformed is a typed error with line:column.</summary>
    private static JsonDocument? ReadJson(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) return null;
        if (info.Length > MaxJsonBytes)
            throw new ModelInspectException($"{path}: {info.Length} bytes, over the {MaxJsonBytes}-byte cap for a JSON file") { FilePath = path };
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new ModelInspectException($"{path}: not valid UTF-8; JSON files must be UTF-8") { FilePath = path };
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256, AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new ModelInspectException($"{path}:{(e.LineNumber ?? 0) + 1}:{(e.BytePositionInLine ?? 0) + 1}: not valid JSON ({e.Message}); fix or re-download the file", e) { FilePath = path };
        }
        catch (IOException e)
        {
            throw new ModelInspectException($"{path}: cannot read: {e.Message}", e) { FilePath = path };
        }
    }
}
