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

    /// <summary>dst = srcᵀ. Shapes: src [rows, cols], dst [cols, rows].</summary>
    public static void Transpose(ReadOnlySpan<float> src, Span<float> dst, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(src.Length, rows * cols, nameof(src));
        ArgumentOutOfRangeException.ThrowIfLessThan(dst.Length, rows * cols, nameof(dst));
        const int B = 32;
        for (int r0 = 0; r0 < rows; r0 += B)
        {
            int r1 = Math.Min(rows, r0 + B);
            for (int c0 = 0; c0 < cols; c0 += B)
            {
                int c1 = Math.Min(cols, c0 + B);
                for (int r = r0; r < r1; r++)
                {
                    for (int c = c0; c < c1; c++)
                    {
                        dst[(c * rows) + r] = src[(r * cols) + c];
                    }
                }
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
