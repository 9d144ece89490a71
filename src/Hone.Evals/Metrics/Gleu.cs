namespace Hone.Evals.Metrics;

/// <summary>
/// Sentence GLEU (Google-BLEU) against one reference, as <c>nltk.translate.gleu_score.sentence_gleu</c> computes it with
/// its defaults (n-grams of order 1 to 4), on white-space tokens (case kept).
/// </summary>
/// <remarks>
/// tp = Σ over all 1- to 4-grams of min(count_hyp, count_ref); GLEU = tp / max(total hypothesis n-grams, total
/// reference n-grams), which equals min(precision, recall). 0 when both texts have no n-grams.
/// </remarks>
public static class Gleu
{
    /// <summary>The score in [0, 1].</summary>
    public static double Score(string hypothesis, string reference) =>
        Score(Tokens.Whitespace(hypothesis), Tokens.Whitespace(reference));

    /// <summary>The score in [0, 1] over pre-tokenised text.</summary>
    public static double Score(IReadOnlyList<string> hyp, IReadOnlyList<string> reference, int minOrder = 1, int maxOrder = 4)
    {
        ArgumentNullException.ThrowIfNull(hyp);
        ArgumentNullException.ThrowIfNull(reference);
        int tp = 0, hypTotal = 0, refTotal = 0;
        for (int n = minOrder; n <= maxOrder; n++)
        {
            var h = Tokens.NGramCounts(hyp, n);
            var r = Tokens.NGramCounts(reference, n);
            tp += Tokens.Overlap(h, r);
            hypTotal += Math.Max(0, hyp.Count - n + 1);
            refTotal += Math.Max(0, reference.Count - n + 1);
        }
        int denom = Math.Max(hypTotal, refTotal);
        return denom == 0 ? 0 : (double)tp / denom;
    }
}
