using System.Numerics;

namespace Hone.Data.Similarity;

/// <summary>
/// A 128-bit presence sketch of a shingle set: bit k is set when some shingle of the set falls in bucket k (the top
/// 7 bits of the shingle times a fixed odd constant). Two sketches and the set sizes give an exact upper bound of the
/// sets' Jaccard (<see cref="MayReach"/>), so a candidate pair the bound rules out is never read from disk. The bound
/// holds for any bucket function; the mixing only makes it tight.
/// </summary>
internal readonly record struct SetSketch(ulong Low, ulong High)
{
    private const ulong Mixer = 0x9E3779B97F4A7C15UL;

    /// <summary>The sketch of <paramref name="set"/> (any shingle hashes; repeats and order do not matter).</summary>
    public static SetSketch Of(ReadOnlySpan<ulong> set)
    {
        ulong low = 0, high = 0;
        foreach (var h in set)
        {
            var bucket = (int)((h * Mixer) >> 57); // 0..127
            var bit = 1UL << (bucket & 63);
            // Branch-free: the bit goes to the low or the high word.
            var toHigh = (ulong)(bucket >> 6); // 0 or 1
            low |= bit & (toHigh - 1);
            high |= bit & (0 - toHigh);
        }
        return new SetSketch(low, high);
    }

    /// <summary>
    /// The bound on |A ∩ B|: every bucket of A's sketch that B's lacks holds at least one shingle of A that is not in
    /// B (and the other way round), so |A ∩ B| ≤ min(|A| − |bits of A not in B|, |B| − |bits of B not in A|).
    /// </summary>
    public static int IntersectionBound(SetSketch a, int sizeA, SetSketch b, int sizeB)
    {
        var onlyA = BitOperations.PopCount(a.Low & ~b.Low) + BitOperations.PopCount(a.High & ~b.High);
        var onlyB = BitOperations.PopCount(b.Low & ~a.Low) + BitOperations.PopCount(b.High & ~a.High);
        return Math.Max(0, Math.Min(sizeA - onlyA, sizeB - onlyB));
    }

    /// <summary>
    /// False only when the exact Jaccard of sets A and B (of sizes <paramref name="sizeA"/>, <paramref name="sizeB"/>,
    /// both non-empty, with these sketches) is certainly below <paramref name="threshold"/>: the bound
    /// I/(|A| + |B| − I) at I = <see cref="IntersectionBound"/> is computed as <see cref="Jaccard.Exact"/> computes
    /// the exact value (that division is monotone in I), so a pair it rules out is one <see cref="Jaccard.Exact"/>
    /// rejects too.
    /// </summary>
    public static bool MayReach(SetSketch a, int sizeA, SetSketch b, int sizeB, double threshold)
    {
        var inter = IntersectionBound(a, sizeA, b, sizeB);
        var union = (long)sizeA + sizeB - inter;
        return (double)inter / union >= threshold;
    }

    /// <summary>Naive twin of <see cref="Of"/>: one bucket at a time, as a list of 128 flags.</summary>
    public static bool[] BucketsNaive(ReadOnlySpan<ulong> set)
    {
        var flags = new bool[128];
        foreach (var h in set) flags[(int)((h * Mixer) >> 57)] = true;
        return flags;
    }

    /// <summary>Naive twin of <see cref="IntersectionBound"/>: counts the buckets one flag at a time.</summary>
    public static int IntersectionBoundNaive(bool[] a, int sizeA, bool[] b, int sizeB)
    {
        int onlyA = 0, onlyB = 0;
        for (var k = 0; k < 128; k++)
        {
            if (a[k] && !b[k]) onlyA++;
            if (b[k] && !a[k]) onlyB++;
        }
        return Math.Max(0, Math.Min(sizeA - onlyA, sizeB - onlyB));
    }

    /// <summary>Whether bucket <paramref name="k"/> (0–127) is set.</summary>
    public bool Has(int k) => k < 64 ? ((Low >> k) & 1) != 0 : ((High >> (k - 64)) & 1) != 0;
}
