namespace Hone.Evals.Metrics;

/// <summary>
/// Fuzzy string similarity as <c>rapidfuzz.fuzz.ratio / 100</c> computes it: the normalised Indel similarity
/// <c>2·LCS(a, b) / (|a| + |b|)</c> over Unicode code points, where LCS is the longest common subsequence of characters.
/// Two empty strings score 1.
/// </summary>
public static class FuzzyMatch
{
    /// <summary>The similarity in [0, 1].</summary>
    public static double Score(string hypothesis, string reference)
    {
        ArgumentNullException.ThrowIfNull(hypothesis);
        ArgumentNullException.ThrowIfNull(reference);
        var a = hypothesis.EnumerateRunes().Select(r => r.Value).ToArray();
        var b = reference.EnumerateRunes().Select(r => r.Value).ToArray();
        if (a.Length + b.Length == 0) return 1.0;
        return 2.0 * Tokens.LcsLength(a, b) / (a.Length + b.Length);
    }
}
