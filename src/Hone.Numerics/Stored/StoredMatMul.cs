using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hone.Numerics;

/// <summary>
/// y = x·Wᵀ with W held in its stored type (<see cref="StoredType"/>: BF16, Q8_0, Q4_0), never expanded to float32 as a
/// whole. Fewer than <see cref="TileMinRows"/> rows of x (decode: matrix-vector) take one dot product per output straight
/// from the stored row; more rows (prompt blocks: matrix-matrix) decode four weight rows at a time into per-worker
/// scratch and multiply every row of x against them, so each weight row is decoded once per call. Work is split over
/// chunks of weight rows; every output is computed by the same operations whatever the thread count.
/// <see cref="StoredMatMulNaive"/> is the naive twin.
/// </summary>
public static unsafe class StoredMatMul
{
    /// <summary>Rows of x from which the decoded-tile (matrix-matrix) path is used.</summary>
    public const int TileMinRows = 4;

    /// <summary>Weight rows per work item.</summary>
    private const int RowsPerItem = 16;

    [ThreadStatic]
    private static Job? t_job;

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

    /// <summary>The shared entry point; <paramref name="level"/> lets tests exercise every fallback.</summary>
    internal static void Multiply(
        ReadOnlySpan<float> x, ReadOnlySpan<byte> w, StoredType type, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n,
        WorkerPool? pool, bool add, SimdLevel level)
    {
        Validate(x, w, type, bias, y, m, k, n);
        pool ??= WorkerPool.Single;
        var job = t_job ??= new Job();
        fixed (float* px = x)
        fixed (byte* pw = w)
        fixed (float* pb = bias)
        fixed (float* py = y)
        {
            job.Set(px, pw, type, bias.IsEmpty ? null : pb, py, m, k, n, add, Simd.Clamp(level), pool.ThreadCount);
            pool.Run(job, (n + RowsPerItem - 1) / RowsPerItem);
        }
    }

    /// <summary>Checks the span lengths against the shapes.</summary>
    internal static void Validate(
        ReadOnlySpan<float> x, ReadOnlySpan<byte> w, StoredType type, ReadOnlySpan<float> bias, ReadOnlySpan<float> y, int m, int k, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        long rowBytes = StoredRows.RowBytes(type, k);
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

    /// <summary>One chunk of <see cref="RowsPerItem"/> weight rows (all rows of x) per item.</summary>
    private sealed class Job : IParallelWork
    {
        private float*[] _scratch = [];
        private int _scratchFloats;
        private float* _x;
        private byte* _w;
        private float* _bias;
        private float* _y;
        private StoredType _type;
        private int _m, _k, _n, _rowBytes;
        private bool _add;
        private SimdLevel _level;

        public void Set(float* x, byte* w, StoredType type, float* bias, float* y, int m, int k, int n, bool add, SimdLevel level, int workers)
        {
            _x = x;
            _w = w;
            _bias = bias;
            _y = y;
            (_type, _m, _k, _n, _add, _level) = (type, m, k, n, add, level);
            _rowBytes = StoredRows.RowBytes(type, k);
            if (m >= TileMinRows && (_scratch.Length < workers || _scratchFloats < 4 * k))
            {
                // Grows only when a wider matrix or a larger pool comes along; steady-state calls allocate nothing.
                foreach (var p in _scratch)
                {
                    System.Runtime.InteropServices.NativeMemory.AlignedFree(p);
                }

                _scratchFloats = Math.Max(_scratchFloats, 4 * k);
                _scratch = new float*[Math.Max(workers, _scratch.Length)];
                for (int i = 0; i < _scratch.Length; i++)
                {
                    _scratch[i] = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)_scratchFloats * sizeof(float), 64);
                }
            }
        }

        public void Execute(int index, int worker)
        {
            int j0 = index * RowsPerItem, j1 = Math.Min(_n, j0 + RowsPerItem);
            if (_m < TileMinRows)
            {
                for (int i = 0; i < _m; i++)
                {
                    float* xi = _x + ((long)i * _k), yi = _y + ((long)i * _n);
                    for (int j = j0; j < j1; j++)
                    {
                        Store(yi, j, StoredDot.Dot(xi, _w + ((long)j * _rowBytes), _k, _type, _level));
                    }
                }

                return;
            }

            float* s = _scratch[worker];
            for (int j = j0; j < j1; j += 4)
            {
                int rows = Math.Min(4, j1 - j);
                for (int r = 0; r < rows; r++)
                {
                    StoredDot.Dequantize(_w + ((long)(j + r) * _rowBytes), s + ((long)r * _k), _k, _type, _level);
                }

                for (int i = 0; i < _m; i++)
                {
                    float* xi = _x + ((long)i * _k), yi = _y + ((long)i * _n);
                    if (rows == 4)
                    {
                        Dot4(xi, s, _k, _level, out float r0, out float r1, out float r2, out float r3);
                        Store(yi, j, r0);
                        Store(yi, j + 1, r1);
                        Store(yi, j + 2, r2);
                        Store(yi, j + 3, r3);
                    }
                    else
                    {
                        for (int r = 0; r < rows; r++)
                        {
                            Store(yi, j + r, MatVec.Dot(xi, s + ((long)r * _k), _k, _level));
                        }
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Store(float* y, int j, float r)
        {
            r = _add ? y[j] + r : r;
            y[j] = _bias is not null ? r + _bias[j] : r;
        }
    }

    /// <summary>Four dot products of x [k] with the rows of w [4, k] (float32), x read once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4(float* x, float* w, int k, SimdLevel level, out float r0, out float r1, out float r2, out float r3)
    {
        float* w1 = w + k, w2 = w1 + k, w3 = w2 + k;
        int p = 0;
        r0 = r1 = r2 = r3 = 0;
        if (level == SimdLevel.Vector512)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; p + 16 <= k; p += 16)
            {
                var xv = Vector512.Load(x + p);
                a0 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(w + p), a0);
                a1 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(w1 + p), a1);
                a2 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(w2 + p), a2);
                a3 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(w3 + p), a3);
            }

            (r0, r1, r2, r3) = (Vector512.Sum(a0), Vector512.Sum(a1), Vector512.Sum(a2), Vector512.Sum(a3));
        }
        else if (level == SimdLevel.Vector256)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; p + 8 <= k; p += 8)
            {
                var xv = Vector256.Load(x + p);
                a0 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w + p), a0);
                a1 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w1 + p), a1);
                a2 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w2 + p), a2);
                a3 = Vector256.FusedMultiplyAdd(xv, Vector256.Load(w3 + p), a3);
            }

            (r0, r1, r2, r3) = (Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
        }

        for (; p < k; p++)
        {
            r0 = MathF.FusedMultiplyAdd(x[p], w[p], r0);
            r1 = MathF.FusedMultiplyAdd(x[p], w1[p], r1);
            r2 = MathF.FusedMultiplyAdd(x[p], w2[p], r2);
            r3 = MathF.FusedMultiplyAdd(x[p], w3[p], r3);
        }
    }
}
