namespace Hone.Data.Similarity;

/// <summary>
/// Sorts 64-bit keys with an int item each, ascending by (key, item) when the items of equal keys start in ascending
/// order (the LSH band keys of <see cref="NearDuplicateIndex.Finish"/>, whose items are 0, 1, 2, ...): an LSD radix sort,
/// stable, in six passes of 11 bits (the counts of all six digits taken in one read), instead of a comparison sort.
/// Its naive twin is <see cref="SortPairsNaive"/>; the two give the same arrays for any input.
/// </summary>
public static class RadixSort
{
    private const int DigitBits = 11;
    private const int Buckets = 1 << DigitBits;
    private const int Passes = 6; // 6 × 11 ≥ 64

    /// <summary>Below this many keys the comparison sort is as quick.</summary>
    private const int SmallCount = 256;

    /// <summary>
    /// Sorts <paramref name="keys"/> [n] ascending and moves <paramref name="items"/> [n] with them; equal keys keep the
    /// order their items had (stable). <paramref name="keyScratch"/> [≥ n] and <paramref name="itemScratch"/> [≥ n]
    /// are working space (their contents are overwritten). Allocates only its 48 KB table of digit counts.
    /// </summary>
    public static void SortPairs(Span<ulong> keys, Span<int> items, Span<ulong> keyScratch, Span<int> itemScratch)
    {
        var n = keys.Length;
        if (items.Length != n) throw new ArgumentException($"{items.Length} items for {n} keys.", nameof(items));
        if (keyScratch.Length < n || itemScratch.Length < n) throw new ArgumentException($"The scratch holds fewer than the {n} keys.", nameof(keyScratch));
        if (n < SmallCount)
        {
            SortPairsNaive(keys, items);
            return;
        }

        Span<int> counts = new int[Passes * Buckets]; // 48 KB: too large for the stack; one per sort
        foreach (var k in keys)
        {
            for (var p = 0; p < Passes; p++) counts[(p * Buckets) + (int)((k >> (p * DigitBits)) & (Buckets - 1))]++;
        }

        Span<ulong> srcKeys = keys, dstKeys = keyScratch[..n];
        Span<int> srcItems = items, dstItems = itemScratch[..n];
        var inScratch = false;
        for (var p = 0; p < Passes; p++)
        {
            var offsets = counts.Slice(p * Buckets, Buckets);
            var shift = p * DigitBits;
            if (offsets[(int)((srcKeys[0] >> shift) & (Buckets - 1))] == n) continue; // every key has this digit

            var sum = 0;
            for (var b = 0; b < Buckets; b++)
            {
                var c = offsets[b];
                offsets[b] = sum;
                sum += c;
            }
            for (var i = 0; i < n; i++)
            {
                var k = srcKeys[i];
                var at = offsets[(int)((k >> shift) & (Buckets - 1))]++;
                dstKeys[at] = k;
                dstItems[at] = srcItems[i];
            }
            var tk = srcKeys;
            srcKeys = dstKeys;
            dstKeys = tk;
            var ti = srcItems;
            srcItems = dstItems;
            dstItems = ti;
            inScratch = !inScratch;
        }
        if (inScratch)
        {
            srcKeys.CopyTo(keys);
            srcItems.CopyTo(items);
        }
    }

    /// <summary>
    /// Naive twin of <see cref="SortPairs"/>: a comparison sort of <paramref name="keys"/> [n] with
    /// <paramref name="items"/> [n], then each run of equal keys put back in the order its items had (stable).
    /// </summary>
    public static void SortPairsNaive(Span<ulong> keys, Span<int> items)
    {
        var n = keys.Length;
        if (items.Length != n) throw new ArgumentException($"{items.Length} items for {n} keys.", nameof(items));
        var order = new int[n];
        for (var i = 0; i < n; i++) order[i] = i;
        var k = keys.ToArray();
        var it = items.ToArray();
        Array.Sort(order, (a, b) => k[a] != k[b] ? k[a].CompareTo(k[b]) : a.CompareTo(b));
        for (var i = 0; i < n; i++)
        {
            keys[i] = k[order[i]];
            items[i] = it[order[i]];
        }
    }
}
