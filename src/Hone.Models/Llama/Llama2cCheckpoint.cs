using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Hone.Models.Llama;

/// <summary>
/// Reads Andrej Karpathy's llama2.c checkpoints: the legacy format (7 int32 header, negative vocab = unshared classifier,
/// freq_cis tables stored and skipped) and version 1 ("ak42" magic, 256-byte header, norms first). The weights keep
/// llama2.c's interleaved RoPE layout (<see cref="RopeLayout.Interleaved"/>).
/// </summary>
/// <remarks>Private to Hone.Models until Hone.Formats ships its own llama2.c reader.</remarks>
public static class Llama2cCheckpoint
{
    /// <summary>Magic of the version-1 header ("ak42" little-endian).</summary>
    public const uint Magic = 0x616b3432;

    private const int LegacyHeaderBytes = 7 * sizeof(int);
    private const int V1HeaderBytes = 256;

    /// <summary>Reads the header of a llama2.c file and returns its configuration.</summary>
    /// <exception cref="ModelLoadException">The file is missing, truncated or inconsistent.</exception>
    public static LlamaConfig ReadConfig(string path) => ReadHeader(path).Config;

    /// <summary>Loads a llama2.c checkpoint (legacy or version 1) into a new arena.</summary>
    /// <exception cref="ModelLoadException">The file is missing, truncated, too long or inconsistent.</exception>
    public static LlamaWeights Load(string path)
    {
        var header = ReadHeader(path);
        var c = header.Config;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        stream.Position = header.DataOffset;
        var weights = LlamaWeights.Create(c);
        try
        {
            int hs = c.HeadDim;
            Span<string> perLayer = header.Version == 0
                ? ["input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight",
                   "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.down_proj.weight", "mlp.up_proj.weight"]
                : ["self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight",
                   "mlp.gate_proj.weight", "mlp.down_proj.weight", "mlp.up_proj.weight"];
            var a = weights.Arena;
            void ReadLayers(string suffix)
            {
                for (int l = 0; l < c.Layers; l++)
                {
                    ReadInto(stream, a[LlamaWeights.LayerName(l, suffix)].Span, path);
                }
            }

            if (header.Version == 0)
            {
                ReadInto(stream, weights.TokenEmbedding.Span, path);
                foreach (var s in perLayer)
                {
                    ReadLayers(s);
                }

                ReadInto(stream, weights.FinalNorm.Span, path);
                stream.Position += 2L * c.MaxSeqLen * (hs / 2) * sizeof(float); // freq_cis_real, freq_cis_imag
            }
            else
            {
                ReadLayers("input_layernorm.weight");
                ReadLayers("post_attention_layernorm.weight");
                ReadInto(stream, weights.FinalNorm.Span, path);
                ReadInto(stream, weights.TokenEmbedding.Span, path);
                foreach (var s in perLayer)
                {
                    ReadLayers(s);
                }
            }

            if (!c.TiedEmbeddings)
            {
                ReadInto(stream, weights.Classifier.Span, path);
            }

            return weights;
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    private static void ReadInto(Stream stream, Span<float> dst, string path)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("llama2.c checkpoints are read on little-endian hosts only.");
        }

        long at = stream.Position;
        try
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(dst));
        }
        catch (EndOfStreamException e)
        {
            throw new ModelLoadException($"{path}: truncated at byte {at}: expected {dst.Length} more floats. The file is incomplete; download or export it again.", e) { FilePath = path };
        }
    }

    private sealed record Header(LlamaConfig Config, int Version, long DataOffset);

    private static Header ReadHeader(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"{path}: no such file (expected a llama2.c checkpoint .bin).") { FilePath = path };
        }

        long fileLength = new FileInfo(path).Length;
        var head = new byte[V1HeaderBytes];
        int got;
        using (var s = File.OpenRead(path))
        {
            got = s.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        if (got < LegacyHeaderBytes)
        {
            throw new ModelLoadException($"{path}: {got} bytes is too short for a llama2.c header (28 bytes at least).") { FilePath = path };
        }

        int Int(int index) => BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(index * 4));
        int version;
        int p; // index of the first of the 7 config ints
        bool shared;
        long dataOffset;
        if (BinaryPrimitives.ReadUInt32LittleEndian(head) == Magic)
        {
            if (got < V1HeaderBytes)
            {
                throw new ModelLoadException($"{path}: version-1 llama2.c header is truncated ({got} of 256 bytes).") { FilePath = path };
            }

            version = Int(1);
            if (version != 1)
            {
                throw new ModelLoadException($"{path}: llama2.c format version {version} at byte 4 is not supported; only legacy and version 1 (float32) are. Re-export with export.py --version 1.") { FilePath = path };
            }

            p = 2;
            byte flag = head[9 * 4];
            if (flag > 1)
            {
                throw new ModelLoadException($"{path}: shared_classifier flag at byte 36 is {flag}; it must be 0 or 1.") { FilePath = path };
            }

            shared = flag == 1;
            dataOffset = V1HeaderBytes;
        }
        else
        {
            version = 0;
            p = 0;
            shared = Int(5) > 0;
            dataOffset = LegacyHeaderBytes;
        }

        int dim = Int(p), hidden = Int(p + 1), layers = Int(p + 2), heads = Int(p + 3), kvHeads = Int(p + 4);
        int vocab = Math.Abs(Int(p + 5)), seq = Int(p + 6);
        if (heads <= 0 || dim <= 0 || dim % heads != 0)
        {
            throw new ModelLoadException($"{path}: header says dim {dim} and n_heads {heads}; dim must be a positive multiple of n_heads. Is this a llama2.c checkpoint?") { FilePath = path };
        }

        var config = new LlamaConfig
        {
            ModelType = "llama2.c",
            Dim = dim,
            HiddenDim = hidden,
            Layers = layers,
            Heads = heads,
            KvHeads = kvHeads,
            HeadDim = dim / heads,
            VocabSize = vocab,
            MaxSeqLen = seq,
            RmsEps = 1e-5f,
            RopeTheta = 10000f,
            RopeLayout = RopeLayout.Interleaved,
            TiedEmbeddings = shared,
            BosId = 1,
            EosIds = [2],
        }.Validate(path);

        long floats = ExpectedFloats(config, version);
        long expected = checked(dataOffset + (floats * sizeof(float)));
        if (fileLength != expected)
        {
            throw new ModelLoadException(
                $"{path}: is {fileLength} bytes but a {(version == 0 ? "legacy" : "version-1")} llama2.c checkpoint with this header ({config.Describe()}, shared classifier {shared}) must be exactly {expected}. The file is truncated or the header is wrong.") { FilePath = path };
        }

        return new Header(config, version, dataOffset);
    }

    private static long ExpectedFloats(LlamaConfig c, int version)
    {
        checked
        {
            long perLayer = (2L * c.Dim) + ((long)c.Dim * c.QDim * 2) + ((long)c.Dim * c.KvDim * 2) + (3L * c.Dim * c.HiddenDim);
            long n = ((long)c.VocabSize * c.Dim) + (perLayer * c.Layers) + c.Dim;
            if (version == 0)
            {
                n += (long)c.MaxSeqLen * c.HeadDim; // freq_cis_real + freq_cis_imag, each [seq, head_dim/2]
            }

            if (!c.TiedEmbeddings)
            {
                n += (long)c.VocabSize * c.Dim;
            }

            return n;
        }
    }
}
