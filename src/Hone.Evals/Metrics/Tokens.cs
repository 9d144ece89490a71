using System.Text;

namespace Hone.Evals.Metrics;

/// <summary>Tokenisers used by the text-similarity metrics.</summary>
public static class Tokens
{
    /// <summary>Splits on runs of white space (Python's <c>str.split()</c>); case is kept.</summary>
    public static string[] Whitespace(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>
    /// The <c>rouge-score</c> package's default tokeniser (without stemming): lower-case, every run of characters other
    /// than ASCII <c>a-z0-9</c> becomes a separator. Non-ASCII letters are dropped, as in that package.
    /// </summary>
    public static string[] Rouge(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            var l = char.ToLowerInvariant(c);
            sb.Append(l is >= 'a' and <= 'z' or >= '0' and <= '9' ? l : ' ');
        }
        return Whitespace(sb.ToString());
    }

    /// <summary>Counts the n-grams of one order; each n-gram is keyed by its tokens joined with U+0001.</summary>
    public static Dictionary<string, int> NGramCounts(IReadOnlyList<string> tokens, int n)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= tokens.Count; i++)
        {
            var key = n == 1 ? tokens[i] : string.Join('\u0001', tokens.Skip(i).Take(n));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts;
    }

    /// <summary>Sum over keys of min(a[k], b[k]): the clipped overlap of two multisets.</summary>
    public static int Overlap(Dictionary<string, int> a, Dictionary<string, int> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int sum = 0;
        foreach (var (k, v) in a)
            if (b.TryGetValue(k, out var w)) sum += Math.Min(v, w);
        return sum;
    }

    /// <summary>Length of the longest common subsequence of two sequences (O(n·m) time, O(m) memory).</summary>
    public static int LcsLength<T>(IReadOnlyList<T> a, IReadOnlyList<T> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var cmp = EqualityComparer<T>.Default;
        var prev = new int[b.Count + 1];
        var cur = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            for (int j = 1; j <= b.Count; j++)
                cur[j] = cmp.Equals(a[i - 1], b[j - 1]) ? prev[j - 1] + 1 : Math.Max(prev[j], cur[j - 1]);
            (prev, cur) = (cur, prev);
        }
        return prev[b.Count];
    }
}
