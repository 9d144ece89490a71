namespace Hone.Data.Similarity;

/// <summary>
/// Finds near-duplicate texts: normalise (<see cref="TextNormalizer.Normalize"/>), collapse texts equal after
/// normalisation, shingle, MinHash, propose candidate pairs by LSH banding, verify each candidate by exact Jaccard of
/// the shingle sets, and join the verified pairs into groups (union-find). Empty texts (nothing left after
/// normalisation) are never near-duplicates. The work is done by a <see cref="NearDuplicateIndex"/>, which also takes
/// texts one at a time in bounded memory (shingle sets and band keys spill to a temporary file past a threshold);
/// signatures live only in one scratch per worker. Time is linear in the total text plus the candidate pairs.
/// Deterministic: the same texts and options give the same result.
/// </summary>
public sealed class NearDuplicateFinder
{
    private readonly NearDuplicateOptions _options;

    /// <summary>Creates a finder; the options are validated here.</summary>
    public NearDuplicateFinder(NearDuplicateOptions? options = null)
    {
        _options = options ?? new NearDuplicateOptions();
        _options.Validate();
    }

    /// <summary>The options in use.</summary>
    public NearDuplicateOptions Options => _options;

    /// <summary>Near-duplicates within one list of texts.</summary>
    public NearDuplicateResult Find(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return Run(texts, split: -1);
    }

    /// <summary>
    /// Near-duplicates across two lists (e.g. train vs validation leakage). Indices in the result run over
    /// <paramref name="first"/> then <paramref name="second"/> (an item of <paramref name="second"/> at j has index
    /// first.Count + j); only pairs with one member on each side are listed, and groups are built from those pairs.
    /// </summary>
    public NearDuplicateResult FindAcross(IReadOnlyList<string> first, IReadOnlyList<string> second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var all = new List<string>(first.Count + second.Count);
        all.AddRange(first);
        all.AddRange(second);
        return Run(all, split: first.Count);
    }

    private NearDuplicateResult Run(IReadOnlyList<string> texts, int split)
    {
        using var index = new NearDuplicateIndex(_options);
        for (var i = 0; i < texts.Count; i++)
        {
            index.Add(texts[i] ?? throw new ArgumentException($"Text {i} is null.", nameof(texts)));
        }

        return index.Finish(split);
    }
}
