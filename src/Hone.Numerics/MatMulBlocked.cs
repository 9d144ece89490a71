using System.Numerics.Tensors;

namespace Hone.Numerics;

/// <summary>
/// The cache-blocked driver of <see cref="MatMul"/>'s fast path: each work item owns a group of up to
/// <see cref="MaxPanelsPerGroup"/> panels (and, when columns alone cannot feed every thread, a chunk of rows). For each
/// K block it packs its slice of the weights into a per-worker buffer that stays in L2, then sweeps the rows with the
/// micro-kernel. Weights are read once from memory and never written back packed. The arithmetic per output element is
/// that of <see cref="MatMulPacked"/>, so results do not depend on the split. Weights may be bfloat16
/// (<see cref="MatMulBF16"/>): they are widened while packed (<see cref="BF16Packing"/>), and the rest is the same.
/// </summary>
internal static unsafe class MatMulBlocked
{
    private const int NR = MatMulPacked.NR;
    private const int MR = MatMulPacked.MR;
    private const int KC = MatMulPacked.KC;

    /// <summary>Most panels per group (a 256×256 slice of packed weights: 256 KiB).</summary>
    internal const int MaxPanelsPerGroup = 4;

    /// <summary>Rows swept per pass over a packed slice (their A block stays in L2).</summary>
    private const int MC = 96;

    /// <summary>Floats of per-worker packing space for <paramref name="threads"/> workers.</summary>
    internal static long WorkspaceFloats(int threads) => (long)threads * MaxPanelsPerGroup * KC * NR;

    internal static void Run(
        float* x, float* w, float* bias, float* y, int m, int k, int n, bool transposed, bool add,
        WorkerPool pool, MatMulWorkspace workspace, SimdLevel level)
        => Run(x, w, null, bias, y, m, k, n, transposed, add, pool, workspace, level);

    /// <summary>As above with the weights either float32 (<paramref name="w"/>) or bfloat16 bits (<paramref name="wBf16"/>; w null).</summary>
    internal static void Run(
        float* x, float* w, ushort* wBf16, float* bias, float* y, int m, int k, int n, bool transposed, bool add,
        WorkerPool pool, MatMulWorkspace workspace, SimdLevel level)
    {
        int threads = pool.ThreadCount;
        int panels = (n + NR - 1) / NR;
        int perGroup = Math.Clamp(panels / (2 * threads), 1, MaxPanelsPerGroup);
        int groups = (panels + perGroup - 1) / perGroup;
        int rowChunks = Math.Max(1, Math.Min((m + 47) / 48, ((2 * threads) + groups - 1) / groups));
        int rowsPerChunk = (((m + rowChunks - 1) / rowChunks) + MR - 1) / MR * MR;
        rowChunks = (m + rowsPerChunk - 1) / rowsPerChunk;
        float* buffers = workspace.EnsurePacked(WorkspaceFloats(threads));
        Job job = workspace.BlockedJob;
        job.Set(x, w, wBf16, bias, y, m, k, n, transposed, add, buffers, perGroup, groups, rowsPerChunk, level);
        pool.Run(job, groups * rowChunks);
    }

    /// <summary>(panel group, row chunk) per item.</summary>
    internal sealed class Job : IParallelWork
    {
        private float* _x;
        private float* _w;
        private ushort* _wBf16;
        private float* _bias;
        private float* _y;
        private float* _buffers;
        private int _m;
        private int _k;
        private int _n;
        private int _perGroup;
        private int _groups;
        private int _rowsPerChunk;
        private bool _transposed;
        private bool _add;
        private SimdLevel _level;

        public void Set(
            float* x, float* w, ushort* wBf16, float* bias, float* y, int m, int k, int n, bool transposed, bool add,
            float* buffers, int perGroup, int groups, int rowsPerChunk, SimdLevel level)
        {
            _x = x;
            _w = w;
            _wBf16 = wBf16;
            _bias = bias;
            _y = y;
            _m = m;
            _k = k;
            _n = n;
            _transposed = transposed;
            _add = add;
            _buffers = buffers;
            _perGroup = perGroup;
            _groups = groups;
            _rowsPerChunk = rowsPerChunk;
            _level = level;
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
            float* buffer = _buffers + ((long)worker * MaxPanelsPerGroup * KC * NR);
            float* tile = stackalloc float[MR * NR];
            for (int k0 = 0; k0 < k; k0 += KC)
            {
                int kc = Math.Min(KC, k - k0);
                bool accumulate = _add || k0 > 0;
                for (int p = p0; p < p1; p++)
                {
                    float* slice = buffer + ((long)(p - p0) * kc * NR);
                    if (_wBf16 is not null)
                    {
                        BF16Packing.Pack(_wBf16, k, n, _transposed, p, k0, kc, slice);
                    }
                    else
                    {
                        PanelPacking.Pack(_w, k, n, _transposed, p, k0, kc, slice);
                    }
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
                            int rows = Math.Min(MR, i1 - r);
                            MatMulPacked.Tile(_x + ((long)r * k) + k0, k, rows, b, kc, _y + ((long)r * n) + c0, n, cols, accumulate, tile, _level);
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
