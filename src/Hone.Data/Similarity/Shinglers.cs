namespace Hone.Data.Similarity;

/// <summary>
/// Turns already-normalised text into a set of 64-bit shingle hashes (sorted, distinct). Implementations must be
/// thread-safe: <see cref="NearDuplicateFinder"/> calls them in parallel.
/// </summary>
public interface IShingler
{
    /// <summary>
    /// The distinct shingle hashes of <paramref name="normalizedText"/>, sorted ascending. Empty text gives an empty set.
    /// Run <see cref="TextNormalizer.Normalize"/> first.
    /// </summary>
    ulong[] Shingle(string normalizedText);

    /// <summary><see cref="Shingle(string)"/> of the chars of a span (the same set as of the string holding them).</summary>
    ulong[] Shingle(ReadOnlySpan<char> normalizedText) => Shingle(new string(normalizedText));
}

/// <summary>
/// Word n-grams: the text is split on spaces and every run of <see cref="Size"/> consecutive words is one shingle.
/// A text with fewer than <see cref="Size"/> words (but at least one) is one shingle of all its words, so short texts
/// still compare.
/// </summary>
public sealed class WordShingler : IShingler
{
    /// <summary>Creates a word shingler; <paramref name="size"/> is the number of words per shingle (1–16).</summary>
    public WordShingler(int size = 3)
    {
        if (size is < 1 or > 16) throw new ArgumentOutOfRangeException(nameof(size), size, "Word shingle size must be 1 to 16.");
        Size = size;
    }

    /// <summary>Words per shingle.</summary>
    public int Size { get; }

    /// <inheritdoc />
    public ulong[] Shingle(string normalizedText)
    {
        ArgumentNullException.ThrowIfNull(normalizedText);
        return Shingle(normalizedText.AsSpan());
    }

    /// <inheritdoc/>
    public ulong[] Shingle(ReadOnlySpan<char> normalizedText)
    {
        // At most one word per two characters (a word and its separating space), so (length + 1) / 2 words.
        using var scratch = new ShingleScratch((normalizedText.Length + 1) / 2);
        var buf = scratch.Span;
        var words = 0;
        foreach (var range in normalizedText.Split(' '))
        {
            var w = normalizedText[range];
            if (w.Length > 0) buf[words++] = StableHash.Of(w);
        }
        if (words == 0) return [];
        var n = Math.Min(Size, words);
        var count = words - n + 1;
        // In place: shingle i reads words i..i+n−1 and is written to slot i, which no later shingle reads.
        for (var i = 0; i < count; i++)
        {
            var h = (ulong)n;
            for (var j = 0; j < n; j++) h = StableHash.Combine(h, buf[i + j]);
            buf[i] = h;
        }
        return SortedDistinct(buf[..count]);
    }

    /// <summary>The distinct values of <paramref name="values"/> (sorted in place), ascending, as a new array.</summary>
    internal static ulong[] SortedDistinct(Span<ulong> values)
    {
        values.Sort();
        var distinct = 0;
        for (var i = 0; i < values.Length; i++)
            if (i == 0 || values[i] != values[distinct - 1]) values[distinct++] = values[i];
        return values[..distinct].ToArray();
    }
}

/// <summary>
/// Character n-grams: every run of <see cref="Size"/> consecutive UTF-16 code units is one shingle. A text shorter
/// than <see cref="Size"/> (but not empty) is one shingle of the whole text. Better than words for short or
/// unsegmented text (e.g. Chinese, Japanese).
/// </summary>
public sealed class CharShingler : IShingler
{
    /// <summary>Creates a character shingler; <paramref name="size"/> is the characters per shingle (1–64).</summary>
    public CharShingler(int size = 5)
    {
        if (size is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(size), size, "Character shingle size must be 1 to 64.");
        Size = size;
    }

    /// <summary>Characters per shingle.</summary>
    public int Size { get; }

    /// <inheritdoc />
    public ulong[] Shingle(string normalizedText)
    {
        ArgumentNullException.ThrowIfNull(normalizedText);
        return Shingle(normalizedText.AsSpan());
    }

    /// <inheritdoc/>
    public ulong[] Shingle(ReadOnlySpan<char> normalizedText)
    {
        if (normalizedText.Length == 0) return [];
        var span = normalizedText;
        var n = Math.Min(Size, span.Length);
        var count = span.Length - n + 1;
        using var scratch = new ShingleScratch(count);
        var buf = scratch.Span;
        for (var i = 0; i < count; i++) buf[i] = StableHash.Of(span.Slice(i, n));
        return WordShingler.SortedDistinct(buf);
    }
}

/// <summary>A pooled ulong buffer of at least the asked length; <see cref="Span"/> is exactly that length.</summary>
internal readonly struct ShingleScratch : IDisposable
{
    private readonly ulong[] _array;
    private readonly int _length;

    public ShingleScratch(int length)
    {
        _array = System.Buffers.ArrayPool<ulong>.Shared.Rent(Math.Max(length, 1));
        _length = length;
    }

    public Span<ulong> Span => _array.AsSpan(0, _length);

    public void Dispose() => System.Buffers.ArrayPool<ulong>.Shared.Return(_array);
}
