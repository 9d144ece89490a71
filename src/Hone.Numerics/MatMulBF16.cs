using System.Numerics.Tensors;

namespace Hone.Numerics;

/// <summary>
/// Matrix products with bfloat16 weights (a frozen base under LoRA, half the bytes of float32) and float32 activations
/// and results. The weights are widened in registers while each K block of a panel is packed (<see cref="BF16Packing"/>),
/// then the float32 micro-kernel of <see cref="MatMulPacked"/> runs over the packed slice, cache-blocked and threaded as
/// <see cref="MatMulBlocked"/>. Every shape takes this packed path, so the result equals, bit for bit, that of
/// <see cref="MatMul"/> on the widened weights wherever <see cref="MatMul"/> takes its packed path (at least
/// <see cref="MatMul.PackedMinRows"/> rows and more than <see cref="MatMul.RowPathMaxOutputs"/> outputs), whatever
/// the thread count. <see cref="MatMulBF16Naive"/> is the naive twin.
/// </summary>
public static unsafe class MatMulBF16
{
    [ThreadStatic]
    private static Job? t_job;

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
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (w.Length < (long)n * k)
        {
            throw new ArgumentException($"w holds {w.Length} values; {k}×{n} weights need {(long)n * k}.", nameof(w));
        }

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

        int threads = pool.ThreadCount;
        int panels = (n + NR - 1) / NR;
        int perGroup = Math.Clamp(panels / (2 * threads), 1, MatMulBlocked.MaxPanelsPerGroup);
        int groups = (panels + perGroup - 1) / perGroup;
        int rowChunks = Math.Max(1, Math.Min((m + 47) / 48, ((2 * threads) + groups - 1) / groups));
        int rowsPerChunk = (((m + rowChunks - 1) / rowChunks) + MR - 1) / MR * MR;
        rowChunks = (m + rowsPerChunk - 1) / rowsPerChunk;
        float* buffers = workspace.EnsurePacked(MatMulBlocked.WorkspaceFloats(threads));
        var job = t_job ??= new Job();
        fixed (float* px = x)
        fixed (ushort* pw = w)
        fixed (float* pb = bias)
        fixed (float* py = y)
        {
            job.Set(px, pw, bias.IsEmpty ? null : pb, py, m, k, n, transposed, add, buffers, perGroup, groups, rowsPerChunk, Simd.Best);
            pool.Run(job, groups * rowChunks);
        }
    }

    private const int NR = MatMulPacked.NR;
    private const int MR = MatMulPacked.MR;
    private const int KC = MatMulPacked.KC;
    private const int MC = 96;

    /// <summary>(panel group, row chunk) per item, as <see cref="MatMulBlocked.Job"/> with bf16 packing.</summary>
    private sealed class Job : IParallelWork
    {
        private float* _x;
        private ushort* _w;
        private float* _bias;
        private float* _y;
        private float* _buffers;
        private int _m, _k, _n, _perGroup, _groups, _rowsPerChunk;
        private bool _transposed, _add;
        private SimdLevel _level;

        public void Set(float* x, ushort* w, float* bias, float* y, int m, int k, int n, bool transposed, bool add,
            float* buffers, int perGroup, int groups, int rowsPerChunk, SimdLevel level)
        {
            _x = x;
            _w = w;
            _bias = bias;
            _y = y;
            _buffers = buffers;
            (_m, _k, _n, _transposed, _add) = (m, k, n, transposed, add);
            (_perGroup, _groups, _rowsPerChunk, _level) = (perGroup, groups, rowsPerChunk, level);
        }

        public void Execute(int index, int worker)
        {
            int m = _m, k = _k, n = _n;
            int panels = (n + NR - 1) / NR;
            int g = index % _groups;
            int p0 = g * _perGroup;
            int p1 = Math.Min(panels, p0 + _perGroup);
            int r0 = index / _groups * _rowsPerChunk;
            int r1 = Math.Min(m, r0 + _rowsPerChunk);
            float* buffer = _buffers + ((long)worker * MatMulBlocked.MaxPanelsPerGroup * KC * NR);
            float* tile = stackalloc float[MR * NR];
            for (int k0 = 0; k0 < k; k0 += KC)
            {
                int kc = Math.Min(KC, k - k0);
                bool accumulate = _add || k0 > 0;
                for (int p = p0; p < p1; p++)
                {
                    BF16Packing.Pack(_w, k, n, _transposed, p, k0, kc, buffer + ((long)(p - p0) * kc * NR));
                }

                for (int i0 = r0; i0 < r1; i0 += MC)
                {
                    int i1 = Math.Min(r1, i0 + MC);
                    for (int p = p0; p < p1; p++)
                    {
                        float* b = buffer + ((long)(p - p0) * kc * NR);
                        int c0 = p * NR;
                        int cols = Math.Min(NR, n - c0);
                        for (int r = i0; r < i1; r += MR)
                        {
                            MatMulPacked.Tile(_x + ((long)r * k) + k0, k, Math.Min(MR, i1 - r), b, kc, _y + ((long)r * n) + c0, n, cols, accumulate, tile, _level);
                        }
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
}
