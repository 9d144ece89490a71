namespace Hone.Numerics;

/// <summary>
/// Fast float32 matrix products for both weight layouts, optionally with a bias, multithreaded over the output.
/// Results are bit-identical whatever the thread count: each output element is always computed by the same sequence of
/// fused multiply-adds. Rows ≥ 4 use a register-blocked kernel over packed weight panels (Vector512, else Vector256,
/// else scalar); fewer rows, or at most 16 outputs, use bandwidth-bound row kernels (decode, LoRA down-projections). <see cref="MatMulNaive"/> is the naive twin.
/// </summary>
public static unsafe class MatMul
{
    /// <summary>Rows below this use the row (matrix-vector) kernels instead of packing the weights.</summary>
    internal const int PackedMinRows = 4;

    /// <summary>Outputs up to this (e.g. a LoRA down-projection) also use the row kernels: a 64-wide panel would be mostly padding.</summary>
    internal const int RowPathMaxOutputs = 16;

    /// <summary>Packed-path products below this many multiply-adds (tens of microseconds) run on the calling thread:
    /// waking the pool would cost about as much, and far more on a loaded machine. Results do not change.</summary>
    internal const long SmallWork = 1L << 21;

    /// <summary>
    /// y = x·Wᵀ (+ bias), the PyTorch / Hugging Face linear layer.
    /// Shapes: x [m, k], w [n, k] row-major (out, in), bias [n] or empty, y [m, n]. y must not overlap the inputs.
    /// </summary>
    /// <param name="pool">Workers to split the work across (default: the calling thread only).</param>
    /// <param name="workspace">Packing space (default: the calling thread's <see cref="MatMulWorkspace.PerThread"/>).</param>
    public static void XWt(
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        WorkerPool? pool = null, MatMulWorkspace? workspace = null)
        => Multiply(x, w, bias, y, m, k, n, transposedWeights: true, pool, workspace, Simd.Best);

    /// <summary>
    /// y = x·W (+ bias), weights stored input-major (GGML / llama2.c classifier-free layout, GPT-2 Conv1D).
    /// Shapes: x [m, k], w [k, n] row-major (in, out), bias [n] or empty, y [m, n]. y must not overlap the inputs.
    /// </summary>
    /// <param name="pool">Workers to split the work across (default: the calling thread only).</param>
    /// <param name="workspace">Packing space (default: the calling thread's <see cref="MatMulWorkspace.PerThread"/>).</param>
    public static void XW(
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        WorkerPool? pool = null, MatMulWorkspace? workspace = null)
        => Multiply(x, w, bias, y, m, k, n, transposedWeights: false, pool, workspace, Simd.Best);

    /// <summary>
    /// y += x·Wᵀ (+ bias): as <see cref="XWt"/>, accumulating onto y (a residual connection, or gradients summed over
    /// micro-batches). Shapes: x [m, k], w [n, k], bias [n] or empty, y [m, n].
    /// </summary>
    public static void XWtAdd(
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        WorkerPool? pool = null, MatMulWorkspace? workspace = null)
        => Multiply(x, w, bias, y, m, k, n, transposedWeights: true, pool, workspace, Simd.Best, add: true);

    /// <summary>
    /// y += x·W (+ bias): as <see cref="XW"/>, accumulating onto y. Shapes: x [m, k], w [k, n], bias [n] or empty, y [m, n].
    /// </summary>
    public static void XWAdd(
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        WorkerPool? pool = null, MatMulWorkspace? workspace = null)
        => Multiply(x, w, bias, y, m, k, n, transposedWeights: false, pool, workspace, Simd.Best, add: true);

    /// <summary>The shared entry point; <paramref name="level"/> lets tests exercise every fallback.</summary>
    internal static void Multiply(
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        bool transposedWeights, WorkerPool? pool, MatMulWorkspace? workspace, SimdLevel level, bool add = false)
    {
        Validate(x, w, bias, y, m, k, n);
        pool ??= WorkerPool.Single;
        workspace ??= MatMulWorkspace.PerThread;
        level = Simd.Clamp(level);
        fixed (float* px = x)
        fixed (float* pw = w)
        fixed (float* pb = bias)
        fixed (float* py = y)
        {
            float* biasPtr = bias.IsEmpty ? null : pb;
            if (m < PackedMinRows || n <= RowPathMaxOutputs)
            {
                MatVec.Run(px, pw, biasPtr, py, m, k, n, transposedWeights, add, pool, workspace.RowsJob, level);
            }
            else
            {
                if ((long)m * k * n < SmallWork)
                {
                    pool = WorkerPool.Single;
                }

                MatMulBlocked.Run(px, pw, biasPtr, py, m, k, n, transposedWeights, add, pool, workspace, level);
            }
        }
    }

    /// <summary>Checks the span lengths against the shapes.</summary>
    internal static void Validate(
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, ReadOnlySpan<float> y, int m, int k, int n)
    {
        ValidateActivations(x, bias, y, m, k, n);
        if (w.Length < (long)n * k)
        {
            throw new ArgumentException($"w holds {w.Length} floats; {k}×{n} weights need {(long)n * k}.", nameof(w));
        }
    }

    /// <summary>Checks the shapes and x, bias and y against them (the weights are the caller's to check).</summary>
    internal static void ValidateActivations(ReadOnlySpan<float> x, ReadOnlySpan<float> bias, ReadOnlySpan<float> y, int m, int k, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (x.Length < (long)m * k)
        {
            throw new ArgumentException($"x holds {x.Length} floats; shape [{m}, {k}] needs {(long)m * k}.", nameof(x));
        }

        if (!bias.IsEmpty && bias.Length < n)
        {
            throw new ArgumentException($"bias holds {bias.Length} floats; it needs {n} (or none).", nameof(bias));
        }

        if (y.Length < (long)m * n)
        {
            throw new ArgumentException($"y holds {y.Length} floats; shape [{m}, {n}] needs {(long)m * n}.", nameof(y));
        }
    }
}
