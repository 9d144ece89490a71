using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Hone.Numerics;

/// <summary>
/// Causal scaled-dot-product attention over a KV cache, with grouped KV heads (query head h reads KV head
/// h / (heads / kvHeads)). Serves single-token decode (tokens = 1) and prompt blocks alike: token t of the block sits
/// at position start + t and sees cache rows 0..start + t. The probabilities are kept for the backward beside it.
/// </summary>
public static unsafe class Attention
{
    [ThreadStatic]
    private static ForwardJob? t_job;

    [ThreadStatic]
    private static BackwardJob? t_backward;

    /// <summary>
    /// Shapes: q [tokens, heads, headDim]; k, v [≥ start + tokens, kvHeads, headDim] (the cache, already holding this
    /// block's keys and values); probs [tokens, heads, start + tokens] (written, zero past the causal limit);
    /// output [tokens, heads, headDim]. kvHeads must divide heads. Work is split over (token, head) across
    /// <paramref name="pool"/>; results do not depend on the thread count.
    /// </summary>
    public static void Forward(
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> probs, Span<float> output,
        int tokens, int start, int heads, int kvHeads, int headDim, float scale, WorkerPool? pool = null)
        => Forward(q, k, v, default, probs, output, tokens, start, heads, kvHeads, headDim, scale, pool);

    /// <summary>
    /// As the causal <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, int, int, int, int, int, float, WorkerPool?)"/>,
    /// with a window per token: token t sees cache rows firstVisible[t] .. start + t (a document-causal mask when several
    /// examples are packed into one sequence). Shape: firstVisible [tokens], or empty for plain causal.
    /// </summary>
    public static void Forward(
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<int> firstVisible, Span<float> probs, Span<float> output,
        int tokens, int start, int heads, int kvHeads, int headDim, float scale, WorkerPool? pool = null)
    {
        int kvLen = Check(q, k, v, firstVisible, probs, output, tokens, start, heads, kvHeads, headDim);
        ForwardJob job = t_job ??= new ForwardJob();
        fixed (float* pq = q)
        fixed (float* pk = k)
        fixed (float* pv = v)
        fixed (int* pf = firstVisible)
        fixed (float* pp = probs)
        fixed (float* po = output)
        {
            if (tokens >= AttentionBlocked.BlockedMinTokens)
            {
                AttentionBlocked.Forward(pq, pk, pv, null, null, 0, firstVisible.IsEmpty ? null : pf, pp, po, tokens, start, heads, kvHeads, headDim, kvLen, scale, pool ?? WorkerPool.Single);
                return;
            }

            job.Set(pk, pv, new RowAttention(pq, firstVisible.IsEmpty ? null : pf, pp, po, start, heads, kvHeads, headDim, kvLen, scale));
            (pool ?? WorkerPool.Single).Run(job, tokens * heads);
        }
    }

    /// <summary>Naive twin of the forward (single-threaded plain loops); firstVisible as in <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, Span{float}, int, int, int, int, int, float, WorkerPool?)"/>.</summary>
    public static void ForwardNaive(
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<int> firstVisible, Span<float> probs, Span<float> output,
        int tokens, int start, int heads, int kvHeads, int headDim, float scale)
        => ForwardNaive<float>(q, k, v, firstVisible, probs, output, tokens, start, heads, kvHeads, headDim, scale);

    /// <summary>
    /// The naive forward over a cache of any element type (F32 or <see cref="Half"/>: each key and value is widened to
    /// float exactly where it is read), laid out as the forward's: k, v [≥ start + tokens, kvHeads, headDim].
    /// </summary>
    public static void ForwardNaive<T>(
        ReadOnlySpan<float> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<int> firstVisible, Span<float> probs, Span<float> output,
        int tokens, int start, int heads, int kvHeads, int headDim, float scale)
        where T : INumberBase<T>
    {
        Check(q, k.Length, v.Length, firstVisible, probs, output, tokens, start, heads, kvHeads, headDim);
        ForwardNaiveStrided(q, k, v, firstVisible, probs, output, tokens, start, heads, kvHeads, headDim, scale, (long)kvHeads * headDim, headDim);
    }

    /// <summary>
    /// The naive forward over a head-major cache, k, v [kvHeads, capacity, headDim] (each KV head's positions
    /// contiguous, as the half-precision cache keeps them): the twin of <see cref="AttentionHalf.Forward"/>.
    /// </summary>
    public static void ForwardNaive<T>(
        ReadOnlySpan<float> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<int> firstVisible, Span<float> probs, Span<float> output,
        int tokens, int start, int heads, int kvHeads, int headDim, int capacity, float scale)
        where T : INumberBase<T>
    {
        AttentionHalf.CheckHeadMajor(q, k.Length, v.Length, firstVisible, probs, output, tokens, start, heads, kvHeads, headDim, capacity);
        ForwardNaiveStrided(q, k, v, firstVisible, probs, output, tokens, start, heads, kvHeads, headDim, scale, headDim, (long)capacity * headDim);
    }

    /// <summary>The naive loops, with key/value (j, kvh) at j·positionStride + kvh·headStride.</summary>
    private static void ForwardNaiveStrided<T>(
        ReadOnlySpan<float> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v, ReadOnlySpan<int> firstVisible, Span<float> probs, Span<float> output,
        int tokens, int start, int heads, int kvHeads, int headDim, float scale, long positionStride, long headStride)
        where T : INumberBase<T>
    {
        int kvLen = start + tokens;
        int group = heads / kvHeads;
        for (int t = 0; t < tokens; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                int row = (t * heads) + h;
                int kvh = h / group;
                int limit = start + t + 1;
                int first = firstVisible.IsEmpty ? 0 : firstVisible[t];
                float max = float.NegativeInfinity;
                for (int j = 0; j < kvLen; j++)
                {
                    float s = 0;
                    if (j >= first && j < limit)
                    {
                        for (int d = 0; d < headDim; d++)
                        {
                            s += q[(row * headDim) + d] * float.CreateTruncating(k[(int)((j * positionStride) + (kvh * headStride) + d)]);
                        }

                        s *= scale;
                        max = Math.Max(max, s);
                    }

                    probs[(row * kvLen) + j] = s;
                }

                float sum = 0;
                for (int j = 0; j < kvLen; j++)
                {
                    float e = j >= first && j < limit ? MathF.Exp(probs[(row * kvLen) + j] - max) : 0f;
                    probs[(row * kvLen) + j] = e;
                    sum += e;
                }

                for (int d = 0; d < headDim; d++)
                {
                    float acc = 0;
                    for (int j = first; j < limit; j++)
                    {
                        acc += probs[(row * kvLen) + j] / sum * float.CreateTruncating(v[(int)((j * positionStride) + (kvh * headStride) + d)]);
                    }

                    output[(row * headDim) + d] = acc;
                }

                for (int j = 0; j < kvLen; j++)
                {
                    probs[(row * kvLen) + j] /= sum;
                }
            }
        }
    }

    /// <summary>
    /// Backward of the forward from its saved probabilities (masked entries are zero, so one backward serves every
    /// mask). dq [tokens, heads, headDim] is written; dk, dv [≥ start + tokens, kvHeads, headDim] are accumulated into
    /// (zero them first); scratch [threads, start + tokens] with threads the pool's thread count (1 without a pool).
    /// Work is split by KV head, so each gradient is accumulated in the same order whatever the thread count.
    /// </summary>
    public static void Backward(
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> probs, ReadOnlySpan<float> dOutput,
        Span<float> dq, Span<float> dk, Span<float> dv, Span<float> scratch,
        int tokens, int start, int heads, int kvHeads, int headDim, float scale, WorkerPool? pool = null)
    {
        int kvLen = CheckBackward(q, k, v, probs, dOutput, dq, dk, dv, tokens, start, heads, kvHeads, headDim);
        pool ??= WorkerPool.Single;
        ArgumentOutOfRangeException.ThrowIfLessThan(scratch.Length, pool.ThreadCount * kvLen, nameof(scratch));
        BackwardJob job = t_backward ??= new BackwardJob();
        fixed (float* pq = q)
        fixed (float* pk = k)
        fixed (float* pv = v)
        fixed (float* pp = probs)
        fixed (float* pdo = dOutput)
        fixed (float* pdq = dq)
        fixed (float* pdk = dk)
        fixed (float* pdv = dv)
        fixed (float* ps = scratch)
        {
            job.Set([(nint)pq, (nint)pk, (nint)pv, (nint)pp, (nint)pdo, (nint)pdq, (nint)pdk, (nint)pdv, (nint)ps], tokens, start, heads, kvHeads, headDim, kvLen, scale);
            pool.Run(job, kvHeads);
        }
    }

    /// <summary>Gradients of one (token, head) row: dv, dk accumulated; dq written. ds: scratch [≥ limit].</summary>
    private static void BackwardRow(
        float* q, float* k, float* v, float* probs, float* dOutput, float* dq, float* dk, float* dv, float* ds,
        int row, int kvh, int limit, int kvLen, int kvHeads, int headDim, float scale)
    {
        long kvRow = (long)kvHeads * headDim;
        long off = (long)kvh * headDim;
        float* p = probs + ((long)row * kvLen);
        float* dout = dOutput + ((long)row * headDim);
        float* qr = q + ((long)row * headDim);
        for (int j = 0; j < limit; j++)
        {
            ds[j] = HeadVectors.Dot(dout, v + (j * kvRow) + off, headDim);
            HeadVectors.Axpy(p[j], dout, dv + (j * kvRow) + off, headDim);
        }

        var dsSpan = new Span<float>(ds, limit);
        var pSpan = new ReadOnlySpan<float>(p, limit);
        float dot = TensorPrimitives.Dot(dsSpan, pSpan);
        TensorPrimitives.Subtract(dsSpan, dot, dsSpan);
        TensorPrimitives.Multiply(dsSpan, pSpan, dsSpan);
        TensorPrimitives.Multiply(dsSpan, scale, dsSpan);
        HeadVectors.WeightedSum(ds, limit, k + off, kvRow, dq + ((long)row * headDim), headDim);
        for (int j = 0; j < limit; j++)
        {
            HeadVectors.Axpy(ds[j], qr, dk + (j * kvRow) + off, headDim);
        }
    }

    /// <summary>One KV head (all tokens, the query heads of its group, in order) per item.</summary>
    private sealed class BackwardJob : IParallelWork
    {
        private readonly float*[] _p = new float*[9];
        private int _tokens;
        private int _start;
        private int _heads;
        private int _kvHeads;
        private int _headDim;
        private int _kvLen;
        private float _scale;

        public void Set(ReadOnlySpan<IntPtr> pointers, int tokens, int start, int heads, int kvHeads, int headDim, int kvLen, float scale)
        {
            for (int i = 0; i < _p.Length; i++)
            {
                _p[i] = (float*)pointers[i];
            }

            _tokens = tokens;
            _start = start;
            _heads = heads;
            _kvHeads = kvHeads;
            _headDim = headDim;
            _kvLen = kvLen;
            _scale = scale;
        }

        public void Execute(int index, int worker)
        {
            int group = _heads / _kvHeads;
            float* ds = _p[8] + ((long)worker * _kvLen);
            for (int t = 0; t < _tokens; t++)
            {
                for (int h = index * group; h < (index + 1) * group; h++)
                {
                    BackwardRow(_p[0], _p[1], _p[2], _p[3], _p[4], _p[5], _p[6], _p[7], ds, (t * _heads) + h, index, _start + t + 1, _kvLen, _kvHeads, _headDim, _scale);
                }
            }
        }
    }

    /// <summary>The checks of <see cref="Check"/> plus the gradients' lengths (dq [tokens, heads·headDim]; dk, dv [kvLen, kvHeads·headDim]); returns kvLen.</summary>
    internal static int CheckBackward(
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> probs, ReadOnlySpan<float> dOutput,
        Span<float> dq, Span<float> dk, Span<float> dv, int tokens, int start, int heads, int kvHeads, int headDim)
    {
        int kvLen = Check(q, k, v, default, probs, dOutput, tokens, start, heads, kvHeads, headDim);
        ArgumentOutOfRangeException.ThrowIfLessThan(dq.Length, tokens * heads * headDim, nameof(dq));
        ArgumentOutOfRangeException.ThrowIfLessThan(dk.Length, kvLen * kvHeads * headDim, nameof(dk));
        ArgumentOutOfRangeException.ThrowIfLessThan(dv.Length, kvLen * kvHeads * headDim, nameof(dv));
        return kvLen;
    }

    internal static int Check(
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<int> firstVisible, ReadOnlySpan<float> probs, ReadOnlySpan<float> output,
        int tokens, int start, int heads, int kvHeads, int headDim)
        => Check(q, k.Length, v.Length, firstVisible, probs, output, tokens, start, heads, kvHeads, headDim);

    /// <summary>Checks the shapes of a forward whose cache holds <paramref name="kLength"/> keys and <paramref name="vLength"/> values (elements); returns kvLen.</summary>
    internal static int Check(
        ReadOnlySpan<float> q, int kLength, int vLength, ReadOnlySpan<int> firstVisible, ReadOnlySpan<float> probs, ReadOnlySpan<float> output,
        int tokens, int start, int heads, int kvHeads, int headDim)
    {
        if (!firstVisible.IsEmpty)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(firstVisible.Length, tokens, nameof(firstVisible));
            for (int t = 0; t < tokens; t++)
            {
                if (firstVisible[t] < 0 || firstVisible[t] > start + t)
                {
                    throw new ArgumentException(
                        $"firstVisible[{t}] = {firstVisible[t]} must lie in 0..{start + t} (the token's own position).", nameof(firstVisible));
                }
            }
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        if (heads % kvHeads != 0)
        {
            throw new ArgumentException($"kvHeads ({kvHeads}) must divide heads ({heads}).", nameof(kvHeads));
        }

        int kvLen = start + tokens;
        ArgumentOutOfRangeException.ThrowIfLessThan(q.Length, tokens * heads * headDim, nameof(q));
        ArgumentOutOfRangeException.ThrowIfLessThan(output.Length, tokens * heads * headDim, nameof(output));
        ArgumentOutOfRangeException.ThrowIfLessThan(kLength, kvLen * kvHeads * headDim, "k");
        ArgumentOutOfRangeException.ThrowIfLessThan(vLength, kvLen * kvHeads * headDim, "v");
        ArgumentOutOfRangeException.ThrowIfLessThan(probs.Length, tokens * heads * kvLen, nameof(probs));
        return kvLen;
    }

    /// <summary>One (token, head) per item.</summary>
    private sealed class ForwardJob : IParallelWork
    {
        private float* _k;
        private float* _v;
        private RowAttention _a;

        public void Set(float* k, float* v, in RowAttention a)
        {
            _k = k;
            _v = v;
            _a = a;
        }

        public void Execute(int index, int worker)
        {
            RowAttention a = _a;
            int t = index / a.Heads;
            int h = index % a.Heads;
            int headDim = a.HeadDim;
            int kvRow = a.KvHeads * headDim;
            int kvOffset = h / (a.Heads / a.KvHeads) * headDim;
            int limit = a.Start + t + 1;
            int first = a.FirstVisible is null ? 0 : a.FirstVisible[t];
            float* q = a.Q + ((long)index * headDim);
            var p = new Span<float>(a.Probs + ((long)index * a.KvLen), a.KvLen);
            int j = first;
            if (HeadVectors.CanDot4(headDim))
            {
                for (; j + 4 <= limit; j += 4)
                {
                    float* k0 = _k + ((long)j * kvRow) + kvOffset;
                    Vector128<float> s = HeadVectors.Dot4(q, k0, k0 + kvRow, k0 + (2L * kvRow), k0 + (3L * kvRow), headDim) * a.Scale;
                    s.CopyTo(p.Slice(j, 4));
                }
            }

            for (; j < limit; j++)
            {
                p[j] = HeadVectors.Dot(q, _k + ((long)j * kvRow) + kvOffset, headDim) * a.Scale;
            }

            p[..first].Clear();
            p[limit..].Clear();
            Softmax.InPlace(p[first..limit]);
            fixed (float* pp = p)
            {
                HeadVectors.WeightedSum(pp + first, limit - first, _v + ((long)first * kvRow) + kvOffset, kvRow, a.Output + ((long)index * headDim), headDim);
            }
        }
    }
}

/// <summary>The operands of a row-path attention job besides the cache (shared by the F32 and the F16 cache's jobs):
/// q [tokens, heads, headDim], firstVisible [tokens] or null, probs [tokens, heads, kvLen], output [tokens, heads, headDim].</summary>
internal readonly unsafe struct RowAttention(float* q, int* firstVisible, float* probs, float* output, int start, int heads, int kvHeads, int headDim, int kvLen, float scale)
{
    public readonly float* Q = q;
    public readonly int* FirstVisible = firstVisible;
    public readonly float* Probs = probs;
    public readonly float* Output = output;
    public readonly int Start = start;
    public readonly int Heads = heads;
    public readonly int KvHeads = kvHeads;
    public readonly int HeadDim = headDim;
    public readonly int KvLen = kvLen;
    public readonly float Scale = scale;
}
