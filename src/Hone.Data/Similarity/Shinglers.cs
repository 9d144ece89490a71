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
        var words = new List<ulong>();
        foreach (var range in normalizedText.AsSpan().Split(' '))
        {
            var w = normalizedText.AsSpan(range);
            if (w.Length > 0) words.Add(StableHash.Of(w));
        }
        if (words.Count == 0) return [];
        var n = Math.Min(Size, words.Count);
        var set = new HashSet<ulong>();
        for (var i = 0; i + n <= words.Count; i++)
        {
            var h = (ulong)n;
            for (var j = 0; j < n; j++) h = StableHash.Combine(h, words[i + j]);
            set.Add(h);
        }
        return Sorted(set);
    }

    internal static ulong[] Sorted(HashSet<ulong> set)
    {
        var arr = new ulong[set.Count];
        set.CopyTo(arr);
        Array.Sort(arr);
        return arr;
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
        if (normalizedText.Length == 0) return [];
        var span = normalizedText.AsSpan();
        var n = Math.Min(Size, span.Length);
        var set = new HashSet<ulong>();
        for (var i = 0; i + n <= span.Length; i++) set.Add(StableHash.Of(span.Slice(i, n)));
        return WordShingler.Sorted(set);
    }
}
