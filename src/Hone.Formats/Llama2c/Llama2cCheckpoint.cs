using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Hone.Formats.Llama2c;

/// <summary>
/// A memory-mapped llama2.c model checkpoint (legacy or v1 header), validated on <see cref="Open"/>: positive,
/// consistent hyper-parameters and a file length equal to what they imply. Weights are exposed as zero-copy float spans.
/// </summary>
public sealed class Llama2cCheckpoint : IDisposable
{
    /// <summary>"ak42" as a little-endian uint32: the v1 magic.</summary>
    public const uint V1Magic = 0x616b3432;

    /// <summary>Size of the v1 header.</summary>
    public const int V1HeaderBytes = 256;

    /// <summary>Size of the legacy header (7 int32).</summary>
    public const int LegacyHeaderBytes = 28;

    /// <summary>Largest accepted value of any hyper-parameter.</summary>
    public const int MaxDimension = 1 << 24;

    private readonly MappedFile _file;
    private readonly Dictionary<string, Llama2cTensor> _byName;

    private Llama2cCheckpoint(MappedFile file, Llama2cVersion version, Llama2cConfig config, List<Llama2cTensor> tensors)
    {
        _file = file;
        Version = version;
        Config = config;
        Tensors = tensors.AsReadOnly();
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Absolute path.</summary>
    public string Path => _file.Path;

    /// <summary>Header layout.</summary>
    public Llama2cVersion Version { get; }

    /// <summary>Hyper-parameters.</summary>
    public Llama2cConfig Config { get; }

    /// <summary>The weights in file order (wcls is listed even when it aliases token_embedding).</summary>
    public IReadOnlyList<Llama2cTensor> Tensors { get; }

    /// <summary>Opens and validates <paramref name="path"/>; problems are <see cref="Llama2cFormatException"/>s.</summary>
    public static Llama2cCheckpoint Open(string path)
    {
        var file = MappedFile.Open(path, (p, e) => new Llama2cFormatException($"{p}: cannot open: {e.Message}", e) { FilePath = p });
        try
        {
            return Parse(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static Llama2cCheckpoint Parse(MappedFile f)
    {
        if (f.Length < LegacyHeaderBytes) throw Llama2cFormatException.At(f.Path, 0, $"file is {f.Length} bytes, too short for a llama2.c header");
        var head = f.Span(0, Math.Min(f.Length, V1HeaderBytes)).ToArray();
        int I(int i) => BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(4 * i));
        Llama2cVersion version;
        Llama2cConfig config;
        long offset;
        if (BinaryPrimitives.ReadUInt32LittleEndian(head) == V1Magic)
        {
            if (f.Length < V1HeaderBytes) throw Llama2cFormatException.At(f.Path, 0, $"v1 checkpoint is {f.Length} bytes, shorter than its {V1HeaderBytes}-byte header");
            var v = I(1);
            if (v != 1)
                throw Llama2cFormatException.At(f.Path, 4, $"llama2.c checkpoint version {v} is not supported (only 1: float32; version 2 is int8-quantised, re-export with --version 1)");
            var shared = head[36];
            if (shared > 1) throw Llama2cFormatException.At(f.Path, 36, $"shared-classifier flag is {shared}; it must be 0 or 1");
            config = CheckConfig(f, 8, I(2), I(3), I(4), I(5), I(6), I(7), I(8), shared == 1);
            version = Llama2cVersion.V1;
            offset = V1HeaderBytes;
        }
        else
        {
            var vocab = I(5);
            config = CheckConfig(f, 0, I(0), I(1), I(2), I(3), I(4), vocab == int.MinValue ? 0 : Math.Abs(vocab), I(6), vocab > 0);
            version = Llama2cVersion.Legacy;
            offset = LegacyHeaderBytes;
        }
        var tensors = Layout(config, version, offset, out var end);
        if (end != f.Length)
            throw Llama2cFormatException.At(f.Path, Math.Min(end, f.Length),
                $"the header ({config}) implies a {end}-byte {version} checkpoint, but the file is {f.Length} bytes; it is truncated, padded or not a llama2.c checkpoint");
        return new Llama2cCheckpoint(f, version, config, tensors);
    }

    private static Llama2cConfig CheckConfig(MappedFile f, long at, int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seq, bool shared)
    {
        (string Name, int Value)[] fields = [("dim", dim), ("hidden_dim", hidden), ("n_layers", layers), ("n_heads", heads), ("n_kv_heads", kvHeads), ("vocab_size", vocab), ("seq_len", seq)];
        for (var i = 0; i < fields.Length; i++)
            if (fields[i].Value <= 0 || fields[i].Value > MaxDimension)
                throw Llama2cFormatException.At(f.Path, at + 4 * i, $"{fields[i].Name} is {fields[i].Value}; it must be in 1..{MaxDimension} (is this a llama2.c checkpoint?)");
        if (dim % heads != 0) throw Llama2cFormatException.At(f.Path, at, $"dim {dim} is not divisible by n_heads {heads}");
        if (heads % kvHeads != 0) throw Llama2cFormatException.At(f.Path, at + 16, $"n_heads {heads} is not divisible by n_kv_heads {kvHeads}");
        if (dim / heads % 2 != 0) throw Llama2cFormatException.At(f.Path, at, $"head size {dim / heads} is odd; RoPE needs an even head size");
        return new Llama2cConfig(dim, hidden, layers, heads, kvHeads, vocab, seq, shared);
    }

    private static List<Llama2cTensor> Layout(Llama2cConfig c, Llama2cVersion version, long offset, out long end)
    {
        var list = new List<Llama2cTensor>();
        var o = offset;
        void Add(string name, params int[] shape)
        {
            var n = shape.Aggregate(1L, (a, b) => checked(a * b));
            list.Add(new Llama2cTensor(name, shape, o));
            o = checked(o + n * 4);
        }
        int L = c.Layers, d = c.Dim, h = c.HiddenDim, kv = c.KvDim, v = c.VocabSize;
        if (version == Llama2cVersion.Legacy)
        {
            Add("token_embedding", v, d);
            Add("rms_att", L, d);
            Add("wq", L, d, d);
            Add("wk", L, kv, d);
            Add("wv", L, kv, d);
            Add("wo", L, d, d);
            Add("rms_ffn", L, d);
            Add("w1", L, h, d);
            Add("w2", L, d, h);
            Add("w3", L, h, d);
            Add("rms_final", d);
            Add("freq_cis_real", c.SeqLen, c.HeadDim / 2);
            Add("freq_cis_imag", c.SeqLen, c.HeadDim / 2);
        }
        else
        {
            Add("rms_att", L, d);
            Add("rms_ffn", L, d);
            Add("rms_final", d);
            Add("token_embedding", v, d);
            Add("wq", L, d, d);
            Add("wk", L, kv, d);
            Add("wv", L, kv, d);
            Add("wo", L, d, d);
            Add("w1", L, h, d);
            Add("w2", L, d, h);
            Add("w3", L, h, d);
        }
        if (c.SharedClassifier) list.Add(new Llama2cTensor("wcls", [v, d], list.First(t => t.Name == "token_embedding").Offset));
        else Add("wcls", v, d);
        end = o;
        return list;
    }

    /// <summary>Whether the checkpoint has a weight called <paramref name="name"/> (freq_cis_* exist only in legacy files).</summary>
    public bool Has(string name) => _byName.ContainsKey(name);

    /// <summary>Info of a weight; <see cref="KeyNotFoundException"/> when absent.</summary>
    public Llama2cTensor GetTensor(string name) =>
        _byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"{Path}: no weight named '{name}' in this {Version} checkpoint");

    /// <summary>A whole weight (all layers), zero-copy; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<float> Get(string name)
    {
        var t = GetTensor(name);
        return MemoryMarshal.Cast<byte, float>(_file.Span(t.Offset, t.ElementCount * 4));
    }

    /// <summary>The slice of a per-layer weight (rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3) for one layer.</summary>
    public ReadOnlySpan<float> Get(string name, int layer)
    {
        var t = GetTensor(name);
        if (t.Shape.Count < 2 || name is "token_embedding" or "wcls" or "freq_cis_real" or "freq_cis_imag")
            throw new ArgumentException($"'{name}' is not a per-layer weight", nameof(name));
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, Config.Layers);
        var per = (int)(t.ElementCount / Config.Layers);
        return Get(name).Slice(layer * per, per);
    }

    /// <summary>Releases the map.</summary>
    public void Dispose() => _file.Dispose();
}
