namespace Hone.Data.Similarity;

/// <summary>Jaccard similarity |A ∩ B| / |A ∪ B| of shingle sets.</summary>
public static class Jaccard
{
    /// <summary>
    /// Exact Jaccard of two sorted, distinct hash sets (as <see cref="IShingler.Shingle"/> returns them).
    /// Two empty sets give 0: empty texts are never called similar.
    /// </summary>
    /// <remarks>
    /// The merge steps without branches on the data (each step advances the side or sides holding the smaller value),
    /// as the values of two hash sets interleave at random and a branch on their order is mispredicted half the time.
    /// Its naive twin is <see cref="ExactNaive"/>; the two return the same value for any sorted, distinct sets.
    /// </remarks>
    public static double Exact(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        if (a.Length == 0 || b.Length == 0) return 0;
        int i = 0, j = 0, inter = 0;
        while (i < a.Length && j < b.Length)
        {
            ulong x = a[i], y = b[j];
            inter += x == y ? 1 : 0;
            i += x <= y ? 1 : 0;
            j += x >= y ? 1 : 0;
        }
        var union = (long)a.Length + b.Length - inter;
        return (double)inter / union;
    }

    /// <summary>Naive twin of <see cref="Exact"/>: the textbook merge with a branch per step.</summary>
    public static double ExactNaive(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        if (a.Length == 0 || b.Length == 0) return 0;
        int i = 0, j = 0, inter = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j]) { inter++; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        var union = (long)a.Length + b.Length - inter;
        return (double)inter / union;
    }

    /// <summary>
    /// MinHash estimate of Jaccard: the fraction of positions where two signatures of the same
    /// <see cref="MinHasher"/> agree. Standard error ≈ √(J(1−J)/k) for k hashes.
    /// </summary>
    public static double Estimate(ReadOnlySpan<uint> signatureA, ReadOnlySpan<uint> signatureB)
    {
        if (signatureA.Length != signatureB.Length)
            throw new ArgumentException($"Signatures differ in length ({signatureA.Length} vs {signatureB.Length}): they must come from the same MinHasher.");
        if (signatureA.Length == 0) return 0;
        var same = 0;
        for (var i = 0; i < signatureA.Length; i++) if (signatureA[i] == signatureB[i]) same++;
        return (double)same / signatureA.Length;
    }
}
