namespace Hone.Evals.Metrics;

/// <summary>
/// METEOR against one reference, as <c>nltk.translate.meteor_score.single_meteor_score</c> computes it with its defaults
/// (α = 0.9, β = 3, γ = 0.5, lower-cased white-space tokens), using the exact-match stage only: nltk's Porter-stem and
/// WordNet-synonym stages are not applied, so words that match only by stem or synonym do not count.
/// </summary>
/// <remarks>
/// Alignment (as nltk): for each hypothesis word from last to first, the last still-unmatched equal reference word.
/// m = matches; P = m / |hyp|; R = m / |ref|; Fmean = P·R / (α·P + (1 − α)·R);
/// chunks = runs of matches adjacent in both texts (matches sorted by hypothesis position);
/// penalty = γ·(chunks / m)^β; METEOR = Fmean·(1 − penalty); 0 when m = 0.
/// </remarks>
public static class Meteor
{
    /// <summary>The score in [0, 1).</summary>
    public static double Score(string hypothesis, string reference)
    {
        ArgumentNullException.ThrowIfNull(hypothesis);
        ArgumentNullException.ThrowIfNull(reference);
        return Score(Tokens.Whitespace(hypothesis.ToLowerInvariant()), Tokens.Whitespace(reference.ToLowerInvariant()));
    }

    /// <summary>The score over pre-tokenised (already lower-cased) text.</summary>
    public static double Score(IReadOnlyList<string> hyp, IReadOnlyList<string> reference, double alpha = 0.9, double beta = 3, double gamma = 0.5)
    {
        ArgumentNullException.ThrowIfNull(hyp);
        ArgumentNullException.ThrowIfNull(reference);
        if (hyp.Count == 0 || reference.Count == 0) return 0;
        var refUsed = new bool[reference.Count];
        var matches = new List<(int H, int R)>();
        for (int i = hyp.Count - 1; i >= 0; i--)
        {
            for (int j = reference.Count - 1; j >= 0; j--)
            {
                if (!refUsed[j] && string.Equals(hyp[i], reference[j], StringComparison.Ordinal))
                {
                    refUsed[j] = true;
                    matches.Add((i, j));
                    break;
                }
            }
        }
        int m = matches.Count;
        if (m == 0) return 0;
        matches.Sort((a, b) => a.H.CompareTo(b.H));
        int chunks = 1;
        for (int k = 0; k + 1 < m; k++)
            if (!(matches[k + 1].H == matches[k].H + 1 && matches[k + 1].R == matches[k].R + 1)) chunks++;
        double p = (double)m / hyp.Count, r = (double)m / reference.Count;
        double fmean = p * r / (alpha * p + (1 - alpha) * r);
        double penalty = gamma * Math.Pow((double)chunks / m, beta);
        return fmean * (1 - penalty);
    }
}
