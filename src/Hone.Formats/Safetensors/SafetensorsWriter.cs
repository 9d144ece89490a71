using System.Text;
using System.Text.Json;
using Hone.Core;

namespace Hone.Formats.Safetensors;

/// <summary>
/// Builds a safetensors file deterministically: <c>__metadata__</c> first, then tensors sorted by name (ordinal) in both
/// the header and the data; the header is padded with spaces so the data starts on an 8-byte boundary.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly SortedDictionary<string, (SafetensorsDtype Dtype, long[] Shape, ReadOnlyMemory<byte> Data)> _tensors = new(StringComparer.Ordinal);

    /// <summary>String metadata written as <c>__metadata__</c> (keys sorted).</summary>
    public SortedDictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds a tensor from raw little-endian bytes of <paramref name="dtype"/>; the bytes are kept by reference.</summary>
    public SafetensorsWriter Add(string name, SafetensorsDtype dtype, IReadOnlyList<long> shape, ReadOnlyMemory<byte> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved", nameof(name));
        long n = 1;
        foreach (var d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            n = checked(n * d);
        }
        if (checked(n * SafetensorsDtypes.Size(dtype)) != data.Length)
            throw new ArgumentException($"tensor '{name}': {dtype}[{string.Join(", ", shape)}] needs {n * SafetensorsDtypes.Size(dtype)} bytes, got {data.Length}", nameof(data));
        if (!_tensors.TryAdd(name, (dtype, [.. shape], data))) throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        return this;
    }

    /// <summary>Adds a tensor from F32 values, stored as <paramref name="dtype"/> (F32, F16 or BF16).</summary>
    public SafetensorsWriter Add(string name, IReadOnlyList<long> shape, ReadOnlySpan<float> values, SafetensorsDtype dtype = SafetensorsDtype.F32) =>
        Add(name, dtype, shape, SafetensorsConvert.FromF32(dtype, values));

    /// <summary>The header bytes (JSON padded with spaces to a multiple of 8).</summary>
    public byte[] BuildHeader()
    {
        using var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms))
        {
            j.WriteStartObject();
            if (Metadata.Count > 0)
            {
                j.WriteStartObject("__metadata__");
                foreach (var kv in Metadata) j.WriteString(kv.Key, kv.Value);
                j.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in _tensors)
            {
                j.WriteStartObject(name);
                j.WriteString("dtype", t.Dtype.ToString());
                j.WriteStartArray("shape");
                foreach (var d in t.Shape) j.WriteNumberValue(d);
                j.WriteEndArray();
                j.WriteStartArray("data_offsets");
                j.WriteNumberValue(offset);
                offset += t.Data.Length;
                j.WriteNumberValue(offset);
                j.WriteEndArray();
                j.WriteEndObject();
            }
            j.WriteEndObject();
        }
        var len = ms.Length;
        var padded = (len + 7) / 8 * 8;
        for (var i = len; i < padded; i++) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }

    /// <summary>Writes the whole file to <paramref name="stream"/>.</summary>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = BuildHeader();
        Span<byte> len = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        stream.Write(len);
        stream.Write(header);
        foreach (var t in _tensors.Values) stream.Write(t.Data.Span);
    }

    /// <summary>Writes the file atomically (temporary file beside <paramref name="path"/>, then renamed over it).</summary>
    public void Write(string path) => AtomicFile.Write(path, Write);
}
