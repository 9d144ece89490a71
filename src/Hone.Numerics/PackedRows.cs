using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hone.Numerics;

/// <summary>
/// Few-row products (decode) from packed panels: each panel (k rows of 64 floats) is streamed once, sequentially,
/// for up to three rows of x at a time. Each output is one FMA chain over all of k, then the bias.
/// </summary>
internal static unsafe class PackedRows
{
    private const int NR = MatMulPacked.NR;

    /// <summary>Panels per work item.</summary>
    private const int PanelsPerItem = 2;

    internal static void Run(float* x, float* packed, float* bias, float* y, int m, int k, int n, bool add, WorkerPool pool, Job job, SimdLevel level)
    {
        int panels = (n + NR - 1) / NR;
        int chunks = (panels + PanelsPerItem - 1) / PanelsPerItem;
        int rowGroups = (m + 2) / 3;
        job.Set(x, packed, bias, y, m, k, n, add, chunks, level);
        pool.Run(job, rowGroups * chunks);
    }

    /// <summary>(group of ≤ 3 rows, chunk of panels) per item.</summary>
    internal sealed class Job : IParallelWork
    {
        private float* _x;
        private float* _packed;
        private float* _bias;
        private float* _y;
        private int _m;
        private int _k;
        private int _n;
        private int _chunks;
        private bool _add;
        private SimdLevel _level;

        public void Set(float* x, float* packed, float* bias, float* y, int m, int k, int n, bool add, int chunks, SimdLevel level)
        {
            _add = add;
            _x = x;
            _packed = packed;
            _bias = bias;
            _y = y;
            _m = m;
            _k = k;
            _n = n;
            _chunks = chunks;
            _level = level;
        }

        public void Execute(int index, int worker)
        {
            int r0 = index / _chunks * 3;
            int rows = Math.Min(3, _m - r0);
            int panels = (_n + NR - 1) / NR;
            int p0 = index % _chunks * PanelsPerItem;
            int p1 = Math.Min(panels, p0 + PanelsPerItem);
            float* tile = stackalloc float[3 * NR];
            float* x0 = _x + ((long)r0 * _k);
            float* x1 = rows > 1 ? x0 + _k : x0;
            float* x2 = rows > 2 ? x0 + (2L * _k) : x0;
            for (int p = p0; p < p1; p++)
            {
                float* b = _packed + ((long)p * _k * NR);
                if (_level == SimdLevel.Vector512)
                {
                    Panel512(x0, x1, x2, b, _k, tile);
                }
                else if (_level == SimdLevel.Vector256)
                {
                    Panel256(x0, x1, x2, b, _k, tile);
                    Panel256(x0, x1, x2, b + 32, _k, tile + 32);
                }
                else
                {
                    PanelScalar(x0, x1, x2, b, _k, tile);
                }

                int c0 = p * NR;
                int cols = Math.Min(NR, _n - c0);
                for (int r = 0; r < rows; r++)
                {
                    float* dst = _y + ((long)(r0 + r) * _n) + c0;
                    float* src = tile + (r * NR);
                    for (int j = 0; j < cols; j++)
                    {
                        float v = _add ? dst[j] + src[j] : src[j];
                        dst[j] = _bias is null ? v : v + _bias[c0 + j];
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel512(float* x0, float* x1, float* x2, float* b, int k, float* tile)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int p = 0; p < k; p++)
        {
            Vector512<float> w0 = Vector512.Load(b);
            Vector512<float> w1 = Vector512.Load(b + 16);
            Vector512<float> w2 = Vector512.Load(b + 32);
            Vector512<float> w3 = Vector512.Load(b + 48);
            Vector512<float> v = Vector512.Create(x0[p]);
            a0 = Vector512.FusedMultiplyAdd(v, w0, a0);
            a1 = Vector512.FusedMultiplyAdd(v, w1, a1);
            a2 = Vector512.FusedMultiplyAdd(v, w2, a2);
            a3 = Vector512.FusedMultiplyAdd(v, w3, a3);
            v = Vector512.Create(x1[p]);
            b0 = Vector512.FusedMultiplyAdd(v, w0, b0);
            b1 = Vector512.FusedMultiplyAdd(v, w1, b1);
            b2 = Vector512.FusedMultiplyAdd(v, w2, b2);
            b3 = Vector512.FusedMultiplyAdd(v, w3, b3);
            v = Vector512.Create(x2[p]);
            c0 = Vector512.FusedMultiplyAdd(v, w0, c0);
            c1 = Vector512.FusedMultiplyAdd(v, w1, c1);
            c2 = Vector512.FusedMultiplyAdd(v, w2, c2);
            c3 = Vector512.FusedMultiplyAdd(v, w3, c3);
            b += NR;
        }

        a0.Store(tile);
        a1.Store(tile + 16);
        a2.Store(tile + 32);
        a3.Store(tile + 48);
        b0.Store(tile + NR);
        b1.Store(tile + NR + 16);
        b2.Store(tile + NR + 32);
        b3.Store(tile + NR + 48);
        c0.Store(tile + (2 * NR));
        c1.Store(tile + (2 * NR) + 16);
        c2.Store(tile + (2 * NR) + 32);
        c3.Store(tile + (2 * NR) + 48);
    }

    /// <summary>32 of the panel's 64 columns with 12 Vector256 accumulators (call twice per panel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel256(float* x0, float* x1, float* x2, float* b, int k, float* tile)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int p = 0; p < k; p++)
        {
            Vector256<float> w0 = Vector256.Load(b);
            Vector256<float> w1 = Vector256.Load(b + 8);
            Vector256<float> w2 = Vector256.Load(b + 16);
            Vector256<float> w3 = Vector256.Load(b + 24);
            Vector256<float> v = Vector256.Create(x0[p]);
            a0 = Vector256.FusedMultiplyAdd(v, w0, a0);
            a1 = Vector256.FusedMultiplyAdd(v, w1, a1);
            a2 = Vector256.FusedMultiplyAdd(v, w2, a2);
            a3 = Vector256.FusedMultiplyAdd(v, w3, a3);
            v = Vector256.Create(x1[p]);
            b0 = Vector256.FusedMultiplyAdd(v, w0, b0);
            b1 = Vector256.FusedMultiplyAdd(v, w1, b1);
            b2 = Vector256.FusedMultiplyAdd(v, w2, b2);
            b3 = Vector256.FusedMultiplyAdd(v, w3, b3);
            v = Vector256.Create(x2[p]);
            c0 = Vector256.FusedMultiplyAdd(v, w0, c0);
            c1 = Vector256.FusedMultiplyAdd(v, w1, c1);
            c2 = Vector256.FusedMultiplyAdd(v, w2, c2);
            c3 = Vector256.FusedMultiplyAdd(v, w3, c3);
            b += NR;
        }

        a0.Store(tile);
        a1.Store(tile + 8);
        a2.Store(tile + 16);
        a3.Store(tile + 24);
        b0.Store(tile + NR);
        b1.Store(tile + NR + 8);
        b2.Store(tile + NR + 16);
        b3.Store(tile + NR + 24);
        c0.Store(tile + (2 * NR));
        c1.Store(tile + (2 * NR) + 8);
        c2.Store(tile + (2 * NR) + 16);
        c3.Store(tile + (2 * NR) + 24);
    }

    /// <summary>Same arithmetic as <see cref="Panel512"/>, lane by lane (the scalar fallback).</summary>
    private static void PanelScalar(float* x0, float* x1, float* x2, float* b, int k, float* tile)
    {
        new Span<float>(tile, 3 * NR).Clear();
        for (int p = 0; p < k; p++)
        {
            float v0 = x0[p], v1 = x1[p], v2 = x2[p];
            for (int j = 0; j < NR; j++)
            {
                float w = b[j];
                tile[j] = MathF.FusedMultiplyAdd(v0, w, tile[j]);
                tile[NR + j] = MathF.FusedMultiplyAdd(v1, w, tile[NR + j]);
                tile[(2 * NR) + j] = MathF.FusedMultiplyAdd(v2, w, tile[(2 * NR) + j]);
            }

            b += NR;
        }
    }
}
