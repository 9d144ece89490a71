namespace Hone.Numerics;

/// <summary>
/// Matrix products against weights packed once (at model load) into the panel layout of <see cref="MatMul"/>'s fast
/// path, so that no call packs again: prompt blocks run the register-blocked kernel directly and decode rows stream
/// each panel sequentially. Carve the packed buffer from an <see cref="Arena"/> with <see cref="PackedLength"/> floats.
/// The naive twin is <see cref="MatMulNaive"/> on the unpacked weights.
/// </summary>
public static unsafe class PackedMatMul
{
    /// <summary>Floats a packed k×n operand takes (n rounded up to a multiple of 64).</summary>
    public static long PackedLength(int k, int n) => (long)k * MatMulPacked.RoundUpToPanel(n);

    /// <summary>Packs w [n, k] (out, in: the PyTorch layout) for y = x·wᵀ. packed: [<see cref="PackedLength"/>].</summary>
    public static void PackWt(ReadOnlySpan<float> w, Span<float> packed, int k, int n, WorkerPool? pool = null)
        => Pack(w, packed, k, n, transposed: true, pool);

    /// <summary>Packs w [k, n] (in, out) for y = x·w. packed: [<see cref="PackedLength"/>].</summary>
    public static void PackW(ReadOnlySpan<float> w, Span<float> packed, int k, int n, WorkerPool? pool = null)
        => Pack(w, packed, k, n, transposed: false, pool);

    /// <summary>
    /// y = x·B (+ bias) with B packed by <see cref="PackWt"/> or <see cref="PackW"/>. Shapes: x [m, k],
    /// bias [n] or empty, y [m, n]. Bit-identical whatever the thread count.
    /// </summary>
    public static void Multiply(
        ReadOnlySpan<float> x, ReadOnlySpan<float> packed, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        WorkerPool? pool = null, MatMulWorkspace? workspace = null)
        => Multiply(x, packed, bias, y, m, k, n, pool, workspace, Simd.Best);

    /// <summary>
    /// y += x·B (+ bias): as <see cref="Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, WorkerPool?, MatMulWorkspace?)"/>,
    /// accumulating onto y (a residual connection); equal bit for bit to <see cref="MatMul.XWtAdd"/> on the unpacked weights.
    /// </summary>
    public static void MultiplyAdd(
        ReadOnlySpan<float> x, ReadOnlySpan<float> packed, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        WorkerPool? pool = null, MatMulWorkspace? workspace = null)
        => Multiply(x, packed, bias, y, m, k, n, pool, workspace, Simd.Best, add: true);

    internal static void Multiply(
        ReadOnlySpan<float> x, ReadOnlySpan<float> packed, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        WorkerPool? pool, MatMulWorkspace? workspace, SimdLevel level, bool add = false)
    {
        CheckPacked(packed, k, n);
        MatMul.Validate(x, packed, bias, y, m, k, n);
        pool ??= WorkerPool.Single;
        workspace ??= MatMulWorkspace.PerThread;
        level = Simd.Clamp(level);
        fixed (float* px = x)
        fixed (float* pp = packed)
        fixed (float* pb = bias)
        fixed (float* py = y)
        {
            float* biasPtr = bias.IsEmpty ? null : pb;
            if (m < MatMul.PackedMinRows)
            {
                PackedRows.Run(px, pp, biasPtr, py, m, k, n, add, pool, workspace.PackedRowsJob, level);
            }
            else
            {
                MatMulPacked.Compute(px, pp, biasPtr, py, m, k, n, add, pool, workspace.ComputeJob, level);
            }
        }
    }

    private static void Pack(ReadOnlySpan<float> w, Span<float> packed, int k, int n, bool transposed, WorkerPool? pool)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfLessThan(w.Length, (long)k * n, nameof(w));
        CheckPacked(packed, k, n);
        fixed (float* pw = w)
        fixed (float* pp = packed)
        {
            MatMulPacked.Pack(pw, pp, k, n, transposed, pool ?? WorkerPool.Single, new MatMulPacked.PackJob());
        }
    }

    private static void CheckPacked(ReadOnlySpan<float> packed, int k, int n)
    {
        if (packed.Length < PackedLength(k, n))
        {
            throw new ArgumentException($"packed holds {packed.Length} floats; a packed {k}×{n} operand needs {PackedLength(k, n)}.", nameof(packed));
        }
    }
}
