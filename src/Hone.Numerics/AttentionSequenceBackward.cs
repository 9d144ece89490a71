using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Hone.Numerics;

/// <summary>The backward of attention over a whole block of tokens (training), by rows then by columns.</summary>
public static unsafe partial class Attention
{
    [ThreadStatic]
    private static SequenceBackwardJob? t_sequenceBackward;

    /// <summary>Floats of scratch one worker of <see cref="BackwardSequence"/> needs.</summary>
    public static long BackwardSequenceScratchFloats(int tokens, int start, int headDim)
    {
        long kvLen = (long)start + tokens;
        return (kvLen * tokens) + kvLen + tokens + headDim;
    }

    /// <summary>
    /// The same gradients as <see cref="Backward"/> (its twin: dq written; dk, dv accumulated into), computed for a
    /// block of many tokens without read-modify-write of dk and dv per (token, key) pair: first by rows (dp = dO·Vᵀ,
    /// ds = P ⊙ (dp − rowsum(dp ⊙ P))·scale, dq = ds·K), keeping dsᵀ; then by key columns, dk_j += Σ_t ds[t,j]·q_t and
    /// dv_j += Σ_t p[t,j]·dO_t with the sums held in registers. Shapes as <see cref="Backward"/>; scratch
    /// [threads, <see cref="BackwardSequenceScratchFloats"/>]. Work is split by KV head, so results do not depend on the
    /// thread count.
    /// </summary>
    public static void BackwardSequence(
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> probs, ReadOnlySpan<float> dOutput,
        Span<float> dq, Span<float> dk, Span<float> dv, Span<float> scratch,
        int tokens, int start, int heads, int kvHeads, int headDim, float scale, WorkerPool? pool = null)
    {
        int kvLen = Check(q, k, v, default, probs, dOutput, tokens, start, heads, kvHeads, headDim);
        pool ??= WorkerPool.Single;
        long per = BackwardSequenceScratchFloats(tokens, start, headDim);
        ArgumentOutOfRangeException.ThrowIfLessThan(dq.Length, tokens * heads * headDim, nameof(dq));
        ArgumentOutOfRangeException.ThrowIfLessThan(dk.Length, kvLen * kvHeads * headDim, nameof(dk));
        ArgumentOutOfRangeException.ThrowIfLessThan(dv.Length, kvLen * kvHeads * headDim, nameof(dv));
        ArgumentOutOfRangeException.ThrowIfLessThan(scratch.Length, pool.ThreadCount * per, nameof(scratch));
        SequenceBackwardJob job = t_sequenceBackward ??= new SequenceBackwardJob();
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
            job.Set([(nint)pq, (nint)pk, (nint)pv, (nint)pp, (nint)pdo, (nint)pdq, (nint)pdk, (nint)pdv, (nint)ps], tokens, start, heads, kvHeads, headDim, kvLen, scale, per);
            pool.Run(job, kvHeads);
        }
    }

    /// <summary>One KV head (the query heads of its group in order, all tokens) per item.</summary>
    private sealed class SequenceBackwardJob : IParallelWork
    {
        private readonly float*[] _p = new float*[9];
        private int _tokens;
        private int _start;
        private int _heads;
        private int _kvHeads;
        private int _headDim;
        private int _kvLen;
        private float _scale;
        private long _per;

        public void Set(ReadOnlySpan<IntPtr> pointers, int tokens, int start, int heads, int kvHeads, int headDim, int kvLen, float scale, long per)
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
            _per = per;
        }

        public void Execute(int index, int worker)
        {
            int group = _heads / _kvHeads;
            int tokens = _tokens, kvLen = _kvLen, hd = _headDim;
            float* q = _p[0], k = _p[1], v = _p[2], probs = _p[3], dOut = _p[4], dq = _p[5], dk = _p[6], dv = _p[7];
            float* dsT = _p[8] + (worker * _per);          // [kvLen, tokens]
            float* ds = dsT + ((long)kvLen * tokens);      // [kvLen]
            float* column = ds + kvLen;                    // [tokens]
            float* sum = column + tokens;                  // [headDim]
            long kvRow = (long)_kvHeads * hd;
            long qRow = (long)_heads * hd;
            long off = (long)index * hd;
            bool dot4 = HeadVectors.CanDot4(hd);
            for (int h = index * group; h < (index + 1) * group; h++)
            {
                for (int t = 0; t < tokens; t++)
                {
                    int row = (t * _heads) + h, limit = _start + t + 1;
                    float* dout = dOut + ((long)row * hd);
                    float* p = probs + ((long)row * kvLen);
                    int j = 0;
                    if (dot4)
                    {
                        for (; j + 4 <= limit; j += 4)
                        {
                            float* v0 = v + (j * kvRow) + off;
                            Vector128<float> d = HeadVectors.Dot4(dout, v0, v0 + kvRow, v0 + (2 * kvRow), v0 + (3 * kvRow), hd);
                            d.Store(ds + j);
                        }
                    }

                    for (; j < limit; j++)
                    {
                        ds[j] = HeadVectors.Dot(dout, v + (j * kvRow) + off, hd);
                    }

                    var dsSpan = new Span<float>(ds, limit);
                    var pSpan = new ReadOnlySpan<float>(p, limit);
                    float dot = TensorPrimitives.Dot(dsSpan, pSpan);
                    TensorPrimitives.Subtract(dsSpan, dot, dsSpan);
                    TensorPrimitives.Multiply(dsSpan, pSpan, dsSpan);
                    TensorPrimitives.Multiply(dsSpan, _scale, dsSpan);
                    HeadVectors.WeightedSum(ds, limit, k + off, kvRow, dq + ((long)row * hd), hd);
                    for (j = 0; j < limit; j++)
                    {
                        dsT[((long)j * tokens) + t] = ds[j];
                    }
                }

                for (int j = 0; j < kvLen; j++)
                {
                    int t0 = Math.Max(0, j - _start);
                    int count = tokens - t0;
                    if (count <= 0)
                    {
                        continue;
                    }

                    long first = ((long)t0 * _heads) + h;
                    for (int t = 0; t < count; t++)
                    {
                        column[t] = probs[((first + ((long)t * _heads)) * kvLen) + j];
                    }

                    HeadVectors.WeightedSum(column, count, dOut + (first * hd), qRow, sum, hd);
                    Add(sum, dv + (j * kvRow) + off, hd);
                    HeadVectors.WeightedSum(dsT + ((long)j * tokens) + t0, count, q + (first * hd), qRow, sum, hd);
                    Add(sum, dk + (j * kvRow) + off, hd);
                }
            }
        }

        private static void Add(float* x, float* y, int n)
        {
            var ys = new Span<float>(y, n);
            TensorPrimitives.Add(ys, new ReadOnlySpan<float>(x, n), ys);
        }
    }
}
