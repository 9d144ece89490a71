using System.Runtime.InteropServices;

namespace Hone.Data.Similarity;

/// <summary>
/// Finds near-duplicate texts: normalise (<see cref="TextNormalizer.Normalize"/>), collapse texts equal after
/// normalisation, shingle, MinHash, propose candidate pairs by LSH banding, verify each candidate by exact Jaccard of
/// the shingle sets, and join the verified pairs into groups (union-find). Empty texts (nothing left after
/// normalisation) are never near-duplicates. Memory is 8 bytes per LSH band (32 at k = 128, threshold 0.8) plus the
/// shingle set per distinct text (≈ 50 MB for 100,000 short examples); signatures live only in one scratch per worker.
/// Time is linear in the total text plus the candidate pairs.
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
        // split < 0: one list, every pair counts; otherwise only pairs with one index below split and one at or above.
        bool Keep(int a, int b) => a != b && (split < 0 || (a < split) != (b < split));
        var recorded = new HashSet<long>();
        var n = texts.Count;
        var uf = new UnionFind(n);
        var pairs = new List<NearDuplicatePair>();
        var truncated = false;

        void Record(int a, int b, double j)
        {
            if (a > b) (a, b) = (b, a);
            if (!Keep(a, b) || !recorded.Add(((long)a << 32) | (uint)b)) return;
            uf.Union(a, b);
            if (pairs.Count < _options.MaxPairs) pairs.Add(new NearDuplicatePair(a, b, j));
            else truncated = true;
        }

        // 1. Collapse texts equal after normalisation; every later step works on one representative per class.
        var reps = new List<int>();
        var members = new List<List<int>>();
        var byText = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            var norm = TextNormalizer.Normalize(texts[i] ?? throw new ArgumentException($"Text {i} is null.", nameof(texts)));
            if (norm.Length == 0) continue;
            if (byText.TryGetValue(norm, out var r)) members[r].Add(i);
            else
            {
                byText[norm] = reps.Count;
                reps.Add(i);
                members.Add([i]);
            }
        }
        // Shingle from the class's normalised text (the dictionary key).
        var normOf = new string[reps.Count];
        foreach (var (text, r) in byText) normOf[r] = text;
        byText.Clear();

        // Texts equal after normalisation pair as a star: each member with the first member it may pair with
        // (in the across mode, the first member on the other side).
        foreach (var m in members)
        {
            if (m.Count < 2) continue;
            foreach (var x in m)
            {
                var y = m.FindIndex(c => Keep(x, c));
                if (y >= 0) Record(x, m[y], 1.0);
            }
        }

        // 2. Shingles and LSH band keys per representative; the signature lives in one scratch per worker.
        var k = _options.HashCount;
        var hasher = new MinHasher(k, _options.Seed);
        var bands = _options.EffectiveBands();
        var rows = k / bands;
        var count = reps.Count;
        var shingles = new ulong[count][];
        var bandKeys = new ulong[checked(bands * count)]; // band-major: band b of rep r at b * count + r
        // Each representative is independent: compute in parallel (the result does not depend on the schedule).
        Parallel.For(0, count, () => new uint[k], (r, _, sig) =>
        {
            shingles[r] = _options.Shingler.Shingle(normOf[r]);
            hasher.Signature(shingles[r], sig);
            for (var b = 0; b < bands; b++) bandKeys[b * count + r] = BandKey(b, sig.AsSpan(b * rows, rows));
            return sig;
        }, _ => { });

        // 3. LSH banding: within each band, representatives with equal keys are candidates, visited in (key, rep)
        // order. Only keys seen twice are sorted; a dictionary finds them.
        var firstWithKey = new Dictionary<ulong, int>(count);
        var shared = new List<(ulong Key, int Rep)>();
        var seen = new HashSet<long>();
        for (var b = 0; b < bands; b++)
        {
            var keys = bandKeys.AsSpan(b * count, count);
            firstWithKey.Clear();
            shared.Clear();
            for (var r = 0; r < count; r++)
            {
                ref var first = ref CollectionsMarshal.GetValueRefOrAddDefault(firstWithKey, keys[r], out var exists);
                if (!exists) { first = r; continue; }
                if (first >= 0) { shared.Add((keys[r], first)); first = -1; }
                shared.Add((keys[r], r));
            }
            shared.Sort();
            var start = 0;
            while (start < shared.Count)
            {
                var end = start + 1;
                while (end < shared.Count && shared[end].Key == shared[start].Key) end++;
                if (end - start <= _options.MaxBucketPairwise)
                {
                    for (var x = start; x < end; x++)
                        for (var y = x + 1; y < end; y++) Verify(shared[x].Rep, shared[y].Rep);
                }
                else
                {
                    for (var y = start + 1; y < end; y++) Verify(shared[start].Rep, shared[y].Rep);
                }
                start = end;
            }
        }

        void Verify(int ra, int rb)
        {
            if (ra > rb) (ra, rb) = (rb, ra);
            if (!seen.Add(((long)ra << 32) | (uint)rb)) return;
            var j = Jaccard.Exact(shingles[ra], shingles[rb]);
            if (j < _options.Threshold) return;
            if (split < 0)
            {
                Record(reps[ra], reps[rb], j);
                return;
            }
            // Across: every member of either class pairs with the first member of the other class on the other side.
            PairInto(members[ra], members[rb], j);
            PairInto(members[rb], members[ra], j);
        }

        void PairInto(List<int> from, List<int> to, double j)
        {
            foreach (var x in from)
            {
                var y = to.FindIndex(c => Keep(x, c));
                if (y >= 0) Record(x, to[y], j);
            }
        }

        pairs.Sort((p, q) => p.First != q.First ? p.First.CompareTo(q.First) : p.Second.CompareTo(q.Second));
        return new NearDuplicateResult(n, _options.Threshold, pairs, truncated, uf.Sets(minSize: 2));
    }

    /// <summary>The LSH key of band <paramref name="band"/>: its rows of the signature hashed in order.</summary>
    private static ulong BandKey(int band, ReadOnlySpan<uint> rows)
    {
        var h = (ulong)band;
        foreach (var v in rows) h = StableHash.Combine(h, v);
        return h;
    }
}
