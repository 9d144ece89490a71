using Hone.Formats.Gguf;
using Hone.Formats.Llama2c;

namespace Hone.Models.Llama;

/// <summary>
/// <see cref="LlamaConfig"/>s read from checkpoint headers other than config.json (llama2.c, GGUF); config.json is
/// <see cref="LlamaConfig"/>'s own reader.
/// </summary>
public static class LlamaConfigSources
{
    /// <summary>GGUF architectures the loader understands (the <c>general.architecture</c> value).</summary>
    public static IReadOnlyList<string> SupportedGgufArchitectures { get; } = ["llama", "mistral", "qwen2", "qwen3"];

    /// <summary>The configuration of a llama2.c checkpoint header (interleaved RoPE, θ = 10000, ε = 1e-5, BOS 1, EOS 2).</summary>
    /// <param name="header">The header as Hone.Formats read it.</param>
    /// <param name="source">Where it came from, for messages.</param>
    public static LlamaConfig FromLlama2c(Llama2cConfig header, string source)
    {
        ArgumentNullException.ThrowIfNull(header);
        return new LlamaConfig
        {
            ModelType = "llama2.c",
            Dim = header.Dim,
            HiddenDim = header.HiddenDim,
            Layers = header.Layers,
            Heads = header.Heads,
            KvHeads = header.KvHeads,
            HeadDim = header.HeadDim,
            VocabSize = header.VocabSize,
            MaxSeqLen = header.SeqLen,
            RmsEps = 1e-5f,
            RopeTheta = 10000f,
            RopeLayout = RopeLayout.Interleaved,
            TiedEmbeddings = header.SharedClassifier,
            BosId = 1,
            EosIds = [2],
        }.Validate(source);
    }

    /// <summary>
    /// The configuration of a GGUF model from its <c>{arch}.*</c> metadata. llama.cpp stores Llama/Mistral Q and K
    /// rows permuted into interleaved pairs, so those get <see cref="RopeLayout.Interleaved"/>; Qwen2/Qwen3 keep the
    /// Hugging Face rows and get <see cref="RopeLayout.HalfRotation"/>.
    /// </summary>
    /// <exception cref="ModelLoadException">A key is missing or of the wrong type, or the architecture is unknown.</exception>
    public static LlamaConfig FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string path = file.Path;
        var arch = file.Metadata.TryGetValue(LlamaGguf.Keys.Architecture, out var a) ? a as string : null;
        if (arch is null)
        {
            throw new ModelLoadException($"{path}: GGUF metadata has no string \"{LlamaGguf.Keys.Architecture}\"; is this a model file?") { FilePath = path };
        }

        if (!SupportedGgufArchitectures.Contains(arch))
        {
            throw new ModelLoadException(
                $"{path}: GGUF architecture \"{arch}\" is not supported; Hone loads {string.Join(", ", SupportedGgufArchitectures)}.") { FilePath = path };
        }

        int? Int(string key)
        {
            if (!file.Metadata.TryGetValue(key, out var v))
            {
                return null;
            }

            long value = v switch
            {
                byte b => b,
                sbyte b => b,
                ushort u => u,
                short s => s,
                uint u => u,
                int i => i,
                ulong u => u > int.MaxValue ? -1 : (long)u,
                long l => l,
                _ => throw new ModelLoadException($"{path}: GGUF metadata \"{key}\" must be an integer, not {v.GetType().Name}.") { FilePath = path },
            };
            return value is >= 0 and <= int.MaxValue ? (int)value
                : throw new ModelLoadException($"{path}: GGUF metadata \"{key}\" = {value} is out of range.") { FilePath = path };
        }

        int Required(string key) => Int(key) ?? throw new ModelLoadException(
            $"{path}: GGUF metadata key \"{key}\" is missing; a {arch} model needs it.") { FilePath = path };

        float? Float(string key) => file.Metadata.TryGetValue(key, out var v)
            ? v switch
            {
                float f => f,
                double d => (float)d,
                _ => throw new ModelLoadException($"{path}: GGUF metadata \"{key}\" must be a float, not {v.GetType().Name}.") { FilePath = path },
            }
            : null;

        if (file.HasTensor("rope_freqs.weight"))
        {
            throw new ModelLoadException(
                $"{path}: the model carries per-frequency RoPE factors (rope_freqs.weight, Llama 3.1 style); Hone reads Llama-3 scaling from config.json only. Load the Hugging Face folder instead.") { FilePath = path };
        }

        if (file.Metadata.TryGetValue($"{arch}.rope.scaling.type", out var scalingType) && scalingType is string st && st != "none")
        {
            throw new ModelLoadException(
                $"{path}: RoPE scaling \"{st}\" ({arch}.rope.scaling.type) is not supported from GGUF; load the Hugging Face folder (config.json rope_scaling) instead.") { FilePath = path };
        }

        int dim = Required($"{arch}.embedding_length");
        int heads = Required($"{arch}.attention.head_count");
        int vocab = Int($"{arch}.vocab_size")
            ?? (file.HasTensor(LlamaGguf.TokenEmbedding) && file.GetTensor(LlamaGguf.TokenEmbedding).Shape is { Count: 2 } s && s[1] <= int.MaxValue ? (int)s[1] : 0);
        int? eos = Int(LlamaGguf.Keys.EosId);
        bool qwen = arch is "qwen2" or "qwen3";
        return new LlamaConfig
        {
            ModelType = arch,
            Dim = dim,
            HiddenDim = Required($"{arch}.feed_forward_length"),
            Layers = Required($"{arch}.block_count"),
            Heads = heads,
            KvHeads = Int($"{arch}.attention.head_count_kv") ?? heads,
            HeadDim = Int($"{arch}.attention.key_length") ?? Int($"{arch}.rope.dimension_count") ?? (heads > 0 ? dim / heads : 0),
            VocabSize = vocab,
            MaxSeqLen = Int($"{arch}.context_length") ?? 2048,
            RmsEps = Float($"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5f,
            RopeTheta = Float($"{arch}.rope.freq_base") ?? 10000f,
            RopeLayout = qwen ? RopeLayout.HalfRotation : RopeLayout.Interleaved,
            TiedEmbeddings = !file.HasTensor(LlamaGguf.Output),
            QkvBias = file.HasTensor("blk.0.attn_q.bias"),
            QkNorm = file.HasTensor("blk.0.attn_q_norm.weight"),
            SlidingWindow = Int($"{arch}.attention.sliding_window"),
            BosId = Int(LlamaGguf.Keys.BosId),
            EosIds = eos is { } e ? [e] : [],
        }.Validate(path);
    }
}
