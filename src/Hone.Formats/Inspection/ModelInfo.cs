namespace Hone.Formats.Inspection;

/// <summary>The file layout a model was read from.</summary>
public enum ModelFormat
{
    /// <summary>A Hugging Face folder (config.json + safetensors) or a lone .safetensors file.</summary>
    HuggingFace,
    /// <summary>A GGUF file.</summary>
    Gguf,
    /// <summary>A llama2.c checkpoint (.bin).</summary>
    Llama2c,
}

/// <summary>A special token the tokenizer files declare.</summary>
/// <param name="Role">bos, eos, unk, pad, or "special" for other added special tokens.</param>
/// <param name="Text">The token's text.</param>
/// <param name="Id">Its id when the files say.</param>
public sealed record SpecialToken(string Role, string Text, int? Id);

/// <summary>What <see cref="ModelInspector.Inspect"/> found. Sizes are null where the files do not say.</summary>
public sealed record ModelInfo
{
    /// <summary>File layout.</summary>
    public required ModelFormat Format { get; init; }
    /// <summary>model_type / general.architecture ("llama", "qwen2", ...); "unknown" when absent.</summary>
    public required string Architecture { get; init; }
    /// <summary>Model (hidden) dimension.</summary>
    public int? Dim { get; init; }
    /// <summary>Transformer layers.</summary>
    public int? Layers { get; init; }
    /// <summary>Query heads.</summary>
    public int? Heads { get; init; }
    /// <summary>Key/value heads.</summary>
    public int? KvHeads { get; init; }
    /// <summary>Head dimension.</summary>
    public int? HeadDim { get; init; }
    /// <summary>FFN hidden dimension.</summary>
    public int? FfnDim { get; init; }
    /// <summary>Vocabulary size.</summary>
    public int? VocabSize { get; init; }
    /// <summary>Context length (max positions).</summary>
    public int? ContextLength { get; init; }
    /// <summary>RoPE theta.</summary>
    public double? RopeTheta { get; init; }
    /// <summary>Whether the classifier shares the token embedding.</summary>
    public bool? TiedEmbeddings { get; init; }
    /// <summary>Distinct trainable parameters (a tied classifier counted once; RoPE tables not counted).</summary>
    public long ParameterCount { get; init; }
    /// <summary>Parameters by group: embedding, attention, mlp, norm, output, other (groups with zero omitted).</summary>
    public IReadOnlyDictionary<string, long> ParametersByGroup { get; init; } = new Dictionary<string, long>();
    /// <summary>Element types present, sorted.</summary>
    public IReadOnlyList<string> Dtypes { get; init; } = [];
    /// <summary>Special tokens from tokenizer_config.json / tokenizer.json / GGUF metadata.</summary>
    public IReadOnlyList<SpecialToken> SpecialTokens { get; init; } = [];
    /// <summary>Whether a chat template is present.</summary>
    public bool HasChatTemplate { get; init; }
    /// <summary>The files that make up the model (absolute paths), sorted.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];
}

/// <summary>A model path cannot be inspected: missing, unreadable, or with a corrupt config; names the file and where.</summary>
public sealed class ModelInspectException : HoneFormatException
{
    /// <summary>Creates the error.</summary>
    public ModelInspectException() { }

    /// <summary>Creates the error with a message.</summary>
    public ModelInspectException(string message) : base(message) { }

    /// <summary>Creates the error with a message and the underlying cause.</summary>
    public ModelInspectException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>Sorting of tensor names into parameter groups.</summary>
public static class ParameterGroups
{
    /// <summary>Group names in report order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["embedding", "attention", "mlp", "norm", "output", "other"];

    /// <summary>The group of a Hugging Face, GGUF or llama2.c tensor name.</summary>
    public static string Of(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var n = name.ToLowerInvariant();
        if (n.Contains("norm", StringComparison.Ordinal) || n.Contains("ln_", StringComparison.Ordinal) || n.StartsWith("rms_", StringComparison.Ordinal)) return "norm";
        if (n.Contains("embed", StringComparison.Ordinal) || n.StartsWith("token_embd", StringComparison.Ordinal) || n.Contains("wte", StringComparison.Ordinal) || n.Contains("wpe", StringComparison.Ordinal)) return "embedding";
        if (n.Contains("lm_head", StringComparison.Ordinal) || n.StartsWith("output.", StringComparison.Ordinal) || n == "wcls") return "output";
        if (n.Contains("attn", StringComparison.Ordinal) || n.Contains("attention", StringComparison.Ordinal) || n is "wq" or "wk" or "wv" or "wo") return "attention";
        if (n.Contains("mlp", StringComparison.Ordinal) || n.Contains("ffn", StringComparison.Ordinal) || n.Contains("feed_forward", StringComparison.Ordinal) || n is "w1" or "w2" or "w3") return "mlp";
        return "other";
    }

    internal static IReadOnlyDictionary<string, long> Sum(IEnumerable<(string Name, long Count)> tensors)
    {
        var d = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, count) in tensors)
        {
            var g = Of(name);
            d[g] = checked(d.GetValueOrDefault(g) + count);
        }
        return Names.Where(d.ContainsKey).ToDictionary(g => g, g => d[g], StringComparer.Ordinal);
    }
}
