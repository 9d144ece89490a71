using System.Globalization;
using System.Runtime.InteropServices;
using Hone.Data.Similarity;

namespace Hone.Data.Tests.Splitting.Similarity;

/// <summary>
/// The streaming near-duplicate index (issue 18 item 12: bounded memory, spilling to disk) held to the in-memory
/// algorithm it replaced, kept here as its twin: same pairs, same Jaccard values, same truncation, same groups, in the
/// single-list and the across mode, with the shingle sets and band keys in memory or spilled, texts added whole or prepared on other threads.
/// </summary>
public class NearDuplicateIndexTests
{
    private static List<string> Corpus(int seed)
    {
        var rng = new Random(seed);
        var vocab = Enumerable.Range(0, 400).Select(i => "v" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var texts = new List<string>();
        string[] Words(int n) => Enumerable.Range(0, n).Select(_ => vocab[rng.Next(vocab.Length)]).ToArray();
        var cluster = Words(40); // one big family of near copies: a bucket larger than MaxBucketPairwise
        for (var i = 0; i < 1600; i++)
        {
            var roll = rng.Next(20);
            string[] words;
            if (roll == 0 && texts.Count > 0) { texts.Add(texts[rng.Next(texts.Count)].ToUpperInvariant() + " !!"); continue; } // equal after normalisation
            if (roll == 1) { texts.Add(rng.Next(2) == 0 ? "" : " ,. "); continue; }                                      // empty after normalisation
            if (roll <= 4)
            {
                words = (string[])cluster.Clone();
                words[rng.Next(words.Length)] = vocab[rng.Next(vocab.Length)];
            }
            else if (roll <= 8 && texts.Count > 0)
            {
                words = texts[rng.Next(texts.Count)].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length == 0) words = Words(5);
                for (var c = 1 + rng.Next(3); c > 0; c--) words[rng.Next(words.Length)] = vocab[rng.Next(vocab.Length)];
            }
            else
            {
                words = Words(5 + rng.Next(60));
            }
            texts.Add(string.Join(' ', words));
        }
        return texts;
    }

    public static TheoryData<double, int, int, int, long> Settings() => new()
    {
        // threshold, max bucket pairwise, max pairs, split (−1: one list), spill threshold
        { 0.8, 256, 1_000_000, -1, 64L << 20 },
        { 0.8, 256, 1_000_000, -1, 0 },
        { 0.5, 4, 1_000_000, -1, 0 },
        { 0.7, 8, 300, -1, 0 },        // truncated: which pairs are kept depends on the order they are found
        { 0.8, 256, 1_000_000, 800, 0 },
        { 0.6, 4, 200, 900, 64L << 20 },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void Streaming_index_equals_the_in_memory_twin(double threshold, int maxBucket, int maxPairs, int split, long spill)
    {
        var texts = Corpus(split < 0 ? 11 : 12);
        var options = new NearDuplicateOptions { Threshold = threshold, MaxBucketPairwise = maxBucket, MaxPairs = maxPairs, SpillThresholdBytes = spill };
        using var index = new NearDuplicateIndex(options);
        foreach (var t in texts) index.Add(t);
        var result = index.Finish(split);
        Assert.Equal(spill == 0, index.Spilled);

        var (pairs, truncated, groups) = InMemoryTwin(texts, split, options);
        Assert.True(pairs.Count > 20, $"only {pairs.Count} pairs: the corpus does not exercise the search");
        Assert.Equal(pairs, result.Pairs.Select(p => (p.First, p.Second, p.Jaccard)).ToList());
        Assert.Equal(truncated, result.PairsTruncated);
        Assert.Equal(groups, result.Groups.Select(g => g.ToList()).ToList());
        Assert.Equal(maxPairs < 1_000_000, truncated);

        // The finder over lists is the same index.
        var finder = new NearDuplicateFinder(options);
        var again = split < 0 ? finder.Find(texts) : finder.FindAcross(texts[..split], texts[split..]);
        Assert.Equal(pairs, again.Pairs.Select(p => (p.First, p.Second, p.Jaccard)).ToList());

        // Texts prepared on other threads and added in order (mixed with texts added whole) make the same index.
        using var prepared = new NearDuplicateIndex(options);
        var made = new PreparedText[texts.Count];
        Parallel.For(0, texts.Count, i => made[i] = prepared.Prepare(texts[i]));
        for (var i = 0; i < texts.Count; i++)
        {
            if (i % 7 == 3) prepared.Add(texts[i]);
            else prepared.Add(made[i]);
        }
        var fromPrepared = prepared.Finish(split);
        Assert.Equal(result.Pairs, fromPrepared.Pairs);
        Assert.Equal(result.PairsTruncated, fromPrepared.PairsTruncated);
        Assert.Equal(result.Groups.Select(g => g.ToList()), fromPrepared.Groups.Select(g => g.ToList()));
    }

    [Fact]
    public void A_spilled_index_leaves_no_file_behind()
    {
        var dir = Hone.Testing.TestAssets.NewTempDir("spill");
        using (var index = new NearDuplicateIndex(new NearDuplicateOptions { SpillThresholdBytes = 0, SpillDirectory = dir }))
        {
            foreach (var t in Corpus(3)) index.Add(t);
            Assert.NotEmpty(index.Finish().Pairs);
            Assert.NotEmpty(Directory.GetFiles(dir));
        }
        Assert.Empty(Directory.GetFiles(dir));
    }

    /// <summary>The algorithm before the streaming index, on a whole list in memory (the commit before issue 18 item 12).</summary>
    private static (List<(int, int, double)> Pairs, bool Truncated, List<List<int>> Groups) InMemoryTwin(IReadOnlyList<string> texts, int split, NearDuplicateOptions o)
    {
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
            if (pairs.Count < o.MaxPairs) pairs.Add(new NearDuplicatePair(a, b, j));
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
        var k = o.HashCount;
        var hasher = new MinHasher(k, o.Seed);
        var bands = o.EffectiveBands();
        var rows = k / bands;
        var count = reps.Count;
        var shingles = new ulong[count][];
        var bandKeys = new ulong[checked(bands * count)]; // band-major: band b of rep r at b * count + r
        // Each representative is independent: compute in parallel (the result does not depend on the schedule).
        Parallel.For(0, count, () => new uint[k], (r, _, sig) =>
        {
            shingles[r] = o.Shingler.Shingle(normOf[r]);
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
                if (end - start <= o.MaxBucketPairwise)
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
            if (j < o.Threshold) return;
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
        return (pairs.Select(p => (p.First, p.Second, p.Jaccard)).ToList(), truncated, uf.Sets(minSize: 2).Select(g => g.ToList()).ToList());
    }

    private static ulong BandKey(int band, ReadOnlySpan<uint> rows)
    {
        var h = (ulong)band;
        foreach (var v in rows) h = Combine(h, v);
        return h;
    }

    private static ulong Combine(ulong seed, ulong value) => Mix(seed ^ (value + 0x9E3779B97F4A7C15UL + (seed << 6) + (seed >> 2)));

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
