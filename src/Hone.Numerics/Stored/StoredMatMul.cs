using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hone.Numerics;

/// <summary>
/// y = x·Wᵀ with W held in its stored type (<see cref="StoredType"/>: BF16, Q8_0, Q4_0), never expanded to float32 as a
/// whole. Fewer than <see cref="TileMinRows"/> rows of x (decode: matrix-vector) take one dot product per output straight
/// from the stored row: BF16 against x laid out once per call in even/odd halves of each 32 values (so a 32-bit lane of
/// weights widens by one shift and one mask), Q8_0 and Q4_0 against x quantised once per call to int8 blocks
/// (<see cref="StoredInt8Dot"/>, llama.cpp's q8_0 activations: integer dot products). More rows (prompt blocks:
/// matrix-matrix) decode 64 weight rows at a time into a float32 panel in per-worker scratch and run the register-blocked
/// micro-kernel of the float32 GEMM (<see cref="MatMulPacked"/>) over every row of x, so each weight is decoded once per
/// call. Every output is computed by the same operations whatever the thread count. The naive twins are
/// <see cref="StoredMatMulNaive.XWt"/> (float32 activations) and <see cref="StoredMatMulNaive.XWtInt8"/> (the decode
/// path of Q8_0 and Q4_0).
/// </summary>
public static unsafe class StoredMatMul
{
    /// <summary>Rows of x from which the decoded-tile (matrix-matrix) path is used.</summary>
    public const int TileMinRows = 4;

    /// <summary>Weight rows per work item of the decode path.</summary>
    private const int RowsPerItem = 16;

    /// <summary>Weight rows per panel (and work item) of the matrix-matrix path.</summary>
    private const int PanelRows = MatMulPacked.NR;

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
            pool.Run(job, m < TileMinRows ? (n + RowsPerItem - 1) / RowsPerItem : (n + PanelRows - 1) / PanelRows);
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

    /// <summary>Decode: <see cref="RowsPerItem"/> weight rows × every row of x per item. Prompt blocks: one panel of
    /// <see cref="PanelRows"/> weight rows per item.</summary>
    private sealed class Job : IParallelWork
    {
        private readonly StoredScratch _prepared = new();
        private float*[] _decoded = [];
        private float*[] _panels = [];
        private int _panelFloats;
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
            if (m < TileMinRows)
            {
                _prepared.Prepare(x, m, k, type, level);
            }
            else if (_decoded.Length < workers || _panelFloats < PanelRows * k)
            {
                // Grows only when a wider matrix or a larger pool comes along; steady-state calls allocate nothing.
                StoredScratch.Free(_decoded);
                StoredScratch.Free(_panels);
                _panelFloats = Math.Max(_panelFloats, PanelRows * k);
                int count = Math.Max(workers, _decoded.Length);
                _decoded = StoredScratch.Allocate(count, _panelFloats);
                _panels = StoredScratch.Allocate(count, _panelFloats);
            }
        }

        public void Execute(int index, int worker)
        {
            if (_m < TileMinRows)
            {
                int j0 = index * RowsPerItem, j1 = Math.Min(_n, j0 + RowsPerItem);
                for (int i = 0; i < _m; i++)
                {
                    float* yi = _y + ((long)i * _n);
                    for (int j = j0; j < j1; j++)
                    {
                        Store(yi, j, _prepared.Dot(i, _w + ((long)j * _rowBytes), _k, _type, _level));
                    }
                }

                return;
            }

            Panel(index, _decoded[worker], _panels[worker]);
        }

        /// <summary>Weight rows [64·index, +64) decoded to float32, packed as one panel, multiplied by every row of x.</summary>
        private void Panel(int index, float* decoded, float* panel)
        {
            int c0 = index * PanelRows, cols = Math.Min(PanelRows, _n - c0), k = _k;
            for (int r = 0; r < cols; r++)
            {
                StoredDot.Dequantize(_w + ((long)(c0 + r) * _rowBytes), decoded + ((long)r * k), k, _type, _level);
            }

            PanelPacking.Pack(decoded, k, cols, transposed: true, panel: 0, k0: 0, kc: k, panel);
            float* tile = stackalloc float[MatMulPacked.MR * MatMulPacked.NR];
            for (int k0 = 0; k0 < k; k0 += MatMulPacked.KC)
            {
                int kc = Math.Min(MatMulPacked.KC, k - k0);
                bool accumulate = _add || k0 > 0;
                float* b = panel + ((long)k0 * MatMulPacked.NR);
                for (int r = 0; r < _m; r += MatMulPacked.MR)
                {
                    int rows = Math.Min(MatMulPacked.MR, _m - r);
                    MatMulPacked.Tile(_x + ((long)r * k) + k0, k, rows, b, kc, _y + ((long)r * _n) + c0, _n, cols, accumulate, tile, _level);
                }
            }

            if (_bias is not null)
            {
                var bias = new ReadOnlySpan<float>(_bias + c0, cols);
                for (int r = 0; r < _m; r++)
                {
                    var row = new Span<float>(_y + ((long)r * _n) + c0, cols);
                    System.Numerics.Tensors.TensorPrimitives.Add(row, bias, row);
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
}
