namespace Hone.Numerics;

/// <summary>
/// Matrix products with bfloat16 weights (a frozen base under LoRA, half the bytes of float32) and float32 activations
/// and results. The weights are widened in registers while each K block of a panel is packed (<see cref="BF16Packing"/>),
/// then the float32 micro-kernel of <see cref="MatMulPacked"/> runs over the packed slice, cache-blocked and threaded by
/// <see cref="MatMulBlocked"/>. Every shape takes this packed path, so the result equals, bit for bit, that of
/// <see cref="MatMul"/> on the widened weights wherever <see cref="MatMul"/> takes its packed path (at least
/// <see cref="MatMul.PackedMinRows"/> rows and more than <see cref="MatMul.RowPathMaxOutputs"/> outputs), whatever
/// the thread count. <see cref="MatMulBF16Naive"/> is the naive twin.
/// </summary>
public static unsafe class MatMulBF16
{
    /// <summary>y = x·Wᵀ (+ bias). Shapes: x [m, k], w [n, k] bf16 bits (out, in), bias [n] or empty, y [m, n].</summary>
    public static void XWt(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        WorkerPool? pool = null, MatMulWorkspace? workspace = null)
        => Multiply(x, w, bias, y, m, k, n, true, false, pool, workspace);

    /// <summary>y = x·W (+ bias). Shapes: x [m, k], w [k, n] bf16 bits, bias [n] or empty, y [m, n] (dx = dy·W of a
    /// linear layer whose W [out, in] is this w with k = out, n = in).</summary>
    public static void XW(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        WorkerPool? pool = null, MatMulWorkspace? workspace = null)
        => Multiply(x, w, bias, y, m, k, n, false, false, pool, workspace);

    /// <summary>y += x·W (+ bias): as <see cref="XW"/>, accumulating onto y.</summary>
    public static void XWAdd(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        WorkerPool? pool = null, MatMulWorkspace? workspace = null)
        => Multiply(x, w, bias, y, m, k, n, false, true, pool, workspace);

    /// <summary>Checks the span lengths against the shapes.</summary>
    internal static void Validate(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, ReadOnlySpan<float> y, int m, int k, int n)
    {
        MatMul.ValidateActivations(x, bias, y, m, k, n);
        if (w.Length < (long)n * k)
        {
            throw new ArgumentException($"w holds {w.Length} values; {k}×{n} weights need {(long)n * k}.", nameof(w));
        }
    }

    private static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        bool transposed, bool add, WorkerPool? pool, MatMulWorkspace? workspace)
    {
        Validate(x, w, bias, y, m, k, n);
        pool ??= WorkerPool.Single;
        workspace ??= MatMulWorkspace.PerThread;
        if ((long)m * k * n < MatMul.SmallWork)
        {
            pool = WorkerPool.Single;
        }

        fixed (float* px = x)
        fixed (ushort* pw = w)
        fixed (float* pb = bias)
        fixed (float* py = y)
        {
            MatMulBlocked.Run(px, null, pw, bias.IsEmpty ? null : pb, py, m, k, n, transposed, add, pool, workspace, Simd.Best);
        }
    }
}
