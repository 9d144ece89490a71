
namespace Hone.Numerics;

/// <summary>
/// y = x·Wᵀ with W held in its stored type (<see cref="StoredType"/>: BF16, Q8_0, Q4_0, Q4_K), never expanded to float32 as a
/// whole. Fewer than <see cref="TileMinRows"/> rows of x (decode: matrix-vector) take one dot product per output straight
/// from the stored row: BF16 against x laid out once per call in even/odd halves of each 32 values (so a 32-bit lane of
/// weights widens by one shift and one mask), Q8_0 and Q4_0 against x quantised once per call to int8 blocks
/// (<see cref="StoredInt8Dot"/>, llama.cpp's q8_0 activations: integer dot products; <see cref="StoredSplit"/> for their
/// split layouts, which the model loader uses where AVX-512BW runs them), Q4_K against x quantised to llama.cpp's q8_K
/// (<see cref="StoredQ4K"/>; <see cref="StoredQ4KSplit"/> for its repacked layout). More rows (prompt blocks:
/// matrix-matrix) decode 64 weight rows at a time into a float32 panel in per-worker scratch and run the register-blocked
/// micro-kernel of the float32 GEMM (<see cref="MatMulPacked"/>) over every row of x, so each weight is decoded once per
/// call. <see cref="XWt3"/> runs two or three matrices over the same x in one run of the workers (attention q/k/v,
/// feed-forward gate/up: x prepared once, half the synchronisation of a decode step) with the results of separate calls.
/// Every output is computed by the same operations whatever the thread count. The naive twins are
/// <see cref="StoredMatMulNaive.XWt"/> (float32 activations) and <see cref="StoredMatMulNaive.XWtInt8"/> (the decode
/// path of Q8_0 and Q4_0).
/// </summary>
public static unsafe class StoredMatMul
{
    /// <summary>Rows of x from which the decoded-panel (matrix-matrix) path is used.</summary>
    public const int TileMinRows = 4;

    [ThreadStatic]
    private static StoredMatMulJob? t_job;

    /// <summary>
    /// y = x·Wᵀ (+ bias). Shapes: x [m, k] floats, w [n, RowBytes(type, k)] bytes (n rows of k stored values, the GGUF
    /// layout of a [n, k] matrix), bias [n] or empty, y [m, n]. y must not overlap x.
    /// </summary>
    public static void XWt(
        ReadOnlySpan<float> x, ReadOnlySpan<byte> w, StoredType type, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        WorkerPool? pool = null)
        => Multiply(x, w, type, bias, y, m, k, n, pool, add: false, Simd.Best);

    /// <summary>y += x·Wᵀ (+ bias): as <see cref="XWt"/>, accumulating onto y (a residual connection).</summary>
    public static void XWtAdd(
        ReadOnlySpan<float> x, ReadOnlySpan<byte> w, StoredType type, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        WorkerPool? pool = null)
        => Multiply(x, w, type, bias, y, m, k, n, pool, add: true, Simd.Best);

    /// <summary>
    /// y_i = x·W_iᵀ (+ b_i) for two or three matrices of one stored type over the same x, in one run of the workers; equal
    /// bit for bit to separate <see cref="XWt"/> calls. Shapes: x [m, k], w_i [n_i, RowBytes(type, k)] bytes, b_i [n_i] or
    /// empty, y_i [m, n_i]; n3 = 0 leaves the third out. No y may overlap x.
    /// </summary>
    public static void XWt3(
        ReadOnlySpan<float> x, int m, int k, StoredType type,
        ReadOnlySpan<byte> w1, ReadOnlySpan<float> b1, Span<float> y1, int n1,
        ReadOnlySpan<byte> w2, ReadOnlySpan<float> b2, Span<float> y2, int n2,
        ReadOnlySpan<byte> w3, ReadOnlySpan<float> b3, Span<float> y3, int n3,
        WorkerPool? pool = null)
        => Multiply3(x, m, k, type, w1, b1, y1, n1, w2, b2, y2, n2, w3, b3, y3, n3, pool, Simd.Best);

    /// <summary>The shared entry point; <paramref name="level"/> lets tests exercise every fallback.</summary>
    internal static void Multiply(
        ReadOnlySpan<float> x, ReadOnlySpan<byte> w, StoredType type, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        WorkerPool? pool, bool add, SimdLevel level)
        => Multiply3(x, m, k, type, w, bias, y, n, default, default, default, 0, default, default, default, 0, pool, level, add);

    /// <summary>The entry point of <see cref="XWt3"/> and <see cref="Multiply"/>: up to three matrices (n2 = 0 or
    /// n3 = 0 leaves them out), onto y when <paramref name="add"/>.</summary>
    internal static void Multiply3(
        ReadOnlySpan<float> x, int m, int k, StoredType type,
        ReadOnlySpan<byte> w1, ReadOnlySpan<float> b1, Span<float> y1, int n1,
        ReadOnlySpan<byte> w2, ReadOnlySpan<float> b2, Span<float> y2, int n2,
        ReadOnlySpan<byte> w3, ReadOnlySpan<float> b3, Span<float> y3, int n3,
        WorkerPool? pool, SimdLevel level, bool add = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n2);
        ArgumentOutOfRangeException.ThrowIfNegative(n3);
        Validate(x, w1, type, b1, y1, m, k, n1);
        if (n2 > 0)
        {
            Validate(x, w2, type, b2, y2, m, k, n2);
        }

        if (n3 > 0)
        {
            Validate(x, w3, type, b3, y3, m, k, n3);
        }

        pool ??= WorkerPool.Single;
        var job = t_job ??= new StoredMatMulJob();
        fixed (float* px = x)
        fixed (byte* pw1 = w1)
        fixed (float* pb1 = b1)
        fixed (float* py1 = y1)
        fixed (byte* pw2 = w2)
        fixed (float* pb2 = b2)
        fixed (float* py2 = y2)
        fixed (byte* pw3 = w3)
        fixed (float* pb3 = b3)
        fixed (float* py3 = y3)
        {
            job.Begin(px, type, m, k, add, Simd.Clamp(level), pool.ThreadCount);
            job.Add(pw1, b1.IsEmpty ? null : pb1, py1, n1);
            if (n2 > 0)
            {
                job.Add(pw2, b2.IsEmpty ? null : pb2, py2, n2);
            }

            if (n3 > 0)
            {
                job.Add(pw3, b3.IsEmpty ? null : pb3, py3, n3);
            }

            pool.Run(job, job.Schedule(pool.ThreadCount));
        }
    }

    /// <summary>Checks the span lengths against the shapes.</summary>
    internal static void Validate(
        ReadOnlySpan<float> x, ReadOnlySpan<byte> w, StoredType type, ReadOnlySpan<float> bias, ReadOnlySpan<float> y, int m, int k, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        long rowBytes = StoredRows.RowBytes(type, k);
        if (StoredInterleaved.Is(type) && n % StoredInterleaved.Rows != 0)
        {
            throw new ArgumentException($"A {type} matrix has a multiple of {StoredInterleaved.Rows} rows; got {n}.", nameof(n));
        }

        if (x.Length < (long)m * k)
        {
            throw new ArgumentException($"x holds {x.Length} floats; shape [{m}, {k}] needs {(long)m * k}.", nameof(x));
        }

        if (w.Length < rowBytes * n)
        {
            throw new ArgumentException($"w holds {w.Length} bytes; {n} {type} rows of {k} values need {rowBytes * n}.", nameof(w));
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
