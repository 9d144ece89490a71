namespace Hone.Evals.Compare;

/// <summary>What a diff segment is.</summary>
public enum DiffKind
{
    /// <summary>In both texts.</summary>
    Same,

    /// <summary>Only in the first (old) text.</summary>
    Removed,

    /// <summary>Only in the second (new) text.</summary>
    Added,
}

/// <summary>A run of consecutive tokens of one kind.</summary>
/// <param name="Kind">Same, removed or added.</param>
/// <param name="Text">The tokens, concatenated (whitespace included).</param>
public readonly record struct DiffSegment(DiffKind Kind, string Text);

/// <summary>
/// A word-level diff of two outputs: both texts are split into tokens (runs of letters/digits, runs of whitespace, and
/// single other characters, so concatenating the tokens gives the text back), a longest common subsequence over the
/// tokens is found by dynamic programming, and the result is a list of segments (same, removed, added) whose
/// <see cref="DiffKind.Same"/> + <see cref="DiffKind.Removed"/> parts spell the old text and <see cref="DiffKind.Same"/>
/// + <see cref="DiffKind.Added"/> parts spell the new one. Among equally long LCS paths, removals come before additions.
/// </summary>
/// <remarks>
/// The common prefix and suffix are taken out first; the table covers only the middle and is bounded by
/// <see cref="MaxCells"/>. Past that bound the middle is reported as one removal followed by one addition (still a
/// correct, if coarse, diff).
/// </remarks>
public static class WordDiff
{
    /// <summary>The most LCS table cells computed (middle tokens of A × middle tokens of B).</summary>
    public const long MaxCells = 4_000_000;

    /// <summary>Splits text into diff tokens (see the type's summary).</summary>
    public static IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            int start = i;
            if (char.IsLetterOrDigit(text[i]))
                while (i < text.Length && char.IsLetterOrDigit(text[i])) i++;
            else if (char.IsWhiteSpace(text[i]))
                while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            else
                i += char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            tokens.Add(text[start..i]);
        }
        return tokens;
    }

    /// <summary>The diff from <paramref name="oldText"/> to <paramref name="newText"/>, adjacent segments of a kind merged.</summary>
    public static IReadOnlyList<DiffSegment> Diff(string oldText, string newText)
    {
        ArgumentNullException.ThrowIfNull(oldText);
        ArgumentNullException.ThrowIfNull(newText);
        var a = Tokenize(oldText);
        var b = Tokenize(newText);
        int prefix = 0;
        while (prefix < a.Count && prefix < b.Count && a[prefix] == b[prefix]) prefix++;
        int suffix = 0;
        while (suffix < a.Count - prefix && suffix < b.Count - prefix && a[a.Count - 1 - suffix] == b[b.Count - 1 - suffix]) suffix++;
        int n = a.Count - prefix - suffix, m = b.Count - prefix - suffix;

        var ops = new List<(DiffKind Kind, string Token)>(a.Count + b.Count);
        for (int i = 0; i < prefix; i++) ops.Add((DiffKind.Same, a[i]));
        if ((long)(n + 1) * (m + 1) > MaxCells)
        {
            for (int i = 0; i < n; i++) ops.Add((DiffKind.Removed, a[prefix + i]));
            for (int j = 0; j < m; j++) ops.Add((DiffKind.Added, b[prefix + j]));
        }
        else
        {
            Middle(a, b, prefix, n, m, ops);
        }
        for (int i = a.Count - suffix; i < a.Count; i++) ops.Add((DiffKind.Same, a[i]));
        return Merge(ops);
    }

    private static void Middle(IReadOnlyList<string> a, IReadOnlyList<string> b, int offset, int n, int m, List<(DiffKind, string)> ops)
    {
        // lcs[i, j] = length of the LCS of a[i..n) and b[j..m) (suffix form, so the walk below goes forwards).
        var lcs = new int[n + 1, m + 1];
        for (int i = n - 1; i >= 0; i--)
            for (int j = m - 1; j >= 0; j--)
                lcs[i, j] = a[offset + i] == b[offset + j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        int x = 0, y = 0;
        while (x < n && y < m)
        {
            if (a[offset + x] == b[offset + y])
            {
                ops.Add((DiffKind.Same, a[offset + x]));
                x++;
                y++;
            }
            else if (lcs[x + 1, y] >= lcs[x, y + 1])
            {
                ops.Add((DiffKind.Removed, a[offset + x++]));
            }
            else
            {
                ops.Add((DiffKind.Added, b[offset + y++]));
            }
        }
        while (x < n) ops.Add((DiffKind.Removed, a[offset + x++]));
        while (y < m) ops.Add((DiffKind.Added, b[offset + y++]));
    }

    private static List<DiffSegment> Merge(List<(DiffKind Kind, string Token)> ops)
    {
        var segments = new List<DiffSegment>();
        var sb = new System.Text.StringBuilder();
        DiffKind? current = null;
        foreach (var (kind, token) in ops)
        {
            if (current != kind && current is { } k)
            {
                segments.Add(new DiffSegment(k, sb.ToString()));
                sb.Clear();
            }
            current = kind;
            sb.Append(token);
        }
        if (current is { } last) segments.Add(new DiffSegment(last, sb.ToString()));
        return segments;
    }
}
