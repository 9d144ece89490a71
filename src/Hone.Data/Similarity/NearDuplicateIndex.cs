using System.Runtime.InteropServices;

namespace Hone.Data.Similarity;

/// <summary>
/// Near-duplicate search over texts given one at a time (<see cref="Add"/>), in bounded memory: a text is normalised
/// (<see cref="TextNormalizer.Normalize"/>), shingled, MinHashed and banded on arrival (in parallel batches) and then
/// dropped; its shingle set and LSH band keys go to stores that move to a temporary file (deleted on
/// <see cref="Dispose"/>) past <see cref="NearDuplicateOptions.SpillThresholdBytes"/>, and the hash of its normalised
/// text to an external sort. <see cref="Finish"/> collapses texts equal after normalisation to their first member,
/// bands the representatives, verifies candidates by exact Jaccard and groups the pairs, exactly as
/// <see cref="NearDuplicateFinder"/> describes: same pairs, same order, same groups. Memory per text while adding: an
/// 8-byte store offset and a 16-byte <see cref="SetSketch"/>; the rest is bounded by the threshold (and, in <see cref="Finish"/>, 60 bytes per distinct text (its set size and sketch among them):
/// two bands are held at once, one of them being radix-sorted through a scratch copy; the pairs already met are remembered in a table of at most 16 MB,
/// <see cref="PairCache"/>). Candidates are verified a block at a time on worker threads and accepted in order.
/// </summary>
public sealed class NearDuplicateIndex : IDisposable
{
    /// <summary>Representatives shingled together in one parallel batch (also bounded by <see cref="BatchChars"/>).</summary>
    private const int BatchTexts = 4096;

    private const long BatchChars = 16L << 20;

    /// <summary>Candidate pairs whose Jaccard is computed together on the workers.</summary>
    private const int VerifyBlock = 1 << 14;

    /// <summary>A block also ends once its pairs' sets hold this many shingles (read into memory at once when spilled: 32 MB).</summary>
    private const long VerifyBlockShingles = 4L << 20;

    private readonly NearDuplicateOptions _options;
    private readonly MinHasher _hasher;
    private readonly int _bands;
    private readonly int _rows;
    private readonly SortSpill<HashedLine> _classes;
    private readonly List<string> _pending = []; // normalised texts not yet shingled ("" for empty ones)
    private readonly ShingleStore _shingles;
    private readonly BandKeyStore _bandKeys;
    private long _pendingChars;
    private bool _finished;

    /// <summary>Creates an index; the options are validated here.</summary>
    public NearDuplicateIndex(NearDuplicateOptions? options = null)
    {
        _options = options ?? new NearDuplicateOptions();
        _options.Validate();
        _hasher = new MinHasher(_options.HashCount, _options.Seed);
        _bands = _options.EffectiveBands();
        _rows = _options.HashCount / _bands;
        _shingles = new ShingleStore(_options.SpillThresholdBytes, _options.SpillDirectory);
        _classes = new SortSpill<HashedLine>(Math.Clamp(_options.SpillThresholdBytes / 4, 1 << 16, 16L << 20), _options.SpillDirectory);
        _bandKeys = new BandKeyStore(_bands, Math.Clamp(_options.SpillThresholdBytes / 8, 1 << 16, 8L << 20), _options.SpillDirectory);
    }

    /// <summary>The options in use.</summary>
    public NearDuplicateOptions Options => _options;

    /// <summary>Texts added so far; the next one gets this index.</summary>
    public int Count { get; private set; }

    /// <summary>Whether shingle sets went to the temporary file (the set was larger than the threshold).</summary>
    public bool Spilled => _shingles.Spilled;

    /// <summary>Adds the text with index <see cref="Count"/>.</summary>
    public void Add(string text)
    {
        if (_finished) throw new InvalidOperationException("Finish was already called; create a new index.");
        var norm = TextNormalizer.Normalize(text ?? throw new ArgumentException($"Text {Count} is null.", nameof(text)));
        if (norm.Length > 0) _classes.Add(new HashedLine(TextHash.Of(norm), Count));
        _pending.Add(norm);
        _pendingChars += norm.Length;
        Count++;
        if (_pending.Count >= BatchTexts || _pendingChars >= BatchChars) Flush();
    }

    /// <summary>
    /// What <see cref="Add(PreparedText)"/> files for <paramref name="text"/>: its normalised text's hash, shingle set
    /// and LSH band keys, exactly as <see cref="Add(string)"/> makes them. Pure and thread-safe, so callers prepare
    /// texts on worker threads and add them in order on one.
    /// </summary>
    public PreparedText Prepare(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return PrepareNormalized(TextNormalizer.Normalize(text));
    }

    /// <summary><see cref="Prepare(string)"/> of <c>first + separator + second</c>, without making that string.</summary>
    public PreparedText Prepare(string first, char separator, string? second)
    {
        ArgumentNullException.ThrowIfNull(first);
        // Normalised into a pooled buffer and shingled and hashed from there (no string of it).
        var rented = System.Buffers.ArrayPool<char>.Shared.Rent(first.Length + 1 + (second?.Length ?? 0));
        try
        {
            return PrepareNormalized(rented.AsSpan(0, TextNormalizer.NormalizeInto(first, separator, second, rented)));
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(rented);
        }
    }

    private PreparedText PrepareNormalized(ReadOnlySpan<char> norm)
    {
        var keys = new ulong[_bands];
        Span<uint> sig = _options.HashCount <= 256 ? stackalloc uint[_options.HashCount] : new uint[_options.HashCount];
        var set = ShingleAndBand(norm, sig, keys);
        return new PreparedText(norm.Length == 0 ? null : TextHash.Of(norm), set, keys);
    }

    /// <summary>Adds a text <see cref="Prepare"/>d by this index (or one with the same options) with index <see cref="Count"/>.</summary>
    public void Add(PreparedText text)
    {
        if (_finished) throw new InvalidOperationException("Finish was already called; create a new index.");
        ArgumentNullException.ThrowIfNull(text);
        if (text.BandKeys.Length != _bands) throw new ArgumentException($"The text was prepared with {text.BandKeys.Length} bands; this index uses {_bands}.", nameof(text));
        Flush(); // texts added as strings before it go first
        if (text.Hash is { } hash) _classes.Add(new HashedLine(hash, Count));
        _shingles.Append(text.Shingles);
        _bandKeys.Append(text.BandKeys);
        Count++;
    }

    /// <summary>
    /// The near-duplicates among the texts added. With <paramref name="split"/> ≥ 0, only pairs with one index below
    /// <paramref name="split"/> and one at or above it count (see <see cref="NearDuplicateFinder.FindAcross"/>).
    /// Call once.
    /// </summary>
    public NearDuplicateResult Finish(int split = -1)
    {
        if (_finished) throw new InvalidOperationException("Finish can be called once.");
        _finished = true;
        Flush();

        bool Keep(int a, int b) => a != b && (split < 0 || (a < split) != (b < split));
        var recorded = new HashSet<long>();
        var n = Count;
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

        // Texts equal after normalisation form a class; its first member represents it. Representatives are numbered
        // by their first member; the members of classes of two or more are kept (ascending) by that first member.
        var firstList = new ChunkedList<int>();
        var multi = new Dictionary<int, List<int>>();
        List<int>? members = null;
        var previous = default(TextHash);
        foreach (var c in _classes.Sorted())
        {
            if (firstList.Count > 0 && c.Key == previous)
            {
                if (members is null) multi[firstList[firstList.Count - 1]] = members = [firstList[firstList.Count - 1]];
                members.Add((int)c.Line);
                continue;
            }
            firstList.Add((int)c.Line);
            previous = c.Key;
            members = null;
        }
        var count = firstList.Count;
        var firsts = new int[count];
        for (var r = 0; r < count; r++) firsts[r] = firstList[r];
        Array.Sort(firsts);
        // Each representative's set size, read once here: the candidate filter below looks sizes up in random order,
        // one cache miss each in this array rather than two offsets each in the store's chunked list.
        _shingles.Freeze();
        var sizes = new int[count];
        var sketches = new SetSketch[count]; // likewise each one's sketch: a pair it rules out is never read
        for (var r = 0; r < count; r++) sizes[r] = _shingles.Size(firsts[r]);
        _shingles.MoveSketches(firsts, sketches);
        List<int> Members(int r) => multi.TryGetValue(firsts[r], out var list) ? list : [firsts[r]];

        // Texts equal after normalisation pair as a star: each member with the first member it may pair with
        // (in the across mode, the first member on the other side).
        foreach (var first in firsts)
        {
            if (!multi.TryGetValue(first, out var m)) continue;
            foreach (var x in m)
            {
                var y = m.FindIndex(c => Keep(x, c));
                if (y >= 0) Record(x, m[y], 1.0);
            }
        }

        // LSH banding: within each band, representatives with equal keys are candidates, visited in (key, rep) order.
        // A pair already met in an earlier band is skipped (a bounded cache: a pair it has forgotten is verified again,
        // to the same result, and Record ignores it); a pair whose set sizes alone rule the threshold out
        // (J ≤ min/max), or whose sketches do (an exact upper bound, SetSketch.MayReach), is never read. The exact Jaccard of the candidates left is computed a block at a time on worker
        // threads, and each block is then accepted in candidate order: the pairs found, and their order, are those of
        // one verification after the other.
        var seen = new PairCache(count);
        var block = new List<(int A, int B)>(VerifyBlock);
        var jaccards = new double[VerifyBlock];
        long blockShingles = 0;
        var spilled = _shingles.Spilled;
        var sets = new BlockSets();
        var needed = spilled ? new int[2 * VerifyBlock] : [];

        void Candidate(int ra, int rb)
        {
            if (ra > rb) (ra, rb) = (rb, ra);
            if (!seen.Add(ra, rb)) return;
            int sa = sizes[ra], sb = sizes[rb];
            if (sa == 0 || sb == 0 || (double)Math.Min(sa, sb) / Math.Max(sa, sb) < _options.Threshold) return;
            if (!SetSketch.MayReach(sketches[ra], sa, sketches[rb], sb, _options.Threshold)) return;
            block.Add((ra, rb));
            blockShingles += sa + sb;
            if (block.Count == VerifyBlock || blockShingles >= VerifyBlockShingles) VerifyBlockNow();
        }

        void VerifyBlockNow()
        {
            var n = block.Count;
            if (n == 0) return;
            if (spilled)
            {
                // Each set the block needs is read from the file once (in file order), not once per pair it is in.
                for (var i = 0; i < n; i++) (needed[2 * i], needed[(2 * i) + 1]) = (firsts[block[i].A], firsts[block[i].B]);
                sets.Load(_shingles, needed.AsSpan(0, 2 * n));
            }
            void Range(int from, int to)
            {
                for (var i = from; i < to; i++)
                {
                    var (ra, rb) = block[i];
                    // In memory, Get hands out the stored arrays (no copy); spilled, the block's sets were loaded above.
                    jaccards[i] = spilled ? Jaccard.Exact(sets.Get(firsts[ra]), sets.Get(firsts[rb]))
                        : Jaccard.Exact(_shingles.Get(firsts[ra]), _shingles.Get(firsts[rb]));
                }
            }
            ParallelRanges.Run(n, serialBelow: 512, minRange: 256, Range);
            for (var i = 0; i < n; i++)
            {
                if (jaccards[i] >= _options.Threshold) Accept(block[i].A, block[i].B, jaccards[i]);
            }
            block.Clear();
            blockShingles = 0;
        }

        void Accept(int ra, int rb, double j)
        {
            if (split < 0)
            {
                Record(firsts[ra], firsts[rb], j);
                return;
            }
            // Across: every member of either class pairs with the first member of the other class on the other side.
            PairInto(Members(ra), Members(rb), j);
            PairInto(Members(rb), Members(ra), j);
        }

        void PairInto(List<int> from, List<int> to, double j)
        {
            foreach (var x in from)
            {
                var y = to.FindIndex(c => Keep(x, c));
                if (y >= 0) Record(x, to[y], j);
            }
        }

        // Band b + 1 is gathered and sorted on another thread while band b's candidates are verified here (the
        // verification order, and so the pairs found, are those of one band after the other).
        // Representatives are numbered in order and the radix sort is stable, so equal keys come out in representative
        // order, as the comparison sort followed by the bucket sort below gives them.
        (ulong[] Keys, int[] Reps) band0 = (new ulong[count], new int[count]), spare = (new ulong[count], new int[count]);
        var scratchKeys = new ulong[count];
        var scratchReps = new int[count]; // one sort runs at a time
        (ulong[] Keys, int[] Reps) SortBand(int band, (ulong[] Keys, int[] Reps) into)
        {
            _bandKeys.GatherBand(band, firsts, into.Keys);
            for (var r = 0; r < count; r++) into.Reps[r] = r;
            RadixSort.SortPairs(into.Keys, into.Reps, scratchKeys, scratchReps);
            return into;
        }
        var next = Task.Run(() => SortBand(0, band0));
        try
        {
            for (var b = 0; b < _bands; b++)
            {
                var sorted = next.GetAwaiter().GetResult();
                var band = b + 1;
                var into = spare;
                spare = sorted;
                next = band < _bands ? Task.Run(() => SortBand(band, into)) : Task.FromResult(into);
                VerifyBand(sorted.Keys, sorted.Reps);
            }
        }
        finally
        {
            try { next.Wait(); } catch (AggregateException) { } // it reads the band store, which the caller may dispose
        }

        void VerifyBand(ulong[] keys, int[] reps)
        {
            var start = 0;
            while (start < count)
            {
                var end = start + 1;
                while (end < count && keys[end] == keys[start]) end++;
                if (end - start >= 2)
                {
                    var bucket = reps.AsSpan(start, end - start);
                    bucket.Sort(); // equal keys in representative order
                    if (bucket.Length <= _options.MaxBucketPairwise)
                    {
                        for (var x = start; x < end; x++)
                            for (var y = x + 1; y < end; y++) Candidate(reps[x], reps[y]);
                    }
                    else
                    {
                        for (var y = start + 1; y < end; y++) Candidate(reps[start], reps[y]);
                    }
                }
                start = end;
            }
        }

        VerifyBlockNow();

        pairs.Sort((p, q) => p.First != q.First ? p.First.CompareTo(q.First) : p.Second.CompareTo(q.Second));
        return new NearDuplicateResult(n, _options.Threshold, pairs, truncated, uf.Sets(minSize: 2));
    }

    /// <summary>Shingles, signs and bands the pending texts in parallel, then stores them in order.</summary>
    private void Flush()
    {
        var k = _pending.Count;
        if (k == 0) return;
        var sets = new ulong[k][];
        var keys = new ulong[checked(k * _bands)];
        Parallel.For(0, k, () => new uint[_options.HashCount], (i, _, sig) =>
        {
            sets[i] = ShingleAndBand(_pending[i], sig, keys.AsSpan(i * _bands, _bands));
            return sig;
        }, _ => { });
        for (var i = 0; i < k; i++)
        {
            _shingles.Append(sets[i]);
            _bandKeys.Append(keys.AsSpan(i * _bands, _bands));
        }
        _pending.Clear();
        _pendingChars = 0;
    }

    /// <summary>
    /// The shingle set of a normalised text, with its LSH band keys written to <paramref name="keys"/>
    /// (<paramref name="signature"/> is scratch). An empty text has no shingles and its keys are left as they are
    /// (it is never a representative, so they are not read).
    /// </summary>
    private ulong[] ShingleAndBand(ReadOnlySpan<char> norm, Span<uint> signature, Span<ulong> keys)
    {
        if (norm.Length == 0) return [];
        var set = _options.Shingler.Shingle(norm);
        _hasher.Signature(set, signature);
        for (var b = 0; b < _bands; b++) keys[b] = BandKey(b, signature.Slice(b * _rows, _rows));
        return set;
    }

    /// <summary>The LSH key of band <paramref name="band"/>: its rows of the signature hashed in order.</summary>
    private static ulong BandKey(int band, ReadOnlySpan<uint> rows)
    {
        var h = (ulong)band;
        foreach (var v in rows) h = StableHash.Combine(h, v);
        return h;
    }

    /// <summary>Deletes the temporary files.</summary>
    public void Dispose()
    {
        _shingles.Dispose();
        _bandKeys.Dispose();
        _classes.Dispose();
    }
}

/// <summary>
/// A text as <see cref="NearDuplicateIndex.Prepare"/> made it: the hash of its normalised form (null when that is
/// empty), its shingle set (sorted, distinct) and its LSH band keys.
/// </summary>
public sealed record PreparedText(TextHash? Hash, ulong[] Shingles, ulong[] BandKeys);
