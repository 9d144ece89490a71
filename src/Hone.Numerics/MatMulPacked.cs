using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hone.Numerics;

/// <summary>
/// The micro-kernels shared by <see cref="MatMulBlocked"/> (packing slices on the fly) and <see cref="PackedMatMul"/>
/// (weights packed once): weights live in panels of <see cref="NR"/> columns (rows of NR floats, zero-padded), and a
/// register-blocked <see cref="MR"/>×<see cref="NR"/> micro-kernel runs over blocks of <see cref="KC"/> inner steps. Each output element is an FMA chain over each K block, added to the running value in
/// block order, then the bias: the same arithmetic whatever the partition, hence whatever the thread count.
/// </summary>
internal static unsafe class MatMulPacked
{
    /// <summary>Rows per micro-tile.</summary>
    internal const int MR = 6;

    /// <summary>Columns per packed panel and micro-tile (four Vector512).</summary>
    internal const int NR = 64;

    /// <summary>Inner steps per cache block (a KC×NR panel slice is 64 KiB, read from L2).</summary>
    internal const int KC = 256;

    /// <summary>Rows per work item of the pre-packed path.</summary>
    internal const int MC = 48;

    internal static int RoundUpToPanel(int n) => (n + NR - 1) / NR * NR;

    /// <summary>Packs B (w [k,n], or wᵀ for w [n,k] when <paramref name="transposed"/>) into k·RoundUpToPanel(n) floats.</summary>
    internal static void Pack(float* w, float* packed, int k, int n, bool transposed, WorkerPool pool, PackJob job)
    {
        job.Set(w, packed, k, n, transposed);
        pool.Run(job, (n + NR - 1) / NR);
    }

    /// <summary>y[m,n] (+)= x[m,k]·B (+ bias) from packed panels (onto y when <paramref name="add"/>).</summary>
    internal static void Compute(float* x, float* packed, float* bias, float* y, int m, int k, int n, bool add, WorkerPool pool, ComputeJob job, SimdLevel level)
    {
        int panels = (n + NR - 1) / NR;
        int rowBlocks = (m + MC - 1) / MC;
        int target = 4 * pool.ThreadCount;
        int groups = pool.ThreadCount == 1 || rowBlocks >= target ? 1 : Math.Min(panels, (target + rowBlocks - 1) / rowBlocks);
        int panelsPerGroup = (panels + groups - 1) / groups;
        groups = (panels + panelsPerGroup - 1) / panelsPerGroup;
        job.Set(x, packed, bias, y, m, k, n, add, groups, panelsPerGroup, level);
        pool.Run(job, rowBlocks * groups);
    }

    /// <summary>Packs one NR-column panel per item.</summary>
    internal sealed class PackJob : IParallelWork
    {
        private float* _w;
        private float* _packed;
        private int _k;
        private int _n;
        private bool _transposed;

        public void Set(float* w, float* packed, int k, int n, bool transposed)
        {
            _w = w;
            _packed = packed;
            _k = k;
            _n = n;
            _transposed = transposed;
        }

        public void Execute(int index, int worker)
            => PanelPacking.Pack(_w, _k, _n, _transposed, index, 0, _k, _packed + ((long)index * _k * NR));
    }

    /// <summary>One block of up to MC rows × a group of panels per item.</summary>
    internal sealed class ComputeJob : IParallelWork
    {
        private float* _x;
        private float* _packed;
        private float* _bias;
        private float* _y;
        private int _m;
        private int _k;
        private int _n;
        private int _groups;
        private int _panelsPerGroup;
        private bool _add;
        private SimdLevel _level;

        public void Set(float* x, float* packed, float* bias, float* y, int m, int k, int n, bool add, int groups, int panelsPerGroup, SimdLevel level)
        {
            _add = add;
            _x = x;
            _packed = packed;
            _bias = bias;
            _y = y;
            _m = m;
            _k = k;
            _n = n;
            _groups = groups;
            _panelsPerGroup = panelsPerGroup;
            _level = level;
        }

        public void Execute(int index, int worker)
        {
            int m = _m;
            int k = _k;
            int n = _n;
            int panels = (n + NR - 1) / NR;
            int r0 = index / _groups * MC;
            int r1 = Math.Min(m, r0 + MC);
            int p0 = index % _groups * _panelsPerGroup;
            int p1 = Math.Min(panels, p0 + _panelsPerGroup);
            float* tile = stackalloc float[MR * NR];
            for (int k0 = 0; k0 < k; k0 += KC)
            {
                int kc = Math.Min(KC, k - k0);
                bool accumulate = _add || k0 > 0;
                for (int p = p0; p < p1; p++)
                {
                    float* b = _packed + ((long)p * k * NR) + ((long)k0 * NR);
                    int c0 = p * NR;
                    int cols = Math.Min(NR, n - c0);
                    for (int r = r0; r < r1; r += MR)
                    {
                        int rows = Math.Min(MR, r1 - r);
                        Tile(_x + ((long)r * k) + k0, k, rows, b, kc, _y + ((long)r * n) + c0, n, cols, accumulate, tile, _level);
                    }
                }
            }

            if (_bias is not null)
            {
                int c0 = p0 * NR;
                int width = Math.Min(n, p1 * NR) - c0;
                var bias = new ReadOnlySpan<float>(_bias + c0, width);
                for (int r = r0; r < r1; r++)
                {
                    var row = new Span<float>(_y + ((long)r * n) + c0, width);
                    TensorPrimitives.Add(row, bias, row);
                }
            }
        }
    }

    /// <summary>One micro-tile; partial tiles (fewer rows or columns) go through <paramref name="tile"/> so the
    /// kernel always computes a full MR×NR block with the same arithmetic.</summary>
    internal static void Tile(float* a, long lda, int rows, float* b, int kc, float* c, long ldc, int cols, bool accumulate, float* tile, SimdLevel level)
    {
        float* a0 = a;
        float* a1 = rows > 1 ? a + lda : a;
        float* a2 = rows > 2 ? a + (2 * lda) : a;
        float* a3 = rows > 3 ? a + (3 * lda) : a;
        float* a4 = rows > 4 ? a + (4 * lda) : a;
        float* a5 = rows > 5 ? a + (5 * lda) : a;
        if (rows == MR && cols == NR)
        {
            Kernel(a0, a1, a2, a3, a4, a5, b, kc, c, ldc, accumulate, level);
            return;
        }

        if (accumulate)
        {
            for (int r = 0; r < rows; r++)
            {
                new ReadOnlySpan<float>(c + (r * ldc), cols).CopyTo(new Span<float>(tile + (r * NR), cols));
            }
        }

        Kernel(a0, a1, a2, a3, a4, a5, b, kc, tile, NR, accumulate, level);
        for (int r = 0; r < rows; r++)
        {
            new ReadOnlySpan<float>(tile + (r * NR), cols).CopyTo(new Span<float>(c + (r * ldc), cols));
        }
    }

    private static void Kernel(float* a0, float* a1, float* a2, float* a3, float* a4, float* a5, float* b, int kc, float* c, long ldc, bool accumulate, SimdLevel level)
    {
        switch (level)
        {
            case SimdLevel.Vector512:
                Kernel512(a0, a1, a2, a3, a4, a5, b, kc, c, ldc, accumulate);
                break;
            case SimdLevel.Vector256:
                for (int s = 0; s < NR; s += 16)
                {
                    Kernel256(a0, a1, a2, a3, a4, a5, b + s, kc, c + s, ldc, accumulate);
                }

                break;
            default:
                KernelScalar(a0, a1, a2, a3, a4, a5, b, kc, c, ldc, accumulate);
                break;
        }
    }

    /// <summary>6×16 slice of a panel with 12 Vector256 accumulators.</summary>
    private static void Kernel256(float* a0, float* a1, float* a2, float* a3, float* a4, float* a5, float* b, int kc, float* c, long ldc, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> x = Vector256.Create(a0[p]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[p]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[p]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[p]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a4[p]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a5[p]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            b += NR;
        }

        Store256(c, accumulate, c00, c01);
        Store256(c + ldc, accumulate, c10, c11);
        Store256(c + (2 * ldc), accumulate, c20, c21);
        Store256(c + (3 * ldc), accumulate, c30, c31);
        Store256(c + (4 * ldc), accumulate, c40, c41);
        Store256(c + (5 * ldc), accumulate, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* c, bool accumulate, Vector256<float> v0, Vector256<float> v1)
    {
        if (accumulate)
        {
            v0 = Vector256.Load(c) + v0;
            v1 = Vector256.Load(c + 8) + v1;
        }

        v0.Store(c);
        v1.Store(c + 8);
    }

    /// <summary>Scalar 6×64 block with the same arithmetic (fused multiply-add chains).</summary>
    private static void KernelScalar(float* a0, float* a1, float* a2, float* a3, float* a4, float* a5, float* b, int kc, float* c, long ldc, bool accumulate)
    {
        float** rows = stackalloc float*[MR];
        rows[0] = a0;
        rows[1] = a1;
        rows[2] = a2;
        rows[3] = a3;
        rows[4] = a4;
        rows[5] = a5;
        for (int r = 0; r < MR; r++)
        {
            float* a = rows[r];
            for (int j = 0; j < NR; j++)
            {
                float acc = 0;
                for (int p = 0; p < kc; p++)
                {
                    acc = MathF.FusedMultiplyAdd(a[p], b[(p * NR) + j], acc);
                }

                float* dst = c + (r * ldc) + j;
                *dst = accumulate ? *dst + acc : acc;
            }
        }
    }

    /// <summary>6×64 micro-kernel, 24 Vector512 accumulators: c[r, 0..64) (+)= Σ_p a_r[p]·b[p, 0..64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(float* a0, float* a1, float* a2, float* a3, float* a4, float* a5, float* b, int kc, float* c, long ldc, bool accumulate)
    {
        Vector512<float> c00 = default; Vector512<float> c01 = default; Vector512<float> c02 = default; Vector512<float> c03 = default;
        Vector512<float> c10 = default; Vector512<float> c11 = default; Vector512<float> c12 = default; Vector512<float> c13 = default;
        Vector512<float> c20 = default; Vector512<float> c21 = default; Vector512<float> c22 = default; Vector512<float> c23 = default;
        Vector512<float> c30 = default; Vector512<float> c31 = default; Vector512<float> c32 = default; Vector512<float> c33 = default;
        Vector512<float> c40 = default; Vector512<float> c41 = default; Vector512<float> c42 = default; Vector512<float> c43 = default;
        Vector512<float> c50 = default; Vector512<float> c51 = default; Vector512<float> c52 = default; Vector512<float> c53 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> b2 = Vector512.Load(b + 32);
            Vector512<float> b3 = Vector512.Load(b + 48);
            Vector512<float> x0 = Vector512.Create(a0[p]);
            c00 = Vector512.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x0, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x0, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(x0, b3, c03);
            Vector512<float> x1 = Vector512.Create(a1[p]);
            c10 = Vector512.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x1, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x1, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(x1, b3, c13);
            Vector512<float> x2 = Vector512.Create(a2[p]);
            c20 = Vector512.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x2, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(x2, b2, c22);
            c23 = Vector512.FusedMultiplyAdd(x2, b3, c23);
            Vector512<float> x3 = Vector512.Create(a3[p]);
            c30 = Vector512.FusedMultiplyAdd(x3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x3, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(x3, b2, c32);
            c33 = Vector512.FusedMultiplyAdd(x3, b3, c33);
            Vector512<float> x4 = Vector512.Create(a4[p]);
            c40 = Vector512.FusedMultiplyAdd(x4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x4, b1, c41);
            c42 = Vector512.FusedMultiplyAdd(x4, b2, c42);
            c43 = Vector512.FusedMultiplyAdd(x4, b3, c43);
            Vector512<float> x5 = Vector512.Create(a5[p]);
            c50 = Vector512.FusedMultiplyAdd(x5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x5, b1, c51);
            c52 = Vector512.FusedMultiplyAdd(x5, b2, c52);
            c53 = Vector512.FusedMultiplyAdd(x5, b3, c53);
            b += NR;
        }

        if (accumulate)
        {
            c00 = Vector512.Load(c) + c00;
            c01 = Vector512.Load(c + 16) + c01;
            c02 = Vector512.Load(c + 32) + c02;
            c03 = Vector512.Load(c + 48) + c03;
            c10 = Vector512.Load(c + (1L * ldc)) + c10;
            c11 = Vector512.Load(c + (1L * ldc) + 16) + c11;
            c12 = Vector512.Load(c + (1L * ldc) + 32) + c12;
            c13 = Vector512.Load(c + (1L * ldc) + 48) + c13;
            c20 = Vector512.Load(c + (2L * ldc)) + c20;
            c21 = Vector512.Load(c + (2L * ldc) + 16) + c21;
            c22 = Vector512.Load(c + (2L * ldc) + 32) + c22;
            c23 = Vector512.Load(c + (2L * ldc) + 48) + c23;
            c30 = Vector512.Load(c + (3L * ldc)) + c30;
            c31 = Vector512.Load(c + (3L * ldc) + 16) + c31;
            c32 = Vector512.Load(c + (3L * ldc) + 32) + c32;
            c33 = Vector512.Load(c + (3L * ldc) + 48) + c33;
            c40 = Vector512.Load(c + (4L * ldc)) + c40;
            c41 = Vector512.Load(c + (4L * ldc) + 16) + c41;
            c42 = Vector512.Load(c + (4L * ldc) + 32) + c42;
            c43 = Vector512.Load(c + (4L * ldc) + 48) + c43;
            c50 = Vector512.Load(c + (5L * ldc)) + c50;
            c51 = Vector512.Load(c + (5L * ldc) + 16) + c51;
            c52 = Vector512.Load(c + (5L * ldc) + 32) + c52;
            c53 = Vector512.Load(c + (5L * ldc) + 48) + c53;
        }

        c00.Store(c + (0L * ldc) + 0);
        c01.Store(c + (0L * ldc) + 16);
        c02.Store(c + (0L * ldc) + 32);
        c03.Store(c + (0L * ldc) + 48);
        c10.Store(c + (1L * ldc) + 0);
        c11.Store(c + (1L * ldc) + 16);
        c12.Store(c + (1L * ldc) + 32);
        c13.Store(c + (1L * ldc) + 48);
        c20.Store(c + (2L * ldc) + 0);
        c21.Store(c + (2L * ldc) + 16);
        c22.Store(c + (2L * ldc) + 32);
        c23.Store(c + (2L * ldc) + 48);
        c30.Store(c + (3L * ldc) + 0);
        c31.Store(c + (3L * ldc) + 16);
        c32.Store(c + (3L * ldc) + 32);
        c33.Store(c + (3L * ldc) + 48);
        c40.Store(c + (4L * ldc) + 0);
        c41.Store(c + (4L * ldc) + 16);
        c42.Store(c + (4L * ldc) + 32);
        c43.Store(c + (4L * ldc) + 48);
        c50.Store(c + (5L * ldc) + 0);
        c51.Store(c + (5L * ldc) + 16);
        c52.Store(c + (5L * ldc) + 32);
        c53.Store(c + (5L * ldc) + 48);
    }
}
