using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>
/// <see cref="Attention.Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, Span{float}, int, int, int, int, int, float, WorkerPool?)"/>
/// over a half-precision (F16) KV cache, as llama.cpp keeps it: half the bytes a decode step reads. The cache is
/// head-major, [kvHeads, capacity, headDim], so a KV head's keys (and values) are one contiguous stream. Keys and
/// values are widened as they are read (<see cref="HalfConvert"/>), never copied to a float cache. Decode rows
/// take one work item per (token, KV head): a tile of <see cref="TileKeys"/> keys is widened once into a small
/// stack buffer (L1) and read from there by every query head of the group, then the same for the values, so grouped
/// heads read their KV head from memory once; with one query head per KV head there is nothing to share, and finite
/// keys and values are widened in registers as the dot products read them (<see cref="HeadVectors.Dot4Half"/>,
/// <see cref="HeadVectors.WeightedSumAddHalf"/>: the same bits, ~15-20% less time than the tile on a 134M decode's
/// attention from memory, bench <c>attention-decode</c>). Prompt blocks take the blocked path, whose packing widens.
/// The arithmetic is that of the F32 kernel, in the same order: on a cache holding the same (F16-representable)
/// values the results are the F32 kernel's bits. The naive twin is
/// <see cref="Attention.ForwardNaive{T}(ReadOnlySpan{float}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{int}, Span{float}, Span{float}, int, int, int, int, int, int, float)"/>.
/// </summary>
public static unsafe class AttentionHalf
{
    /// <summary>Keys (or values) widened per tile: a multiple of four (the dot products go four keys at a time).</summary>
    private const int TileKeys = 16;

    /// <summary>Tiles of keys in flight: the one scored and those asked for ahead of it.</summary>
    private const int PrefetchTiles = 4;

    /// <summary>Largest head the decode tile serves (its stack buffer is TileKeys × this floats).</summary>
    private const int MaxHeadDim = 512;

    [ThreadStatic]
    private static DecodeJob? t_job;

    /// <summary>
    /// Shapes as <see cref="Attention.Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, Span{float}, int, int, int, int, int, float, WorkerPool?)"/>:
    /// q [tokens, heads, headDim]; k, v [kvHeads, capacity, headDim] in F16 with capacity ≥ start + tokens (positions
    /// past start + tokens are not read); firstVisible [tokens] or empty; probs [tokens, heads, start + tokens]
    /// (written, zero outside each row's window); output [tokens, heads, headDim]. headDim ≤ 512. Results do not
    /// depend on the thread count.
    /// </summary>
    public static void Forward(
        ReadOnlySpan<float> q, ReadOnlySpan<Half> k, ReadOnlySpan<Half> v, ReadOnlySpan<int> firstVisible, Span<float> probs, Span<float> output,
        int tokens, int start, int heads, int kvHeads, int headDim, int capacity, float scale, WorkerPool? pool = null)
    {
        int kvLen = CheckHeadMajor(q, k.Length, v.Length, firstVisible, probs, output, tokens, start, heads, kvHeads, headDim, capacity);
        fixed (float* pq = q)
        fixed (Half* pk = k)
        fixed (Half* pv = v)
        fixed (int* pf = firstVisible)
        fixed (float* pp = probs)
        fixed (float* po = output)
        {
            int* first = firstVisible.IsEmpty ? null : pf;
            if (tokens >= AttentionBlocked.BlockedMinTokens)
            {
                AttentionBlocked.Forward(pq, null, null, (ushort*)pk, (ushort*)pv, capacity, first, pp, po, tokens, start, heads, kvHeads, headDim, kvLen, scale, pool ?? WorkerPool.Single);
                return;
            }

            var job = t_job ??= new DecodeJob();
            job.Set((ushort*)pk, (ushort*)pv, capacity, new RowAttention(pq, first, pp, po, start, heads, kvHeads, headDim, kvLen, scale));
            (pool ?? WorkerPool.Single).Run(job, tokens * kvHeads);
        }
    }

    /// <summary>The shape checks of <see cref="Attention.Check(ReadOnlySpan{float}, int, int, ReadOnlySpan{int}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, int, int)"/>
    /// for a head-major cache of <paramref name="capacity"/> positions per KV head; returns kvLen.</summary>
    internal static int CheckHeadMajor(
        ReadOnlySpan<float> q, int kLength, int vLength, ReadOnlySpan<int> firstVisible, ReadOnlySpan<float> probs, ReadOnlySpan<float> output,
        int tokens, int start, int heads, int kvHeads, int headDim, int capacity)
    {
        int kvLen = Attention.Check(q, kLength, vLength, firstVisible, probs, output, tokens, start, heads, kvHeads, headDim);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(headDim, MaxHeadDim);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, kvLen);
        ArgumentOutOfRangeException.ThrowIfLessThan(kLength, (long)kvHeads * capacity * headDim, "k");
        ArgumentOutOfRangeException.ThrowIfLessThan(vLength, (long)kvHeads * capacity * headDim, "v");
        return kvLen;
    }

    /// <summary>One (token, KV head) per item: the scores, softmax and weighted values of the group's query heads.</summary>
    private sealed class DecodeJob : IParallelWork
    {
        private ushort* _k;
        private ushort* _v;
        private int _capacity;
        private RowAttention _a;

        public void Set(ushort* k, ushort* v, int capacity, in RowAttention a)
        {
            _k = k;
            _v = v;
            _capacity = capacity;
            _a = a;
        }

        public void Execute(int index, int worker)
        {
            RowAttention a = _a;
            int t = index / a.KvHeads, kvh = index % a.KvHeads, headDim = a.HeadDim;
            int group = a.Heads / a.KvHeads, h0 = (t * a.Heads) + (kvh * group);
            ushort* keys = _k + ((long)kvh * _capacity * headDim), values = _v + ((long)kvh * _capacity * headDim);
            int limit = a.Start + t + 1;
            int first = a.FirstVisible is null ? 0 : a.FirstVisible[t];
            float* tile = stackalloc float[TileKeys * headDim];
            bool dot4 = HeadVectors.CanDot4(headDim);

            // One query head per KV head (no tile to share): finite keys and values are widened in registers as the
            // dot products read them, not stored to the tile and read back (the same bits: the widening is exact).
            bool inRegisters = group == 1 && dot4 && Vector512.IsHardwareAccelerated && Avx512BW.IsSupported;

            // Scores: each tile of keys widened once, dotted with every query head of the group. The keys are asked for
            // PrefetchTiles tiles ahead of the one scored (the first ones before the loop), this tile's values with them.
            for (int j0 = first; j0 < limit && j0 < first + ((PrefetchTiles - 1) * TileKeys); j0 += TileKeys)
            {
                Prefetch(keys + ((long)j0 * headDim), TileKeys * headDim);
            }

            for (int j0 = first; j0 < limit; j0 += TileKeys)
            {
                int n = Math.Min(TileKeys, limit - j0);
                Prefetch(keys + ((long)(j0 + ((PrefetchTiles - 1) * TileKeys)) * headDim), TileKeys * headDim);
                Prefetch(values + ((long)j0 * headDim), n * headDim);
                ushort* tileKeys = keys + ((long)j0 * headDim);
                if (inRegisters && HalfConvert.AllFinite(tileKeys, n * headDim))
                {
                    ScoreInRegisters(a, h0, tileKeys, j0, n, tile);
                    continue;
                }

                HalfConvert.Widen(tileKeys, tile, n * headDim);
                for (int row = h0; row < h0 + group; row++)
                {
                    float* q = a.Q + ((long)row * headDim);
                    float* p = a.Probs + ((long)row * a.KvLen) + j0;
                    int j = 0;
                    if (dot4)
                    {
                        for (; j + 4 <= n; j += 4)
                        {
                            float* k0 = tile + (j * headDim);
                            Vector128<float> s = HeadVectors.Dot4(q, k0, k0 + headDim, k0 + (2 * headDim), k0 + (3 * headDim), headDim) * a.Scale;
                            s.Store(p + j);
                        }
                    }

                    for (; j < n; j++)
                    {
                        p[j] = HeadVectors.Dot(q, tile + (j * headDim), headDim) * a.Scale;
                    }
                }
            }

            for (int row = h0; row < h0 + group; row++)
            {
                var p = new Span<float>(a.Probs + ((long)row * a.KvLen), a.KvLen);
                p[..first].Clear();
                p[limit..].Clear();
                Softmax.InPlace(p[first..limit]);
                new Span<float>(a.Output + ((long)row * headDim), headDim).Clear();
            }

            // Output: each tile of values widened once, added into every query head's output.
            for (int j0 = first; j0 < limit; j0 += TileKeys)
            {
                int n = Math.Min(TileKeys, limit - j0);
                ushort* tileValues = values + ((long)j0 * headDim);
                if (inRegisters && headDim % 64 == 0 && HalfConvert.AllFinite(tileValues, n * headDim))
                {
                    HeadVectors.WeightedSumAddHalf(a.Probs + ((long)h0 * a.KvLen) + j0, n, tileValues, headDim, a.Output + ((long)h0 * headDim), headDim);
                    continue;
                }

                HalfConvert.Widen(tileValues, tile, n * headDim);
                for (int row = h0; row < h0 + group; row++)
                {
                    HeadVectors.WeightedSumAdd(a.Probs + ((long)row * a.KvLen) + j0, n, tile, headDim, a.Output + ((long)row * headDim), headDim);
                }
            }
        }
    }

    /// <summary>The scores of query head <paramref name="row"/> (its group's only one) against the n finite keys at
    /// <paramref name="keys"/> (positions j0..): four at a time widened in registers, as the tile path's
    /// <see cref="HeadVectors.Dot4"/>; the last n % 4 through the tile and <see cref="HeadVectors.Dot"/>, as there.</summary>
    private static void ScoreInRegisters(in RowAttention a, int row, ushort* keys, int j0, int n, float* tile)
    {
        int headDim = a.HeadDim;
        float* q = a.Q + ((long)row * headDim);
        float* p = a.Probs + ((long)row * a.KvLen) + j0;
        int j = 0;
        for (; j + 4 <= n; j += 4)
        {
            ushort* k0 = keys + ((long)j * headDim);
            Vector128<float> s = HeadVectors.Dot4Half(q, k0, k0 + headDim, k0 + (2 * headDim), k0 + (3 * headDim), headDim) * a.Scale;
            s.Store(p + j);
        }

        if (j < n)
        {
            HalfConvert.Widen(keys + ((long)j * headDim), tile, (n - j) * headDim);
            for (int t = j; t < n; t++)
            {
                p[t] = HeadVectors.Dot(q, tile + ((long)(t - j) * headDim), headDim) * a.Scale;
            }
        }
    }

    /// <summary>Asks for count halves at src (a tile of keys ahead of the one scored, or this tile's values): the cache of a
    /// decode step comes from memory (the weights streamed since evicted it), and a tile's arithmetic is too short for
    /// the hardware prefetcher to run ahead of it (a 1-thread decode spent 12% of its time in attention, with the keys
    /// one tile ahead 8%). A prefetch never faults, so a tile may lie past the last position.</summary>
    private static void Prefetch(ushort* src, int count)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        byte* p = (byte*)src;
        for (int b = 0; b < count * sizeof(ushort); b += 64)
        {
            Sse.Prefetch0(p + b);
        }
    }
}
