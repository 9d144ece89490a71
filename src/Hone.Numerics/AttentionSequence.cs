using System.Numerics.Tensors;

namespace Hone.Numerics;

/// <summary>
/// Attention over a whole block of tokens (training): per head, the products QKᵀ, PV and their backward run as
/// matrix products on the fast <see cref="MatMul"/> kernel (on the worker's own thread), over contiguous copies of the
/// head's slices. The masked upper triangle is computed and discarded: twice the multiply-adds of the causal part,
/// at many times the speed of per-row dot products.
/// </summary>
public static unsafe class AttentionSequence
{
    [ThreadStatic]
    private static SequenceJob? t_sequence;

    /// <summary>Floats of scratch one worker of <see cref="ForwardSequence"/> and <see cref="BackwardSequence"/> needs.</summary>
    public static long BackwardSequenceScratchFloats(int tokens, int start, int headDim)
    {
        long kvLen = (long)start + tokens;
        return (3 * tokens * kvLen) + (3L * tokens * headDim) + (4 * kvLen * headDim);
    }

    /// <summary>
    /// The same results as <see cref="Attention.Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, Span{float}, int, int, int, int, int, float, WorkerPool?)"/>
    /// (its twin, up to rounding), with the products as matrix products. Shapes as there; scratch
    /// [threads, <see cref="BackwardSequenceScratchFloats"/>]. Work is split by query head; results do not depend on
    /// the thread count.
    /// </summary>
    public static void ForwardSequence(
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<int> firstVisible, Span<float> probs, Span<float> output,
        Span<float> scratch, int tokens, int start, int heads, int kvHeads, int headDim, float scale, WorkerPool? pool = null)
    {
        int kvLen = Attention.Check(q, k, v, firstVisible, probs, output, tokens, start, heads, kvHeads, headDim);
        pool ??= WorkerPool.Single;
        var (job, per) = Job(pool, scratch.Length, tokens, start, headDim);
        fixed (float* pq = q)
        fixed (float* pk = k)
        fixed (float* pv = v)
        fixed (int* pf = firstVisible)
        fixed (float* pp = probs)
        fixed (float* po = output)
        fixed (float* ps = scratch)
        {
            job.Set(false, [(nint)pq, (nint)pk, (nint)pv, (nint)pp, (nint)po, 0, 0, 0, (nint)ps], firstVisible.IsEmpty ? null : pf, tokens, start, heads, kvHeads, headDim, kvLen, scale, per);
            pool.Run(job, heads);
        }
    }

    /// <summary>
    /// The same gradients as <see cref="Attention.Backward"/> (its twin, up to rounding: dq written; dk, dv accumulated into),
    /// with dP = dO·Vᵀ, dQ = dS·K, dK += dSᵀ·Q and dV += Pᵀ·dO as matrix products. Shapes as <see cref="Attention.Backward"/>;
    /// scratch [threads, <see cref="BackwardSequenceScratchFloats"/>]. Work is split by KV head, so results do not
    /// depend on the thread count.
    /// </summary>
    public static void BackwardSequence(
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> probs, ReadOnlySpan<float> dOutput,
        Span<float> dq, Span<float> dk, Span<float> dv, Span<float> scratch,
        int tokens, int start, int heads, int kvHeads, int headDim, float scale, WorkerPool? pool = null)
    {
        int kvLen = Attention.CheckBackward(q, k, v, probs, dOutput, dq, dk, dv, tokens, start, heads, kvHeads, headDim);
        pool ??= WorkerPool.Single;
        var (job, per) = Job(pool, scratch.Length, tokens, start, headDim);
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
            job.Set(true, [(nint)pq, (nint)pk, (nint)pv, (nint)pp, (nint)pdo, (nint)pdq, (nint)pdk, (nint)pdv, (nint)ps], null, tokens, start, heads, kvHeads, headDim, kvLen, scale, per);
            pool.Run(job, kvHeads);
        }
    }

    /// <summary>This thread's job and the scratch floats per worker, after checking the scratch covers every worker.</summary>
    private static (SequenceJob Job, long Per) Job(WorkerPool pool, int scratchLength, int tokens, int start, int headDim)
    {
        long per = BackwardSequenceScratchFloats(tokens, start, headDim);
        ArgumentOutOfRangeException.ThrowIfLessThan(scratchLength, pool.ThreadCount * per, "scratch");
        return (t_sequence ??= new SequenceJob(), per);
    }

    /// <summary>Copies rows of <paramref name="width"/> floats: dst[i] = src[i·stride] (or back when <paramref name="scatter"/>).</summary>
    private static void Rows(float* strided, long stride, float* packed, int rows, int width, bool scatter)
    {
        for (int i = 0; i < rows; i++)
        {
            var s = new Span<float>(strided + (i * stride), width);
            var p = new Span<float>(packed + ((long)i * width), width);
            if (scatter)
            {
                p.CopyTo(s);
            }
            else
            {
                s.CopyTo(p);
            }
        }
    }

    /// <summary>Forward: one query head per item; backward: one KV head (its group's query heads in order) per item.</summary>
    private sealed class SequenceJob : IParallelWork
    {
        private readonly float*[] _p = new float*[9];
        private int* _first;
        private bool _backward;
        private int _tokens;
        private int _start;
        private int _heads;
        private int _kvHeads;
        private int _headDim;
        private int _kvLen;
        private float _scale;
        private long _per;

        public void Set(bool backward, ReadOnlySpan<IntPtr> pointers, int* firstVisible, int tokens, int start, int heads, int kvHeads, int headDim, int kvLen, float scale, long per)
        {
            for (int i = 0; i < _p.Length; i++)
            {
                _p[i] = (float*)pointers[i];
            }

            _backward = backward;
            _first = firstVisible;
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
            if (_backward)
            {
                Backward(index, worker);
            }
            else
            {
                Forward(index, worker);
            }
        }

        private void Forward(int h, int worker)
        {
            int tokens = _tokens, kvLen = _kvLen, hd = _headDim;
            long tk = (long)tokens * kvLen;
            float* qh = _p[8] + (worker * _per);
            float* kh = qh + ((long)tokens * hd);
            float* vh = kh + ((long)kvLen * hd);
            float* oh = vh + ((long)kvLen * hd);
            float* s = oh + ((long)tokens * hd);
            long qRow = (long)_heads * hd, kvRow = (long)_kvHeads * hd;
            int kvh = h / (_heads / _kvHeads);
            Rows(_p[0] + ((long)h * hd), qRow, qh, tokens, hd, false);
            Rows(_p[1] + ((long)kvh * hd), kvRow, kh, kvLen, hd, false);
            Rows(_p[2] + ((long)kvh * hd), kvRow, vh, kvLen, hd, false);
            var one = WorkerPool.Single;
            MatMul.XWt(new ReadOnlySpan<float>(qh, tokens * hd), new ReadOnlySpan<float>(kh, kvLen * hd), default, new Span<float>(s, (int)tk), tokens, hd, kvLen, one);
            for (int t = 0; t < tokens; t++)
            {
                int limit = _start + t + 1;
                int first = _first is null ? 0 : _first[t];
                var row = new Span<float>(s + ((long)t * kvLen), kvLen);
                row[..first].Clear();
                row[limit..].Clear();
                Span<float> live = row[first..limit];
                TensorPrimitives.Multiply(live, _scale, live);
                Softmax.InPlace(live);
                row.CopyTo(new Span<float>(_p[3] + ((((long)t * _heads) + h) * kvLen), kvLen));
            }

            MatMul.XW(new ReadOnlySpan<float>(s, (int)tk), new ReadOnlySpan<float>(vh, kvLen * hd), default, new Span<float>(oh, tokens * hd), tokens, kvLen, hd, one);
            Rows(_p[4] + ((long)h * hd), qRow, oh, tokens, hd, true);
        }

        private void Backward(int kvh, int worker)
        {
            int tokens = _tokens, kvLen = _kvLen, hd = _headDim, group = _heads / _kvHeads;
            int tk = tokens * kvLen;
            float* qh = _p[8] + (worker * _per);
            float* doh = qh + ((long)tokens * hd);
            float* kh = doh + ((long)tokens * hd);
            float* vh = kh + ((long)kvLen * hd);
            float* dkh = vh + ((long)kvLen * hd);
            float* dvh = dkh + ((long)kvLen * hd);
            float* p = dvh + ((long)kvLen * hd);
            float* ds = p + tk;
            float* t1 = ds + tk;
            float* dqh = t1 + tk;
            long qRow = (long)_heads * hd, kvRow = (long)_kvHeads * hd, kvOff = (long)kvh * hd;
            Rows(_p[1] + kvOff, kvRow, kh, kvLen, hd, false);
            Rows(_p[2] + kvOff, kvRow, vh, kvLen, hd, false);
            Rows(_p[6] + kvOff, kvRow, dkh, kvLen, hd, false);
            Rows(_p[7] + kvOff, kvRow, dvh, kvLen, hd, false);
            var one = WorkerPool.Single;
            var qs = new Span<float>(qh, tokens * hd);
            var dos = new Span<float>(doh, tokens * hd);
            var ks = new Span<float>(kh, kvLen * hd);
            var vs = new Span<float>(vh, kvLen * hd);
            var ps = new Span<float>(p, tk);
            var dss = new Span<float>(ds, tk);
            var t1s = new Span<float>(t1, tk);
            for (int h = kvh * group; h < (kvh + 1) * group; h++)
            {
                Rows(_p[0] + ((long)h * hd), qRow, qh, tokens, hd, false);
                Rows(_p[4] + ((long)h * hd), qRow, doh, tokens, hd, false);
                Rows(_p[3] + ((long)h * kvLen), (long)_heads * kvLen, p, tokens, kvLen, false);

                // dP = dO·Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P))·scale (P is zero where masked).
                MatMul.XWt(dos, vs, default, dss, tokens, hd, kvLen, one);
                for (int t = 0; t < tokens; t++)
                {
                    int limit = _start + t + 1;
                    Span<float> d = dss.Slice(t * kvLen, limit);
                    ReadOnlySpan<float> pr = ps.Slice(t * kvLen, limit);
                    float dot = TensorPrimitives.Dot(d, pr);
                    TensorPrimitives.Subtract(d, dot, d);
                    TensorPrimitives.Multiply(d, pr, d);
                    TensorPrimitives.Multiply(d, _scale, d);
                    dss.Slice((t * kvLen) + limit, kvLen - limit).Clear();
                }

                // dQ = dS·K (written); dK += dSᵀ·Q; dV += Pᵀ·dO.
                MatMul.XW(dss, ks, default, new Span<float>(dqh, tokens * hd), tokens, kvLen, hd, one);
                Rows(_p[5] + ((long)h * hd), qRow, dqh, tokens, hd, true);
                MatMulBackward.Transpose(dss, t1s, tokens, kvLen);
                MatMul.XWAdd(t1s, qs, default, new Span<float>(dkh, kvLen * hd), kvLen, tokens, hd, one);
                MatMulBackward.Transpose(ps, t1s, tokens, kvLen);
                MatMul.XWAdd(t1s, dos, default, new Span<float>(dvh, kvLen * hd), kvLen, tokens, hd, one);
            }

            Rows(_p[6] + kvOff, kvRow, dkh, kvLen, hd, true);
            Rows(_p[7] + kvOff, kvRow, dvh, kvLen, hd, true);
        }
    }
}
