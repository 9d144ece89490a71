using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hone.Numerics;

/// <summary>
/// The row path of <see cref="MatMul"/> for a few rows (decode): each row of x streams the weights once, so the product
/// runs at memory bandwidth. For w [n, k] each output is a dot product over one weight row, rows read in order; for
/// w [k, n] each output chunk accumulates weight rows in order. Per-element arithmetic never depends on the split.
/// </summary>
internal static unsafe class MatVec
{
    /// <summary>Fewest output columns per work item for w [k, n] (a multiple of 16); wide chunks keep the reads of
    /// each weight row long and sequential.</summary>
    private const int MinColumnsPerItem = 256;

    /// <summary>Weight rows (outputs) per chunk of a lane for w [n, k] (96 KiB of weights at k = 768).</summary>
    internal const int RowsPerChunk = 32;

    internal static void Run(
        float* x, float* w, float* bias, float* y, int m, int k, int n, bool transposed, bool add,
        WorkerPool pool, Job job, SimdLevel level)
    {
        if (transposed)
        {
            // One lane of contiguous row chunks per worker (LaneSchedule): a long sequential stream each, balanced.
            int rowChunks = (n + RowsPerChunk - 1) / RowsPerChunk;
            job.Set(x, w, bias, y, k, n, transposed, add, RowsPerChunk, rowChunks, level);
            job.Schedule.Reset(m * rowChunks, pool.ThreadCount);
            pool.Run(job, job.Schedule.Lanes);
            return;
        }

        int per = Math.Max(MinColumnsPerItem, ((n + pool.ThreadCount - 1) / pool.ThreadCount + 15) / 16 * 16);
        int chunks = (n + per - 1) / per;
        job.Set(x, w, bias, y, k, n, transposed, add, per, chunks, level);
        pool.Run(job, m * chunks);
    }

    /// <summary>For w [n, k]: one lane of (row of x, chunk of outputs) per item; for w [k, n]: one (row of x, chunk of
    /// outputs) per item.</summary>
    internal sealed class Job : IParallelWork
    {
        /// <summary>The lanes of the w [n, k] path.</summary>
        internal LaneSchedule Schedule { get; } = new();

        private float* _x;
        private float* _w;
        private float* _bias;
        private float* _y;
        private int _k;
        private int _n;
        private bool _transposed;
        private bool _add;
        private int _per;
        private int _chunks;
        private SimdLevel _level;

        public void Set(float* x, float* w, float* bias, float* y, int k, int n, bool transposed, bool add, int per, int chunks, SimdLevel level)
        {
            _x = x;
            _w = w;
            _bias = bias;
            _y = y;
            _k = k;
            _n = n;
            _transposed = transposed;
            _add = add;
            _per = per;
            _chunks = chunks;
            _level = level;
        }

        public void Execute(int index, int worker)
        {
            if (_transposed)
            {
                while (Schedule.Next(index, out int item))
                {
                    int row = item / _chunks, j0 = item % _chunks * _per;
                    DotRows(_x + ((long)row * _k), _w, _bias, _y + ((long)row * _n), _k, j0, Math.Min(_n, j0 + _per), _add, _level);
                }

                return;
            }

            int r = index / _chunks;
            int c0 = index % _chunks * _per;
            AccumulateRows(_x + ((long)r * _k), _w, _bias, _y + ((long)r * _n), _k, _n, c0, Math.Min(_n, c0 + _per), _add, _level);
        }
    }

    /// <summary>y[j] = dot(x, w[j, :]) (+ bias[j]) for j in [j0, j1), or y[j] += … when <paramref name="add"/>; w is [n, k].
    /// Rows are read one after another, each as a single sequential stream (measured faster on Zen 4 than reading
    /// several rows side by side, which splits the hardware prefetcher across interleaved streams).</summary>
    internal static void DotRows(float* x, float* w, float* bias, float* y, int k, int j0, int j1, bool add, SimdLevel level)
    {
        for (int j = j0; j < j1; j++)
        {
            float r = Dot(x, w + ((long)j * k), k, level);
            r = add ? y[j] + r : r;
            y[j] = bias is not null ? r + bias[j] : r;
        }
    }

    /// <summary>dot(x, w) over k floats with four independent vector accumulators (a fixed order for a given k and
    /// level, whatever the thread that runs it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot(float* x, float* w, int k, SimdLevel level)
    {
        int p = 0;
        float r;
        if (level == SimdLevel.Vector512)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; p + 64 <= k; p += 64)
            {
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(w + p), a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p + 16), Vector512.Load(w + p + 16), a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p + 32), Vector512.Load(w + p + 32), a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p + 48), Vector512.Load(w + p + 48), a3);
            }

            for (; p + 16 <= k; p += 16)
            {
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(w + p), a0);
            }

            r = Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        else if (level == SimdLevel.Vector256)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; p + 32 <= k; p += 32)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p), Vector256.Load(w + p), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p + 8), Vector256.Load(w + p + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p + 16), Vector256.Load(w + p + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p + 24), Vector256.Load(w + p + 24), a3);
            }

            for (; p + 8 <= k; p += 8)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p), Vector256.Load(w + p), a0);
            }

            r = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        else
        {
            r = 0;
        }

        for (; p < k; p++)
        {
            r = MathF.FusedMultiplyAdd(x[p], w[p], r);
        }

        return r;
    }

    /// <summary>y[j] = Σ_p x[p]·w[p, j] (+ bias[j]) for j in [j0, j1), accumulated in p order (onto the current y[j]
    /// when <paramref name="add"/>); w is [k, n].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateRows(float* x, float* w, float* bias, float* y, int k, int n, int j0, int j1, bool add, SimdLevel level)
    {
        int width = j1 - j0;
        float* yy = y + j0;
        if (!add)
        {
            new Span<float>(yy, width).Clear();
        }

        int vec = level switch
        {
            SimdLevel.Vector512 => width / 16 * 16,
            SimdLevel.Vector256 => width / 8 * 8,
            _ => 0,
        };
        int p = 0;
        for (; p + 4 <= k; p += 4)
        {
            float* r0 = w + ((long)p * n) + j0;
            float* r1 = r0 + n;
            float* r2 = r1 + n;
            float* r3 = r2 + n;
            float x0 = x[p], x1 = x[p + 1], x2 = x[p + 2], x3 = x[p + 3];
            int j = 0;
            if (level == SimdLevel.Vector512)
            {
                Vector512<float> v0 = Vector512.Create(x0), v1 = Vector512.Create(x1), v2 = Vector512.Create(x2), v3 = Vector512.Create(x3);
                for (; j < vec; j += 16)
                {
                    Vector512<float> acc = Vector512.Load(yy + j);
                    acc = Vector512.FusedMultiplyAdd(v0, Vector512.Load(r0 + j), acc);
                    acc = Vector512.FusedMultiplyAdd(v1, Vector512.Load(r1 + j), acc);
                    acc = Vector512.FusedMultiplyAdd(v2, Vector512.Load(r2 + j), acc);
                    acc = Vector512.FusedMultiplyAdd(v3, Vector512.Load(r3 + j), acc);
                    acc.Store(yy + j);
                }
            }
            else if (level == SimdLevel.Vector256)
            {
                Vector256<float> v0 = Vector256.Create(x0), v1 = Vector256.Create(x1), v2 = Vector256.Create(x2), v3 = Vector256.Create(x3);
                for (; j < vec; j += 8)
                {
                    Vector256<float> acc = Vector256.Load(yy + j);
                    acc = Vector256.FusedMultiplyAdd(v0, Vector256.Load(r0 + j), acc);
                    acc = Vector256.FusedMultiplyAdd(v1, Vector256.Load(r1 + j), acc);
                    acc = Vector256.FusedMultiplyAdd(v2, Vector256.Load(r2 + j), acc);
                    acc = Vector256.FusedMultiplyAdd(v3, Vector256.Load(r3 + j), acc);
                    acc.Store(yy + j);
                }
            }

            for (; j < width; j++)
            {
                float acc = yy[j];
                acc = MathF.FusedMultiplyAdd(x0, r0[j], acc);
                acc = MathF.FusedMultiplyAdd(x1, r1[j], acc);
                acc = MathF.FusedMultiplyAdd(x2, r2[j], acc);
                acc = MathF.FusedMultiplyAdd(x3, r3[j], acc);
                yy[j] = acc;
            }
        }

        for (; p < k; p++)
        {
            float* r = w + ((long)p * n) + j0;
            float xp = x[p];
            int j = 0;
            if (level == SimdLevel.Vector512)
            {
                Vector512<float> v = Vector512.Create(xp);
                for (; j < vec; j += 16)
                {
                    Vector512.FusedMultiplyAdd(v, Vector512.Load(r + j), Vector512.Load(yy + j)).Store(yy + j);
                }
            }
            else if (level == SimdLevel.Vector256)
            {
                Vector256<float> v = Vector256.Create(xp);
                for (; j < vec; j += 8)
                {
                    Vector256.FusedMultiplyAdd(v, Vector256.Load(r + j), Vector256.Load(yy + j)).Store(yy + j);
                }
            }

            for (; j < width; j++)
            {
                yy[j] = MathF.FusedMultiplyAdd(xp, r[j], yy[j]);
            }
        }

        if (bias is not null)
        {
            var span = new Span<float>(yy, width);
            TensorPrimitives.Add(span, new ReadOnlySpan<float>(bias + j0, width), span);
        }
    }
}
