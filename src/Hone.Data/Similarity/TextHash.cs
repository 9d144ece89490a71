using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace Hone.Data.Similarity;

/// <summary>
/// The XXH3 128-bit hash (<see cref="XxHash128"/>, seed 0) of a text's UTF-8 bytes: a key for "the same text". Not a
/// cryptographic hash, but a well-mixed 128-bit one: for the texts of one check (n of them) the chance that two
/// different ones collide is about n²/2^129, under 10^-26 for a billion texts, so it is not handled. (It was the first
/// 128 bits of SHA-256 until the data check's profile showed the native call per text among its costs; nothing
/// outside a run keeps a hash, and every result is ordered by line, never by hash.) Two <see cref="ulong"/>s, so 8-byte
/// aligned: a <see cref="UInt128"/> key is 16-byte aligned and pads every dictionary entry or record by 16 bytes, which
/// matters at millions of examples. Ordered (for external sorts) by its bits, which says nothing about the texts.
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
        return Of(text.AsSpan());
    }

    /// <summary>
    /// The hash of <c>first + separator + second</c> (<paramref name="second"/> null: <c>first + separator</c>), without
    /// making that string: the UTF-8 of the parts, one after the other, is the UTF-8 of the whole, since no surrogate pair
    /// can span the separator.
    /// </summary>
    public static TextHash Of(string first, char separator, string? second)
    {
        ArgumentNullException.ThrowIfNull(first);
        return Of(first.AsSpan(), separator, second.AsSpan());
    }

    /// <summary><see cref="Of(string)"/> of a span of chars (the same hash as of the string holding them).</summary>
    internal static TextHash Of(ReadOnlySpan<char> text) => Hash(text, [], []);

    /// <summary><see cref="Of(string, char, string?)"/> of spans (an empty <paramref name="second"/> hashes as a null one does).</summary>
    internal static TextHash Of(ReadOnlySpan<char> first, char separator, ReadOnlySpan<char> second)
    {
        if (char.IsSurrogate(separator)) throw new ArgumentOutOfRangeException(nameof(separator), "The separator must not be a surrogate.");
        return Hash(first, new ReadOnlySpan<char>(in separator), second);
    }

    /// <summary>The hash of the UTF-8 of the three parts one after the other (in a stack buffer up to 1 KB).</summary>
    private static TextHash Hash(ReadOnlySpan<char> first, ReadOnlySpan<char> separator, ReadOnlySpan<char> second)
    {
        const int stackBytes = 1024;
        var max = Encoding.UTF8.GetMaxByteCount(first.Length) + Encoding.UTF8.GetMaxByteCount(separator.Length) + Encoding.UTF8.GetMaxByteCount(second.Length);
        byte[]? rented = max <= stackBytes ? null : ArrayPool<byte>.Shared.Rent(max);
        try
        {
            Span<byte> utf8 = rented ?? stackalloc byte[stackBytes];
            var n = Encoding.UTF8.GetBytes(first, utf8);
            n += Encoding.UTF8.GetBytes(separator, utf8[n..]);
            n += Encoding.UTF8.GetBytes(second, utf8[n..]);
            var h = XxHash128.HashToUInt128(utf8[..n]);
            return new TextHash((ulong)h, (ulong)(h >> 64));
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
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
