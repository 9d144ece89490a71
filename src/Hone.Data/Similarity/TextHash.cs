using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Hone.Data.Similarity;

/// <summary>
/// The first 128 bits of the SHA-256 of a text's UTF-8 bytes: a key for "the same text" (two different texts collide
/// with probability 2^-128). Two <see cref="ulong"/>s, so 8-byte aligned: a <see cref="UInt128"/> key is 16-byte
/// aligned and pads every dictionary entry or record by 16 bytes, which matters at millions of examples. Ordered (for
/// external sorts) by its bits, which says nothing about the texts.
/// </summary>
public readonly struct TextHash : IEquatable<TextHash>, IComparable<TextHash>
{
    private readonly ulong _low;
    private readonly ulong _high;

    private TextHash(ulong low, ulong high)
    {
        _low = low;
        _high = high;
    }

    /// <summary>The hash of <paramref name="text"/>.</summary>
    public static TextHash Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, rented);
            Span<byte> h = stackalloc byte[32];
            SHA256.HashData(rented.AsSpan(0, length), h);
            return new TextHash(MemoryMarshal.Read<ulong>(h), MemoryMarshal.Read<ulong>(h[8..]));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc/>
    public bool Equals(TextHash other) => _low == other._low && _high == other._high;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TextHash other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => (int)_low; // the bits are already uniform

    /// <inheritdoc/>
    public int CompareTo(TextHash other) => _high != other._high ? _high.CompareTo(other._high) : _low.CompareTo(other._low);

    /// <summary>Order.</summary>
    public static bool operator <(TextHash left, TextHash right) => left.CompareTo(right) < 0;

    /// <summary>Order.</summary>
    public static bool operator >(TextHash left, TextHash right) => left.CompareTo(right) > 0;

    /// <summary>Order.</summary>
    public static bool operator <=(TextHash left, TextHash right) => left.CompareTo(right) <= 0;

    /// <summary>Order.</summary>
    public static bool operator >=(TextHash left, TextHash right) => left.CompareTo(right) >= 0;

    /// <summary>Equality.</summary>
    public static bool operator ==(TextHash left, TextHash right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(TextHash left, TextHash right) => !left.Equals(right);
}

/// <summary>
/// A text's hash and the line (or index) it was seen at, ordered by (hash, line): the record every external sort of
/// the data check spills (exact duplicates, system prompts, near-duplicate classes).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct HashedLine(TextHash Key, long Line) : IComparable<HashedLine>
{
    public int CompareTo(HashedLine other)
    {
        var c = Key.CompareTo(other.Key);
        return c != 0 ? c : Line.CompareTo(other.Line);
    }
}
