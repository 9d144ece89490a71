using Hone.Formats.Gguf;

namespace Hone.Formats.Inspection;

/// <summary>Inspection of GGUF files (llama.cpp key conventions: <c>{arch}.embedding_length</c> and so on).</summary>
internal static class GgufInspector
{
    public static ModelInfo Inspect(string path)
    {
        using var g = GgufFile.Open(path);
        var arch = g.GetOr<string?>("general.architecture", null) ?? "unknown";
        int? U(string key) => g.Metadata.TryGetValue($"{arch}.{key}", out var v) ? ToInt(v) : null;
        var heads = U("attention.head_count");
        var dim = U("embedding_length");
        var tokens = g.GetOr<string[]?>(LlamaGguf.Keys.Tokens, null);
        var headDim = U("attention.key_length") ?? (dim is { } d && heads is > 0 ? d / heads : null);
        double? theta = g.Metadata.TryGetValue($"{arch}.rope.freq_base", out var fb) && fb is float f ? f : null;
        var parameters = g.Tensors.Select(t => (t.Name, t.ElementCount)).ToList();
        var special = new List<SpecialToken>();
        foreach (var role in new[] { "bos", "eos", "unknown", "padding" })
        {
            if (!g.Metadata.TryGetValue($"tokenizer.ggml.{role}_token_id", out var idv) || ToInt(idv) is not { } id) continue;
            var text = tokens is not null && id >= 0 && id < tokens.Length ? tokens[id] : "";
            special.Add(new SpecialToken(role switch { "unknown" => "unk", "padding" => "pad", _ => role }, text, id));
        }
        return new ModelInfo
        {
            Format = ModelFormat.Gguf,
            Architecture = arch,
            Dim = dim,
            Layers = U("block_count"),
            Heads = heads,
            KvHeads = U("attention.head_count_kv") ?? heads,
            HeadDim = headDim,
            FfnDim = U("feed_forward_length"),
            VocabSize = U("vocab_size") ?? tokens?.Length,
            ContextLength = U("context_length"),
            RopeTheta = theta,
            TiedEmbeddings = g.Tensors.Count == 0 ? null : !g.HasTensor(LlamaGguf.Output),
            ParameterCount = parameters.Sum(p => p.ElementCount),
            ParametersByGroup = ParameterGroups.Sum(parameters),
            Dtypes = g.Tensors.Select(t => t.Type.ToString()).Distinct().Order(StringComparer.Ordinal).ToList(),
            SpecialTokens = special,
            HasChatTemplate = g.Metadata.TryGetValue(LlamaGguf.Keys.ChatTemplate, out var ct) && ct is string { Length: > 0 },
            Files = [g.Path],
        };
    }

    private static int? ToInt(object v) => v switch
    {
        uint u when u <= int.MaxValue => (int)u,
        int i => i,
        ulong ul when ul <= int.MaxValue => (int)ul,
        long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
        ushort us => us,
        short s => s,
        byte b => b,
        sbyte sb => sb,
        _ => null,
    };
}
