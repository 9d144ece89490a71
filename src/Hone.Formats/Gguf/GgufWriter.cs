using System.Buffers.Binary;
using System.Text;
using Hone.Core;

namespace Hone.Formats.Gguf;

/// <summary>
/// Builds a GGUF v3 file: metadata in insertion order (typed from the CLR values, as <see cref="GgufFile.Metadata"/>
/// returns them), tensor infos in insertion order, data aligned to <c>general.alignment</c> (default 32) with each
/// tensor padded to the alignment, as llama.cpp writes and expects.
/// </summary>
public sealed class GgufWriter
{
    private readonly List<KeyValuePair<string, object>> _metadata = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<(string Name, long[] Shape, GgmlType Type, ReadOnlyMemory<byte> Data)> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    /// <summary>Metadata added so far, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> Metadata => _metadata;

    /// <summary>
    /// Adds a metadata entry. <paramref name="value"/>: byte, sbyte, ushort, short, uint, int, ulong, long, float, double,
    /// bool, string, a typed array of those, or object[] of arrays. <c>general.alignment</c> must be a uint power of two.
    /// </summary>
    public GgufWriter Add(string key, object value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        TypeOf(value, 0);
        if (key == "general.alignment" && (value is not uint a || a == 0 || (a & (a - 1)) != 0))
            throw new ArgumentException("general.alignment must be a uint power of two", nameof(value));
        if (!_keys.Add(key)) throw new ArgumentException($"metadata key '{key}' was already added", nameof(key));
        _metadata.Add(new(key, value));
        return this;
    }

    /// <summary>Copies every metadata entry of <paramref name="source"/>, in its order.</summary>
    public GgufWriter AddAll(IEnumerable<KeyValuePair<string, object>> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        foreach (var kv in source) Add(kv.Key, kv.Value);
        return this;
    }

    /// <summary>
    /// Adds a tensor with raw bytes already in <paramref name="type"/> layout. <paramref name="shape"/> is in ggml
    /// order (ne0, the contiguous dimension, first). The bytes are kept by reference until <see cref="Write(Stream)"/>.
    /// </summary>
    public GgufWriter AddTensor(string name, IReadOnlyList<long> shape, GgmlType type, ReadOnlyMemory<byte> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Count is 0 or > GgufFile.MaxDims) throw new ArgumentException($"tensor '{name}' needs 1..{GgufFile.MaxDims} dimensions", nameof(shape));
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}' has a negative dimension", nameof(shape));
            n = checked(n * d);
        }
        if (!GgmlTypeInfo.TryGetBlock(type, out var be, out _)) throw new ArgumentException($"unknown ggml type {type}", nameof(type));
        if (shape[0] % be != 0) throw new ArgumentException($"tensor '{name}': ne0 {shape[0]} is not a multiple of the {type} block size {be}", nameof(shape));
        var bytes = GgmlTypeInfo.ByteSize(type, n);
        if (data.Length != bytes) throw new ArgumentException($"tensor '{name}': {type} {string.Join('x', shape)} needs {bytes} bytes, got {data.Length}", nameof(data));
        if (!_tensorNames.Add(name)) throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        _tensors.Add((name, [.. shape], type, data));
        return this;
    }

    /// <summary>Adds a tensor from F32 values, stored as <paramref name="type"/> (F32, F16, BF16, Q8_0, Q4_0 or Q4_K).</summary>
    public GgufWriter AddTensor(string name, IReadOnlyList<long> shape, ReadOnlySpan<float> values, GgmlType type = GgmlType.F32) =>
        AddTensor(name, shape, type, GgufQuantize.FromF32(type, values));

    private uint Alignment() =>
        _metadata.FirstOrDefault(kv => kv.Key == "general.alignment").Value is uint a ? a : GgufFile.DefaultAlignment;

    /// <summary>Writes the file atomically: to a temporary file beside <paramref name="path"/>, then renamed over it.</summary>
    public void Write(string path) => AtomicFile.Write(path, Write);

    /// <summary>Writes the whole file to <paramref name="stream"/>.</summary>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var alignment = Alignment();
        var w = new Out(stream);
        w.U32(GgufFile.Magic);
        w.U32(3);
        w.U64((ulong)_tensors.Count);
        w.U64((ulong)_metadata.Count);
        foreach (var kv in _metadata)
        {
            w.Str(kv.Key);
            var t = TypeOf(kv.Value, 0);
            w.U32((uint)t);
            WriteValue(w, t, kv.Value);
        }
        long offset = 0;
        foreach (var t in _tensors)
        {
            w.Str(t.Name);
            w.U32((uint)t.Shape.Length);
            foreach (var d in t.Shape) w.U64((ulong)d);
            w.U32((uint)t.Type);
            w.U64((ulong)offset);
            offset = GgufFile.AlignUp(offset + t.Data.Length, alignment);
        }
        w.Pad(alignment);
        foreach (var t in _tensors)
        {
            stream.Write(t.Data.Span);
            w.Advance(t.Data.Length);
            w.Pad(alignment);
        }
    }

    // Exact type tests: the CLR lets `x is int[]` succeed for a uint[] (and sbyte[] for byte[]), so patterns will not do.
    private static readonly Dictionary<Type, GgufValueType> Scalars = new()
    {
        [typeof(byte)] = GgufValueType.UInt8, [typeof(sbyte)] = GgufValueType.Int8,
        [typeof(ushort)] = GgufValueType.UInt16, [typeof(short)] = GgufValueType.Int16,
        [typeof(uint)] = GgufValueType.UInt32, [typeof(int)] = GgufValueType.Int32,
        [typeof(float)] = GgufValueType.Float32, [typeof(bool)] = GgufValueType.Bool,
        [typeof(string)] = GgufValueType.String, [typeof(ulong)] = GgufValueType.UInt64,
        [typeof(long)] = GgufValueType.Int64, [typeof(double)] = GgufValueType.Float64,
    };

    private static GgufValueType TypeOf(object v, int depth)
    {
        var type = v.GetType();
        if (Scalars.TryGetValue(type, out var t)) return t;
        if (type.IsArray && type.GetElementType() is { } e && e != typeof(string) && Scalars.ContainsKey(e)) return GgufValueType.Array;
        if (type == typeof(string[]) && ((string[])v).All(s => s is not null)) return GgufValueType.Array;
        if (type == typeof(object[]) && depth < GgufCursor.MaxArrayDepth &&
            ((object[])v).All(x => x is not null && TypeOf(x, depth + 1) == GgufValueType.Array))
            return GgufValueType.Array;
        throw new ArgumentException($"a GGUF metadata value cannot be a {type.Name} (object[] may hold only arrays, nested at most {GgufCursor.MaxArrayDepth} deep; no nulls)", nameof(v));
    }

    private static GgufValueType ElementType(Array array) =>
        Scalars.TryGetValue(array.GetType().GetElementType()!, out var t) ? t : GgufValueType.Array;

    private static void WriteValue(Out w, GgufValueType t, object v)
    {
        if (v is Array a)
        {
            w.U32((uint)ElementType(a));
            w.U64((ulong)a.Length);
            foreach (var e in a) WriteValue(w, t, e!);
            return;
        }
        switch (v)
        {
            case byte x: w.U8(x); break;
            case sbyte x: w.U8((byte)x); break;
            case ushort x: w.U16(x); break;
            case short x: w.U16((ushort)x); break;
            case uint x: w.U32(x); break;
            case int x: w.U32((uint)x); break;
            case float x: w.U32(BitConverter.SingleToUInt32Bits(x)); break;
            case bool x: w.U8(x ? (byte)1 : (byte)0); break;
            case string x: w.Str(x); break;
            case ulong x: w.U64(x); break;
            case long x: w.U64((ulong)x); break;
            case double x: w.U64(BitConverter.DoubleToUInt64Bits(x)); break;
            default: throw new ArgumentException($"unsupported value {v.GetType().Name}", nameof(v));
        }
    }

    /// <summary>Little-endian writer that tracks its position for padding.</summary>
    private sealed class Out(Stream s)
    {
        private readonly byte[] _buf = new byte[8];
        private long _pos;

        public void Advance(long n) => _pos += n;
        public void U8(byte v) { s.WriteByte(v); _pos++; }
        public void U16(ushort v) { BinaryPrimitives.WriteUInt16LittleEndian(_buf, v); s.Write(_buf, 0, 2); _pos += 2; }
        public void U32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(_buf, v); s.Write(_buf, 0, 4); _pos += 4; }
        public void U64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(_buf, v); s.Write(_buf, 0, 8); _pos += 8; }

        public void Str(string v)
        {
            var bytes = Encoding.UTF8.GetBytes(v);
            U64((ulong)bytes.Length);
            s.Write(bytes);
            _pos += bytes.Length;
        }

        public void Pad(uint alignment)
        {
            var target = GgufFile.AlignUp(_pos, alignment);
            while (_pos < target) U8(0);
        }
    }
}
