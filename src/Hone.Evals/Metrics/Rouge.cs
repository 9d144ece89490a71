namespace Hone.Evals.Metrics;

/// <summary>
/// ROUGE F-measures as the <c>rouge-score</c> package computes them (without stemming), on its tokeniser
/// (<see cref="Tokens.Rouge"/>).
/// </summary>
/// <remarks>
/// ROUGE-N: overlap = Σ min(count_hyp(g), count_ref(g)) over n-grams; P = overlap / max(1, hyp n-grams),
/// R = overlap / max(1, ref n-grams); F = 2PR / (P + R), 0 when P + R = 0.
/// ROUGE-L: P = LCS / |hyp|, R = LCS / |ref| over tokens; F likewise; 0 when either text has no tokens.
/// </remarks>
public static class Rouge
{
    /// <summary>ROUGE-N F-measure in [0, 1] (n ≥ 1).</summary>
    public static double N(string hypothesis, string reference, int n) =>
        N(Tokens.Rouge(hypothesis), Tokens.Rouge(reference), n);

    /// <summary>ROUGE-N F-measure over pre-tokenised text.</summary>
    public static double N(IReadOnlyList<string> hyp, IReadOnlyList<string> reference, int n)
    {
        ArgumentNullException.ThrowIfNull(hyp);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var h = Tokens.NGramCounts(hyp, n);
        var r = Tokens.NGramCounts(reference, n);
        int overlap = Tokens.Overlap(h, r);
        double p = (double)overlap / Math.Max(1, hyp.Count - n + 1);
        double rc = (double)overlap / Math.Max(1, reference.Count - n + 1);
        return F(p, rc);
    }

    /// <summary>ROUGE-L F-measure in [0, 1].</summary>
    public static double L(string hypothesis, string reference) =>
        L(Tokens.Rouge(hypothesis), Tokens.Rouge(reference));

    /// <summary>ROUGE-L F-measure over pre-tokenised text.</summary>
    public static double L(IReadOnlyList<string> hyp, IReadOnlyList<string> reference)
    {
        ArgumentNullException.ThrowIfNull(hyp);
        ArgumentNullException.ThrowIfNull(reference);
        if (hyp.Count == 0 || reference.Count == 0) return 0;
        int lcs = Tokens.LcsLength(hyp, reference);
        return F((double)lcs / hyp.Count, (double)lcs / reference.Count);
    }

    private static double F(double p, double r) => p + r > 0 ? 2 * p * r / (p + r) : 0;
}
