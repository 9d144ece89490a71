using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Hone.Formats.Safetensors;

/// <summary>
/// One memory-mapped safetensors file, validated in full on <see cref="Open"/> as the format's specification asks:
/// header length cap, JSON header, known dtypes, shape × dtype size = byte span, spans contiguous, non-overlapping,
/// covering the byte buffer and inside the file. F32 tensors can be read zero-copy.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    /// <summary>Largest accepted header (100 MB), as the reference implementation caps it.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly MappedFile _file;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;

    private SafetensorsFile(MappedFile file, long dataOffset, IReadOnlyDictionary<string, string> metadata, List<SafetensorsTensorInfo> tensors)
    {
        _file = file;
        DataOffset = dataOffset;
        Metadata = metadata;
        Tensors = tensors.AsReadOnly();
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Absolute path.</summary>
    public string Path => _file.Path;

    /// <summary>File offset of the byte buffer (8 + header length).</summary>
    public long DataOffset { get; }

    /// <summary>The <c>__metadata__</c> string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensors in data order (ascending offsets).</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>Maps and validates <paramref name="path"/>; any problem is a <see cref="SafetensorsFormatException"/>.</summary>
    public static SafetensorsFile Open(string path)
    {
        var file = MappedFile.Open(path, (p, e) => new SafetensorsFormatException($"{p}: cannot open: {e.Message}", e) { FilePath = p });
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

    private static SafetensorsFormatException Err(MappedFile f, long offset, string what, string? tensor = null) =>
        SafetensorsFormatException.At(f.Path, offset, what, tensor);

    private static SafetensorsFile Parse(MappedFile f)
    {
        if (f.Length < 8) throw Err(f, 0, $"file is {f.Length} bytes, too short for the 8-byte header length; the file is truncated");
        var n = BinaryPrimitives.ReadUInt64LittleEndian(f.Span(0, 8));
        if (n > MaxHeaderBytes) throw Err(f, 0, $"header length {n} exceeds the {MaxHeaderBytes}-byte cap; the file is corrupt or not safetensors");
        if ((long)n > f.Length - 8) throw Err(f, 0, $"header length {n} runs past the end of the {f.Length}-byte file; the file is truncated");
        if (n < 2) throw Err(f, 8, $"header of {n} bytes cannot hold a JSON object");
        var header = f.Span(8, (long)n);
        if (header[0] != (byte)'{') throw Err(f, 8, "header does not start with '{'; it must be a JSON object");
        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw Err(f, 8 + InvalidUtf8At(header), "header is not valid UTF-8; it must be UTF-8 JSON");
        var dataOffset = 8 + (long)n;
        var dataLength = f.Length - dataOffset;

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Err(f, 8 + (e.BytePositionInLine ?? 0), $"header is not valid JSON ({e.Message})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Err(f, 8, "header must be a JSON object");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<SafetensorsTensorInfo>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name)) throw Err(f, 8, "appears twice in the header", prop.Name);
                if (prop.Name == "__metadata__") ReadMetadata(f, prop.Value, metadata);
                else tensors.Add(ReadTensor(f, prop.Name, prop.Value, dataLength));
            }
            tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long expected = 0;
            foreach (var t in tensors)
            {
                if (t.Begin < expected)
                    throw Err(f, dataOffset + t.Begin, $"data [{t.Begin}, {t.End}) overlaps the previous tensor, which ends at {expected}", t.Name);
                if (t.Begin > expected)
                    throw Err(f, dataOffset + expected, $"data starts at {t.Begin} but the previous tensor ends at {expected}; spans must be contiguous", t.Name);
                expected = t.End;
            }
            if (expected != dataLength)
                throw Err(f, dataOffset + expected, $"tensors cover {expected} bytes of the {dataLength}-byte buffer; the file has trailing or missing bytes");
            return new SafetensorsFile(f, dataOffset, metadata, tensors);
        }
    }

    private static void ReadMetadata(MappedFile f, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Err(f, 8, "__metadata__ must be an object of strings");
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String) throw Err(f, 8, $"__metadata__ value of '{p.Name}' must be a string");
            if (!metadata.TryAdd(p.Name, p.Value.GetString()!)) throw Err(f, 8, $"__metadata__ key '{p.Name}' appears twice");
        }
    }

    private static SafetensorsTensorInfo ReadTensor(MappedFile f, string name, JsonElement v, long dataLength)
    {
        if (v.ValueKind != JsonValueKind.Object) throw Err(f, 8, "entry must be an object with dtype, shape, data_offsets", name);
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String || !SafetensorsDtypes.TryParse(dt.GetString(), out var dtype))
            throw Err(f, 8, $"dtype {(v.TryGetProperty("dtype", out var d2) ? d2.GetRawText() : "missing")} is not a known safetensors dtype ({string.Join(", ", Enum.GetNames<SafetensorsDtype>())})", name);
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array || sh.GetArrayLength() > 16)
            throw Err(f, 8, "shape must be an array of at most 16 non-negative integers", name);
        var shape = new long[sh.GetArrayLength()];
        long elements = 1;
        var i = 0;
        foreach (var e in sh.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var dim) || dim < 0)
                throw Err(f, 8, $"shape entry {e.GetRawText()} is not a non-negative int64", name);
            shape[i++] = dim;
            try
            {
                elements = checked(elements * dim);
            }
            catch (OverflowException)
            {
                throw Err(f, 8, "shape element count overflows int64", name);
            }
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2 ||
            !off[0].TryGetInt64(out var begin) || !off[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            throw Err(f, 8, "data_offsets must be [begin, end] with 0 <= begin <= end", name);
        foreach (var p in v.EnumerateObject())
            if (p.Name is not ("dtype" or "shape" or "data_offsets")) throw Err(f, 8, $"unknown field '{p.Name}'", name);
        var fileOffset = f.Length - dataLength;
        if (end > dataLength)
            throw Err(f, fileOffset + begin, $"data [{begin}, {end}) runs past the {dataLength}-byte buffer (file offsets {fileOffset + begin}..{fileOffset + end} of {f.Length}); the file is truncated", name);
        long bytes;
        try
        {
            bytes = checked(elements * SafetensorsDtypes.Size(dtype));
        }
        catch (OverflowException)
        {
            throw Err(f, fileOffset + begin, "byte size overflows int64", name);
        }
        if (bytes != end - begin)
            throw Err(f, fileOffset + begin, $"{dtype} shape [{string.Join(", ", shape)}] needs {bytes} bytes but data_offsets [{begin}, {end}) span {end - begin}", name);
        return new SafetensorsTensorInfo(name, dtype, Array.AsReadOnly(shape), begin, end);
    }

    private static int InvalidUtf8At(ReadOnlySpan<byte> bytes)
    {
        System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length], out var read, out _, replaceInvalidSequences: false);
        return read;
    }

    /// <summary>Whether a tensor called <paramref name="name"/> exists.</summary>
    public bool HasTensor(string name) => _byName.ContainsKey(name);

    /// <summary>Info of a tensor; <see cref="KeyNotFoundException"/> when absent.</summary>
    public SafetensorsTensorInfo GetTensor(string name) =>
        _byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    /// <summary>Raw bytes of a tensor, zero-copy; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var t = GetTensor(name);
        return _file.Span(DataOffset + t.Begin, t.ByteSize);
    }

    /// <summary>An F32 tensor as floats, zero-copy from the map (little-endian hosts); valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<float> GetF32Span(string name)
    {
        var t = GetTensor(name);
        if (t.Dtype != SafetensorsDtype.F32) throw new InvalidOperationException($"{Path}: tensor '{name}' is {t.Dtype}, not F32; use ReadF32");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("zero-copy F32 needs a little-endian host");
        return MemoryMarshal.Cast<byte, float>(GetBytes(name));
    }

    /// <summary>A floating-point tensor (F32, F16, BF16, F64) converted to a new F32 array.</summary>
    public float[] ReadF32(string name)
    {
        var t = GetTensor(name);
        var result = new float[t.ElementCount];
        SafetensorsConvert.ToF32(t.Dtype, GetBytes(name), result, Path, name);
        return result;
    }

    /// <summary>Releases the map; spans handed out become invalid.</summary>
    public void Dispose() => _file.Dispose();


}
