namespace Hone.Numerics;

/// <summary>
/// Two or three linear layers y_i = x·W_iᵀ (+ b_i) over the same input x [m, k] (attention q/k/v, feed-forward
/// gate/up). For a few rows (decode) every output row of every layer is handed to the workers in one run, which halves
/// the synchronisation of a decode step; otherwise each layer is an ordinary <see cref="MatMul.XWt"/>. Results equal
/// the separate <see cref="MatMul.XWt"/> calls bit for bit, whatever the thread count. Naive twin: <see cref="MatMulNaive.XWt"/>
/// per layer.
/// </summary>
public static unsafe class MatMulFused
{
    /// <summary>y1 = x·W1ᵀ (+ b1), y2 = x·W2ᵀ (+ b2). Shapes: x [m, k], w_i [n_i, k], b_i [n_i] or empty, y_i [m, n_i].</summary>
    public static void XWt2(
        ReadOnlySpan<float> x, int m, int k,
        ReadOnlySpan<float> w1, ReadOnlySpan<float> b1, Span<float> y1, int n1,
        ReadOnlySpan<float> w2, ReadOnlySpan<float> b2, Span<float> y2, int n2,
        WorkerPool? pool = null, MatMulWorkspace? workspace = null)
        => XWt3(x, m, k, w1, b1, y1, n1, w2, b2, y2, n2, default, default, default, 0, pool, workspace);

    /// <summary>y1 = x·W1ᵀ (+ b1), y2 = x·W2ᵀ (+ b2), y3 = x·W3ᵀ (+ b3). Shapes: x [m, k], w_i [n_i, k],
    /// b_i [n_i] or empty, y_i [m, n_i]; n3 = 0 leaves the third layer out. No y may overlap an input.</summary>
    public static void XWt3(
        ReadOnlySpan<float> x, int m, int k,
        ReadOnlySpan<float> w1, ReadOnlySpan<float> b1, Span<float> y1, int n1,
        ReadOnlySpan<float> w2, ReadOnlySpan<float> b2, Span<float> y2, int n2,
        ReadOnlySpan<float> w3, ReadOnlySpan<float> b3, Span<float> y3, int n3,
        WorkerPool? pool = null, MatMulWorkspace? workspace = null)
        => Multiply(x, m, k, w1, b1, y1, n1, w2, b2, y2, n2, w3, b3, y3, n3, pool, workspace, Simd.Best);

    /// <summary>The shared entry point; <paramref name="level"/> lets tests exercise every fallback.</summary>
    internal static void Multiply(
        ReadOnlySpan<float> x, int m, int k,
        ReadOnlySpan<float> w1, ReadOnlySpan<float> b1, Span<float> y1, int n1,
        ReadOnlySpan<float> w2, ReadOnlySpan<float> b2, Span<float> y2, int n2,
        ReadOnlySpan<float> w3, ReadOnlySpan<float> b3, Span<float> y3, int n3,
        WorkerPool? pool, MatMulWorkspace? workspace, SimdLevel level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n3);
        MatMul.Validate(x, w1, b1, y1, m, k, n1);
        MatMul.Validate(x, w2, b2, y2, m, k, n2);
        if (n3 > 0)
        {
            MatMul.Validate(x, w3, b3, y3, m, k, n3);
        }

        if (m >= MatMul.PackedMinRows)
        {
            MatMul.Multiply(x, w1, b1, y1, m, k, n1, transposedWeights: true, pool, workspace, level);
            MatMul.Multiply(x, w2, b2, y2, m, k, n2, transposedWeights: true, pool, workspace, level);
            if (n3 > 0)
            {
                MatMul.Multiply(x, w3, b3, y3, m, k, n3, transposedWeights: true, pool, workspace, level);
            }

            return;
        }

        pool ??= WorkerPool.Single;
        workspace ??= MatMulWorkspace.PerThread;
        level = Simd.Clamp(level);
        var job = workspace.FusedRowsJob;
        fixed (float* px = x)
        fixed (float* pw1 = w1)
        fixed (float* pb1 = b1)
        fixed (float* py1 = y1)
        fixed (float* pw2 = w2)
        fixed (float* pb2 = b2)
        fixed (float* py2 = y2)
        fixed (float* pw3 = w3)
        fixed (float* pb3 = b3)
        fixed (float* py3 = y3)
        {
            job.Begin(px, k, level);
            job.Add(pw1, b1.IsEmpty ? null : pb1, py1, n1);
            job.Add(pw2, b2.IsEmpty ? null : pb2, py2, n2);
            if (n3 > 0)
            {
                job.Add(pw3, b3.IsEmpty ? null : pb3, py3, n3);
            }

            pool.Run(job, job.Schedule(m, pool.ThreadCount));
        }
    }
}
