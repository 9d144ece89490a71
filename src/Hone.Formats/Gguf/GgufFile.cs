using System.Collections.ObjectModel;

namespace Hone.Formats.Gguf;

/// <summary>
/// A GGUF (v2 or v3) file, memory-mapped and validated in full on <see cref="Open"/>: header, every metadata value,
/// every tensor info (shape, type, alignment, bounds, overlaps). Tensor data stays in the map until read.
/// </summary>
public sealed class GgufFile : IDisposable
{
    /// <summary>The magic number "GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>Alignment used when <c>general.alignment</c> is absent.</summary>
    public const uint DefaultAlignment = 32;

    /// <summary>Most dimensions a ggml tensor may have.</summary>
    public const int MaxDims = 4;

    private readonly MappedFile _file;
    private readonly Dictionary<string, GgufTensorInfo> _byName;

    private GgufFile(MappedFile file, uint version, IReadOnlyDictionary<string, object> metadata,
        IReadOnlyList<GgufTensorInfo> tensors, uint alignment, long dataOffset)
    {
        _file = file;
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
        Alignment = alignment;
        DataOffset = dataOffset;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Absolute path of the file.</summary>
    public string Path => _file.Path;

    /// <summary>File length in bytes.</summary>
    public long Length => _file.Length;

    /// <summary>Format version (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>
    /// Metadata in file order. Values: byte, sbyte, ushort, short, uint, int, ulong, long, float, double, bool, string,
    /// or a typed array: byte[], sbyte[], ushort[], short[], uint[], int[], ulong[], long[], float[], double[], bool[],
    /// string[] (an array of arrays is object[]).
    /// </summary>
    public IReadOnlyDictionary<string, object> Metadata { get; }

    /// <summary>Tensor infos in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Data alignment (from <c>general.alignment</c>, default 32).</summary>
    public uint Alignment { get; }

    /// <summary>Absolute file offset of the data section.</summary>
    public long DataOffset { get; }

    /// <summary>
    /// Memory-maps and validates <paramref name="path"/>. Throws <see cref="GgufFormatException"/> (naming the file and
    /// byte offset) for anything malformed, truncated or hostile, including a missing or unreadable file.
    /// </summary>
    public static GgufFile Open(string path)
    {
        var file = MappedFile.Open(path, (p, e) => new GgufFormatException($"{p}: cannot open: {e.Message}", e) { FilePath = p });
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

    private static GgufFile Parse(MappedFile file)
    {
        var c = new GgufCursor(file);
        if (file.Length == 0)
            throw c.Error(0, "the file is empty (0 bytes), not a GGUF model: a GGUF file starts with the magic \"GGUF\" and a 24-byte header; the download or export did not finish, so make the file again");
        var head = file.Span(0, Math.Min(4, file.Length));
        if (!head.SequenceEqual("GGUF"u8[..head.Length]))
            throw c.Error(0, $"the file ({file.Length:N0} bytes) starts with {Hex(head)}, not the magic \"GGUF\" (47 47 55 46); this is not a GGUF file");
        if (file.Length < 24) throw c.Error(0, $"the file is {file.Length} bytes, too short for a GGUF header (24 bytes); it is truncated, so make it again");
        var magic = c.U32("magic");
        if (magic != Magic) throw c.Error(0, $"magic is 0x{magic:X8}, not \"GGUF\"; this is not a GGUF file");
        var version = c.U32("version");
        if (version is not (2 or 3)) throw c.Error(4, $"GGUF version {version} is not supported (2 and 3 are)");
        var tensorCount = c.Count("tensor count", 24);
        var kvCount = c.Count("metadata key/value count", 13);

        var metadata = new OrderedDictionary<string, object>(StringComparer.Ordinal);
        for (long i = 0; i < kvCount; i++)
        {
            var at = c.Position;
            var key = c.String($"metadata key #{i}");
            if (key.Length == 0) throw c.Error(at, $"metadata key #{i} is empty");
            var type = c.ValueType($"type of '{key}'");
            var value = c.Value(type, $"value of '{key}'");
            if (!metadata.TryAdd(key, value)) throw c.Error(at, $"metadata key '{key}' appears twice");
        }

        var alignment = DefaultAlignment;
        if (metadata.TryGetValue("general.alignment", out var a))
        {
            if (a is not uint ua || ua == 0 || (ua & (ua - 1)) != 0 || ua > 1u << 20)
                throw c.Error(24, $"general.alignment is {a} ({a.GetType().Name}); it must be a uint32 power of two");
            alignment = ua;
        }

        var tensors = new List<GgufTensorInfo>((int)Math.Min(tensorCount, 1 << 16));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < tensorCount; i++) tensors.Add(ReadTensorInfo(c, i, alignment, names));

        var dataOffset = AlignUp(c.Position, alignment);
        if (tensorCount > 0 && dataOffset > file.Length)
            throw c.Error(c.Position, $"data section would start at {dataOffset}, past the end of the {file.Length}-byte file");
        CheckSpans(c, tensors, dataOffset, file.Length);
        return new GgufFile(file, version, new ReadOnlyDictionary<string, object>(metadata), tensors.AsReadOnly(), alignment, dataOffset);
    }

    private static GgufTensorInfo ReadTensorInfo(GgufCursor c, long index, uint alignment, HashSet<string> names)
    {
        var at = c.Position;
        var name = c.String($"name of tensor #{index}");
        if (!names.Add(name)) throw c.Error(at, $"tensor name '{name}' appears twice");
        var dimsAt = c.Position;
        var nDims = c.U32($"dimension count of '{name}'");
        if (nDims is 0 or > MaxDims) throw c.Error(dimsAt, $"tensor '{name}' has {nDims} dimensions; ggml allows 1..{MaxDims}");
        var shape = new long[nDims];
        long elements = 1;
        for (var d = 0; d < nDims; d++)
        {
            var dimAt = c.Position;
            var n = c.U64($"dimension {d} of '{name}'");
            if (n > long.MaxValue) throw c.Error(dimAt, $"dimension {d} of '{name}' is {n}, negative as int64");
            shape[d] = (long)n;
            try
            {
                elements = checked(elements * (long)n);
            }
            catch (OverflowException)
            {
                throw c.Error(dimAt, $"the shape of '{name}' overflows int64 elements");
            }
        }
        var typeAt = c.Position;
        var rawType = c.U32($"type of '{name}'");
        var type = (GgmlType)rawType;
        if (!GgmlTypeInfo.TryGetBlock(type, out var blockElements, out var blockBytes))
            throw c.Error(typeAt, $"tensor '{name}' has unknown ggml type {rawType}");
        if (shape[0] % blockElements != 0)
            throw c.Error(dimsAt, $"tensor '{name}' row length {shape[0]} is not a multiple of the {type} block size {blockElements}");
        var offAt = c.Position;
        var offset = c.U64($"data offset of '{name}'");
        if (offset % alignment != 0)
            throw c.Error(offAt, $"tensor '{name}' data offset {offset} is not a multiple of the alignment {alignment}");
        long bytes;
        try
        {
            bytes = checked(elements / blockElements * blockBytes);
        }
        catch (OverflowException)
        {
            throw c.Error(dimsAt, $"the byte size of '{name}' overflows int64");
        }
        return new GgufTensorInfo(name, Array.AsReadOnly(shape), type, offset, elements, bytes);
    }

    private static void CheckSpans(GgufCursor c, List<GgufTensorInfo> tensors, long dataOffset, long fileLength)
    {
        var available = (ulong)Math.Max(0, fileLength - dataOffset);
        foreach (var t in tensors)
        {
            if (t.Offset > available || (ulong)t.ByteSize > available - t.Offset)
                throw c.Error(dataOffset, $"tensor '{t.Name}' data [{t.Offset}, +{t.ByteSize}) relative to the data section at {dataOffset} runs past the end of the {fileLength}-byte file; the file is truncated");
        }
        var sorted = tensors.Where(t => t.ByteSize > 0).OrderBy(t => t.Offset).ToList();
        for (var i = 1; i < sorted.Count; i++)
        {
            var prev = sorted[i - 1];
            if ((ulong)prev.ByteSize > sorted[i].Offset - prev.Offset)
                throw c.Error(dataOffset + (long)sorted[i].Offset,
                    $"tensor '{sorted[i].Name}' data at {sorted[i].Offset} overlaps '{prev.Name}' [{prev.Offset}, +{prev.ByteSize})");
        }
    }

    /// <summary>Bytes as "50 4B 03 04".</summary>
    private static string Hex(ReadOnlySpan<byte> bytes)
    {
        var parts = new string[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) parts[i] = bytes[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture);
        return string.Join(' ', parts);
    }

    internal static long AlignUp(long value, uint alignment) => checked((value + alignment - 1) / alignment * alignment);

    /// <summary>Info of the tensor called <paramref name="name"/>; throws <see cref="KeyNotFoundException"/> when absent.</summary>
    public GgufTensorInfo GetTensor(string name) =>
        _byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    /// <summary>Whether a tensor called <paramref name="name"/> exists.</summary>
    public bool HasTensor(string name) => _byName.ContainsKey(name);

    /// <summary>The raw bytes of a tensor, zero-copy from the map; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> GetTensorBytes(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return _file.Span(checked(DataOffset + (long)tensor.Offset), tensor.ByteSize);
    }

    /// <summary>
    /// The tensor called <paramref name="name"/> dequantised to F32 (types F32, F16, BF16, F64, Q8_0, Q4_0, Q4_K).
    /// Other types throw <see cref="GgufUnsupportedTypeException"/>.
    /// </summary>
    public float[] ReadTensorF32(string name)
    {
        var t = GetTensor(name);
        if (!GgufDequantize.IsSupported(t.Type))
            throw new GgufUnsupportedTypeException(
                $"{Path}: tensor '{name}' has type {t.Type}, which Hone cannot dequantise; supported: {string.Join(", ", GgufDequantize.Supported)}. Re-export the model as F16, BF16 or Q8_0")
            { FilePath = Path, Offset = DataOffset + (long)t.Offset, Type = t.Type };
        if (t.ElementCount > Array.MaxLength) throw new GgufFormatException($"{Path}: tensor '{name}' has {t.ElementCount} elements, too many for one array") { FilePath = Path };
        var result = new float[t.ElementCount];
        GgufDequantize.ToF32(t.Type, GetTensorBytes(t), result);
        return result;
    }

    /// <summary>A metadata value of type <typeparamref name="T"/>, or <paramref name="fallback"/> when absent or of another type.</summary>
    public T GetOr<T>(string key, T fallback) => Metadata.TryGetValue(key, out var v) && v is T t ? t : fallback;

    /// <summary>Releases the memory map; spans from <see cref="GetTensorBytes"/> become invalid.</summary>
    public void Dispose() => _file.Dispose();
}
