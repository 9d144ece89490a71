using System.Numerics.Tensors;

namespace Hone.Numerics;

/// <summary>
/// Backward of <see cref="MatMul"/>, built from the fast forward kernels (so it inherits their speed, threading and
/// determinism). Gradients are written, not accumulated: add them to running sums yourself across micro-batches.
/// </summary>
public static class MatMulBackward
{
    /// <summary>
    /// For y = x·Wᵀ + b (W [n, k]): dx = dy·W [m, k], dw = dyᵀ·x [n, k], dBias = Σ_rows dy [n] (empty to skip).
    /// <paramref name="scratch"/> holds dyᵀ: at least m·n floats. Any of dx, dw may be empty to skip it.
    /// </summary>
    public static void XWt(
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dw, Span<float> dBias,
        Span<float> scratch, int m, int k, int n, WorkerPool? pool = null, MatMulWorkspace? workspace = null)
    {
        if (!dx.IsEmpty)
        {
            MatMul.XW(dy, w, default, dx, m, n, k, pool, workspace); // [m,n]·[n,k]
        }

        if (!dw.IsEmpty)
        {
            Transpose(dy, scratch, m, n);                              // dyᵀ [n, m]
            MatMul.XW(scratch, x, default, dw, n, m, k, pool, workspace); // [n,m]·[m,k]
        }

        SumRows(dy, dBias, m, n);
    }

    /// <summary>
    /// For y = x·W + b (W [k, n]): dx = dy·Wᵀ [m, k], dw = xᵀ·dy [k, n], dBias = Σ_rows dy [n] (empty to skip).
    /// <paramref name="scratch"/> holds xᵀ: at least m·k floats. Any of dx, dw may be empty to skip it.
    /// </summary>
    public static void XW(
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dw, Span<float> dBias,
        Span<float> scratch, int m, int k, int n, WorkerPool? pool = null, MatMulWorkspace? workspace = null)
    {
        if (!dx.IsEmpty)
        {
            MatMul.XWt(dy, w, default, dx, m, n, k, pool, workspace); // [m,n]·[k,n]ᵀ
        }

        if (!dw.IsEmpty)
        {
            Transpose(x, scratch, m, k);                               // xᵀ [k, m]
            MatMul.XW(scratch, dy, default, dw, k, m, n, pool, workspace); // [k,m]·[m,n]
        }

        SumRows(dy, dBias, m, n);
    }

    /// <summary>dst = srcᵀ. Shapes: src [rows, cols], dst [cols, rows]; they must not overlap. 16×16 blocks go
    /// through AVX-512 shuffles where available. <see cref="MatMulNaive.Transpose"/> is the naive twin.</summary>
    public static void Transpose(ReadOnlySpan<float> src, Span<float> dst, int rows, int cols) => Transpose(src, cols, dst, rows, cols);

    /// <summary>dst = srcᵀ of the [rows, cols] block of src whose rows start <paramref name="srcStride"/> floats apart
    /// (a column slice of a wider matrix); dst [cols, rows] is contiguous. The naive twin is
    /// <see cref="MatMulNaive.Transpose(ReadOnlySpan{float}, int, Span{float}, int, int)"/>.</summary>
    public static unsafe void Transpose(ReadOnlySpan<float> src, int srcStride, Span<float> dst, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        ArgumentOutOfRangeException.ThrowIfLessThan(srcStride, cols);
        ArgumentOutOfRangeException.ThrowIfLessThan(dst.Length, rows * cols, nameof(dst));
        if (rows == 0 || cols == 0)
        {
            return;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(src.Length, ((long)(rows - 1) * srcStride) + cols, nameof(src));
        fixed (float* ps = src)
        fixed (float* pd = dst)
        {
            int r0 = 0;
            if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            {
                for (; r0 + 16 <= rows; r0 += 16)
                {
                    int c0 = 0;
                    for (; c0 + 16 <= cols; c0 += 16)
                    {
                        PanelPacking.Transpose16x16(ps + ((long)r0 * srcStride) + c0, srcStride, pd + ((long)c0 * rows) + r0, rows);
                    }

                    TransposeBlock(ps, pd, rows, srcStride, r0, r0 + 16, c0, cols);
                }
            }

            const int B = 32;
            for (; r0 < rows; r0 += B)
            {
                int r1 = Math.Min(rows, r0 + B);
                for (int c0 = 0; c0 < cols; c0 += B)
                {
                    TransposeBlock(ps, pd, rows, srcStride, r0, r1, c0, Math.Min(cols, c0 + B));
                }
            }
        }
    }

    private static unsafe void TransposeBlock(float* src, float* dst, int rows, int srcStride, int r0, int r1, int c0, int c1)
    {
        for (int r = r0; r < r1; r++)
        {
            for (int c = c0; c < c1; c++)
            {
                dst[((long)c * rows) + r] = src[((long)r * srcStride) + c];
            }
        }
    }

    private static void SumRows(ReadOnlySpan<float> dy, Span<float> dBias, int m, int n)
    {
        if (dBias.IsEmpty)
        {
            return;
        }

        Span<float> db = dBias[..n];
        db.Clear();
        for (int i = 0; i < m; i++)
        {
            TensorPrimitives.Add(db, dy.Slice(i * n, n), db);
        }
    }
}
