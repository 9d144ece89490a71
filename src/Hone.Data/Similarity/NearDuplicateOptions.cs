namespace Hone.Data.Similarity;

/// <summary>
/// Settings for <see cref="NearDuplicateFinder"/>. Two texts are near-duplicates when the exact Jaccard similarity of
/// their shingle sets (after <see cref="TextNormalizer.Normalize"/>) is at least <see cref="Threshold"/>.
/// </summary>
public sealed record NearDuplicateOptions
{
    /// <summary>The default threshold, 0.8.</summary>
    public const double DefaultThreshold = 0.8;

    /// <summary>Minimum Jaccard similarity (0 &lt; t ≤ 1) for a pair to count; default 0.8.</summary>
    public double Threshold { get; init; } = DefaultThreshold;

    /// <summary>How texts become shingle sets; default word 3-grams.</summary>
    public IShingler Shingler { get; init; } = new WordShingler(3);

    /// <summary>MinHash signature length k (1–1024); default 128.</summary>
    public int HashCount { get; init; } = 128;

    /// <summary>
    /// LSH bands; must divide <see cref="HashCount"/>. 0 (default) chooses the most selective banding whose
    /// probability of proposing a pair right at the threshold is still at least 0.999.
    /// </summary>
    public int Bands { get; init; }

    /// <summary>Seed of the MinHash permutations.</summary>
    public ulong Seed { get; init; } = 0x5EED_0F_4072_D0_0DUL;

    /// <summary>
    /// An LSH bucket larger than this is not expanded into all its pairs: each member is compared with the bucket's
    /// first member only (a star), which keeps the cost linear. Default 256.
    /// </summary>
    public int MaxBucketPairwise { get; init; } = 256;

    /// <summary>At most this many pairs are listed (groups are always complete); default 1,000,000.</summary>
    public int MaxPairs { get; init; } = 1_000_000;

    /// <summary>
    /// Shingle sets held in memory up to this many bytes; past it they (and the LSH band keys) move to a temporary file
    /// that is deleted when the search ends. Results do not depend on it. Default 32 MiB.
    /// </summary>
    public long SpillThresholdBytes { get; init; } = 32L << 20;

    /// <summary>Folder of the temporary file; null: the system's temporary folder.</summary>
    public string? SpillDirectory { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting and its valid range.</summary>
    public void Validate()
    {
        if (!(Threshold > 0 && Threshold <= 1))
            throw new ArgumentException($"Near-duplicate threshold {Threshold} is out of range: use a value in (0, 1], e.g. 0.8.", nameof(Threshold));
        if (Shingler is null) throw new ArgumentException("Near-duplicate shingler is missing: use new WordShingler(3) or new CharShingler(5).", nameof(Shingler));
        if (HashCount is < 1 or > 1024)
            throw new ArgumentException($"MinHash hash count {HashCount} is out of range: use 1 to 1024, e.g. 128.", nameof(HashCount));
        if (Bands < 0 || (Bands > 0 && HashCount % Bands != 0))
            throw new ArgumentException($"LSH bands {Bands} must be 0 (auto) or divide the hash count {HashCount}.", nameof(Bands));
        if (MaxBucketPairwise < 2)
            throw new ArgumentException($"MaxBucketPairwise {MaxBucketPairwise} must be at least 2.", nameof(MaxBucketPairwise));
        if (MaxPairs < 0) throw new ArgumentException($"MaxPairs {MaxPairs} must not be negative.", nameof(MaxPairs));
        if (SpillThresholdBytes < 0) throw new ArgumentException($"SpillThresholdBytes {SpillThresholdBytes} must not be negative.", nameof(SpillThresholdBytes));
        if (SpillDirectory is not null && !Directory.Exists(SpillDirectory))
            throw new ArgumentException($"Spill folder '{SpillDirectory}' does not exist.", nameof(SpillDirectory));
    }

    /// <summary>The band count used: <see cref="Bands"/> or the automatic choice.</summary>
    public int EffectiveBands()
    {
        if (Bands > 0) return Bands;
        // Largest rows-per-band r (dividing k) such that P(candidate | J = threshold) = 1 − (1 − t^r)^(k/r) ≥ 0.999.
        var best = HashCount; // r = 1
        for (var r = 1; r <= HashCount; r++)
        {
            if (HashCount % r != 0) continue;
            var b = HashCount / r;
            var p = 1 - Math.Pow(1 - Math.Pow(Threshold, r), b);
            if (p >= 0.999) best = b;
        }
        return best;
    }
}

/// <summary>Two near-duplicate items, by index, with their exact shingle Jaccard similarity.</summary>
/// <param name="First">The smaller index.</param>
/// <param name="Second">The larger index.</param>
/// <param name="Jaccard">Exact Jaccard similarity of their shingle sets (1 for texts equal after normalisation).</param>
public sealed record NearDuplicatePair(int First, int Second, double Jaccard);

/// <summary>The near-duplicates among a list of texts.</summary>
public sealed class NearDuplicateResult
{
    internal NearDuplicateResult(int count, double threshold, IReadOnlyList<NearDuplicatePair> pairs, bool truncated,
        IReadOnlyList<IReadOnlyList<int>> groups)
    {
        Count = count;
        Threshold = threshold;
        Pairs = pairs;
        PairsTruncated = truncated;
        Groups = groups;
        var of = new int[count];
        Array.Fill(of, -1);
        for (var g = 0; g < groups.Count; g++) foreach (var i in groups[g]) of[i] = g;
        GroupOf = of;
    }

    /// <summary>Number of texts examined.</summary>
    public int Count { get; }

    /// <summary>The Jaccard threshold used.</summary>
    public double Threshold { get; }

    /// <summary>
    /// Pairs at or above the threshold, sorted by (First, Second). Texts equal after normalisation are listed as a
    /// star: each against the first of them. Near-duplicates are found by LSH, so a pair is found with probability
    /// ≥ 0.999 at the threshold and higher above it.
    /// </summary>
    public IReadOnlyList<NearDuplicatePair> Pairs { get; }

    /// <summary>True when more pairs than <see cref="NearDuplicateOptions.MaxPairs"/> were found and the list was cut.</summary>
    public bool PairsTruncated { get; }

    /// <summary>
    /// Connected components (two or more members) of the near-duplicate relation, members ascending, groups ordered
    /// by their smallest member. Complete even when <see cref="PairsTruncated"/>.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<int>> Groups { get; }

    /// <summary>For each text, the index of its group in <see cref="Groups"/>, or −1 when it has no near-duplicate.</summary>
    public IReadOnlyList<int> GroupOf { get; }
}
