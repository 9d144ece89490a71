using System.Buffers.Binary;
using System.Text;

namespace Hone.Formats.Gguf;

/// <summary>Bounds-checked little-endian reads over a mapped GGUF file; every failure is a <see cref="GgufFormatException"/>.</summary>
internal sealed unsafe class GgufCursor(MappedFile file)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Maximum nesting of arrays inside arrays.</summary>
    public const int MaxArrayDepth = 8;

    public long Position { get; set; }

    public long Remaining => file.Length - Position;

    public string Path => file.Path;

    public GgufFormatException Error(long offset, string what) => GgufFormatException.At(file.Path, offset, what);

    private ReadOnlySpan<byte> Take(long count, string what)
    {
        if (count < 0 || count > Remaining)
            throw Error(Position, $"truncated: {what} needs {count} bytes but only {Remaining} remain of {file.Length}; the file is incomplete, download or export it again");
        var span = file.Span(Position, count);
        Position += count;
        return span;
    }

    public byte U8(string what) => Take(1, what)[0];
    public ushort U16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what));
    public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
    public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));
    public float F32(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));
    public double F64(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

    /// <summary>A count that must leave room for <paramref name="minBytesEach"/> bytes per item in the rest of the file.</summary>
    public long Count(string what, long minBytesEach)
    {
        var at = Position;
        var n = U64(what);
        if (n > (ulong)Remaining / (ulong)Math.Max(1, minBytesEach))
            throw Error(at, $"{what} is {n}, more than the {Remaining} remaining bytes can hold; the count is corrupt");
        return (long)n;
    }

    public string String(string what)
    {
        var at = Position;
        var len = Count(what + " length", 1);
        var bytes = Take(len, what);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error(at, $"{what} is not valid UTF-8; GGUF strings must be UTF-8");
        }
    }

    public bool Bool(string what)
    {
        var at = Position;
        var b = U8(what);
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw Error(at, $"{what} is a bool with byte value {b}; only 0 and 1 are valid"),
        };
    }

    /// <summary>Reads a value of the given type (arrays included).</summary>
    public object Value(GgufValueType type, string what, int depth = 0)
    {
        switch (type)
        {
            case GgufValueType.UInt8: return U8(what);
            case GgufValueType.Int8: return (sbyte)U8(what);
            case GgufValueType.UInt16: return U16(what);
            case GgufValueType.Int16: return (short)U16(what);
            case GgufValueType.UInt32: return U32(what);
            case GgufValueType.Int32: return (int)U32(what);
            case GgufValueType.Float32: return F32(what);
            case GgufValueType.Bool: return Bool(what);
            case GgufValueType.String: return String(what);
            case GgufValueType.UInt64: return U64(what);
            case GgufValueType.Int64: return (long)U64(what);
            case GgufValueType.Float64: return F64(what);
            case GgufValueType.Array: return Array(what, depth);
            default: throw Error(Position - 4, $"{what} has unknown value type {(uint)type}; valid types are 0..12");
        }
    }

    public GgufValueType ValueType(string what)
    {
        var at = Position;
        var t = U32(what);
        if (t > (uint)GgufValueType.Float64) throw Error(at, $"{what} is {t}, not a GGUF value type (0..12)");
        return (GgufValueType)t;
    }

    private object Array(string what, int depth)
    {
        var at = Position;
        if (depth >= MaxArrayDepth) throw Error(at, $"{what} nests arrays more than {MaxArrayDepth} deep");
        var elementType = ValueType(what + " element type");
        var minEach = elementType switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.String or GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
            _ => 12,
        };
        var n = (int)Math.Min(Count(what + " count", minEach), int.MaxValue);
        switch (elementType)
        {
            case GgufValueType.UInt8: return Take(n, what).ToArray();
            case GgufValueType.Int8: return Fill(n, i => (sbyte)U8(what));
            case GgufValueType.UInt16: return Fill(n, i => U16(what));
            case GgufValueType.Int16: return Fill(n, i => (short)U16(what));
            case GgufValueType.UInt32: return Fill(n, i => U32(what));
            case GgufValueType.Int32: return Fill(n, i => (int)U32(what));
            case GgufValueType.Float32: return Fill(n, i => F32(what));
            case GgufValueType.Bool: return Fill(n, i => Bool(what));
            case GgufValueType.String: return Fill(n, i => String($"{what}[{i}]"));
            case GgufValueType.UInt64: return Fill(n, i => U64(what));
            case GgufValueType.Int64: return Fill(n, i => (long)U64(what));
            case GgufValueType.Float64: return Fill(n, i => F64(what));
            default: return Fill(n, i => Array($"{what}[{i}]", depth + 1));
        }
    }

    private static T[] Fill<T>(int n, Func<int, T> read)
    {
        var a = new T[n];
        for (var i = 0; i < n; i++) a[i] = read(i);
        return a;
    }
}
