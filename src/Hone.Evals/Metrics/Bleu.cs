namespace Hone.Evals.Metrics;

/// <summary>
/// Sentence BLEU against one reference, as <c>nltk.translate.bleu_score.sentence_bleu</c> computes it with its defaults
/// (uniform weights 0.25 over 1- to 4-grams, no smoothing), on white-space tokens (case kept).
/// </summary>
/// <remarks>
/// p_n = Σ min(count_hyp(g), count_ref(g)) / max(1, number of hypothesis n-grams);
/// BP = 1 if |hyp| &gt; |ref|, else exp(1 − |ref| / |hyp|);
/// BLEU = BP · exp(Σ 0.25 · ln p_n).
/// When some p_n is zero nltk substitutes the smallest double and returns a value below 1e-70; this returns exactly 0.
/// </remarks>
public static class Bleu
{
    /// <summary>The score in [0, 1].</summary>
    public static double Score(string hypothesis, string reference) =>
        Score(Tokens.Whitespace(hypothesis), Tokens.Whitespace(reference));

    /// <summary>The score in [0, 1] over pre-tokenised text.</summary>
    public static double Score(IReadOnlyList<string> hyp, IReadOnlyList<string> reference, int maxOrder = 4)
    {
        ArgumentNullException.ThrowIfNull(hyp);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOrder, 1);
        if (hyp.Count == 0) return 0;
        double logSum = 0;
        for (int n = 1; n <= maxOrder; n++)
        {
            var h = Tokens.NGramCounts(hyp, n);
            var r = Tokens.NGramCounts(reference, n);
            int matched = Tokens.Overlap(h, r);
            if (matched == 0) return 0;
            int total = Math.Max(1, hyp.Count - n + 1);
            logSum += Math.Log((double)matched / total) / maxOrder;
        }
        double bp = hyp.Count > reference.Count ? 1.0 : Math.Exp(1.0 - (double)reference.Count / hyp.Count);
        return bp * Math.Exp(logSum);
    }
}
