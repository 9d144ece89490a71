using Hone.Formats.Gguf;
using Hone.Models.Llama;

namespace Hone.Training.Export;

/// <summary>
/// Writes weights as a llama.cpp GGUF: architecture <c>llama</c> (or <c>qwen2</c>/<c>qwen3</c>) with its
/// <c>{arch}.*</c> hyper-parameters, the tokenizer's <c>tokenizer.ggml.*</c> metadata, and tensors under llama.cpp's
/// names (token_embd, blk.N.attn_q, ...) with ggml shapes; Llama Q/K rows in llama.cpp's interleaved order.
/// </summary>
public static class GgufExport
{
    /// <summary>Builds the GGUF in memory (metadata then tensors); what the user should know about the file goes to <paramref name="notes"/>.</summary>
    /// <exception cref="TrainingException">The configuration cannot be expressed in GGUF (Llama-3 RoPE scaling).</exception>
    public static GgufWriter Build(LlamaWeights weights, string name, GgufExportType type, IEnumerable<KeyValuePair<string, object>> tokenizerMetadata, List<string>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(tokenizerMetadata);
        var c = weights.Config;
        notes?.AddRange(Notes(c));
        if (type is GgufExportType.Q8_0 or GgufExportType.Q4_0 or GgufExportType.Q4_K && LlamaWeights.Manifest(c).Where(m => m.Shape.Length == 2 && m.Shape[1] % 32 != 0).Select(m => m.Name).ToList() is { Count: > 0 } f16)
            notes?.Add($"{f16.Count} matrices have rows that are not a multiple of 32 values ({f16[0]}, ...); they are written F16, as llama.cpp's converter does.");
        if (type is GgufExportType.Q4_K && LlamaWeights.Manifest(c).Where(m => m.Shape.Length == 2 && m.Shape[1] % 256 != 0).Select(m => m.Name).ToList() is { Count: > 0 } q8)
            notes?.Add($"{q8.Count} matrices have rows that are not a multiple of 256 values ({q8[0]}, ...); they are written Q8_0, as llama.cpp falls back to another type for them.");
        if (c.RopeScaling is not null)
            throw new TrainingException("The model uses Llama-3 RoPE scaling, which Hone cannot write into GGUF (llama.cpp needs rope_freqs); export --format merged and convert that folder with llama.cpp's convert_hf_to_gguf.py.");
        string arch = Architecture(c);
        bool interleaved = arch == "llama";
        var w = new GgufWriter();
        w.Add(LlamaGguf.Keys.Architecture, arch);
        w.Add(LlamaGguf.Keys.Name, name);
        w.Add(LlamaGguf.Keys.FileType, type.FileType());
        w.Add($"{arch}.context_length", (uint)c.MaxSeqLen);
        w.Add($"{arch}.embedding_length", (uint)c.Dim);
        w.Add($"{arch}.block_count", (uint)c.Layers);
        w.Add($"{arch}.feed_forward_length", (uint)c.HiddenDim);
        w.Add($"{arch}.attention.head_count", (uint)c.Heads);
        w.Add($"{arch}.attention.head_count_kv", (uint)c.KvHeads);
        w.Add($"{arch}.attention.layer_norm_rms_epsilon", c.RmsEps);
        w.Add($"{arch}.attention.key_length", (uint)c.HeadDim);
        w.Add($"{arch}.attention.value_length", (uint)c.HeadDim);
        w.Add($"{arch}.rope.dimension_count", (uint)c.HeadDim);
        w.Add($"{arch}.rope.freq_base", c.RopeTheta);
        w.Add($"{arch}.vocab_size", (uint)c.VocabSize);
        if (c.SlidingWindow is { } sw) w.Add($"{arch}.attention.sliding_window", (uint)sw);
        foreach (var kv in tokenizerMetadata) w.Add(kv.Key, kv.Value);

        foreach (var (hfName, shape) in LlamaWeights.Manifest(c))
        {
            var ggufName = LlamaGguf.FromHuggingFace(hfName) ?? throw new TrainingException($"Tensor '{hfName}' has no GGUF name.");
            var values = RowOrder(c, hfName, weights.Arena[hfName].Span, interleaved);
            var ggmlShape = shape.Reverse().Select(d => (long)d).ToArray();
            var ggmlType = type.TensorType(shape);
            w.AddTensor(ggufName, ggmlShape, values, ggmlType);
        }

        return w;
    }

    /// <summary>The GGUF architecture a configuration is written as: <c>qwen2</c>/<c>qwen3</c>, else <c>llama</c> (Llama 2/3, Mistral, SmolLM).</summary>
    internal static string Architecture(LlamaConfig c) => c.ModelType is "qwen2" or "qwen3" ? c.ModelType : "llama";

    /// <summary>What a user of the file should know: llama.cpp ignores a sliding window in a <c>llama</c>-architecture file.</summary>
    private static IEnumerable<string> Notes(LlamaConfig c)
    {
        if (c.SlidingWindow is { } w && w < c.MaxSeqLen)
            yield return $"The model attends through a sliding window of {w} tokens; the GGUF records it ({Architecture(c)}.attention.sliding_window) " +
                         $"but llama.cpp ignores it for this architecture and attends to the whole context, so beyond {w} tokens llama.cpp's outputs differ from Hone's.";
    }

    /// <summary>
    /// The tensor in the row order the GGUF architecture expects: <c>llama</c> wants interleaved Q/K rows (llama.cpp's
    /// permutation of Hugging Face weights); <c>qwen2</c>/<c>qwen3</c> keep rotate-half rows.
    /// </summary>
    private static float[] RowOrder(LlamaConfig c, string name, ReadOnlySpan<float> values, bool interleaved)
    {
        int heads = HfFolderExport.QkHeads(c, name);
        bool isInterleaved = c.RopeLayout == RopeLayout.Interleaved;
        if (heads == 0 || isInterleaved == interleaved) return values.ToArray();
        var dst = new float[values.Length];
        int cols = name.EndsWith(".bias", StringComparison.Ordinal) ? 1 : c.Dim;
        if (interleaved) LlamaGguf.PermuteHfToGguf(values, dst, heads, cols);
        else LlamaGguf.PermuteGgufToHf(values, dst, heads, cols);
        return dst;
    }
}
