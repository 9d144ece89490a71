using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Hone.Numerics;

/// <summary>
/// The work of one <see cref="StoredMatMul"/> call over one to three matrices sharing x. Decode (m &lt;
/// <see cref="StoredMatMul.TileMinRows"/>): x prepared once (<see cref="StoredScratch"/>), then items of
/// <see cref="RowsPerItem"/> weight rows × every row of x, dealt out in one lane per worker. Prompt blocks: one item per panel of <see cref="PanelRows"/>
/// weight rows, decoded to float32, packed, and multiplied by every row of x with the GEMM micro-kernel. Items of all
/// matrices go to the workers in one run; each output is computed the same way whichever worker takes it.
/// </summary>
internal sealed unsafe class StoredMatMulJob : IParallelWork
{
    /// <summary>Weight rows per work item (chunk of a lane) of the decode path.</summary>
    private const int RowsPerItem = 32;

    /// <summary>Weight rows per panel (and work item) of the matrix-matrix path.</summary>
    private const int PanelRows = MatMulPacked.NR;

    private readonly StoredScratch _prepared = new();
    private readonly LaneSchedule _schedule = new();
    private readonly Target[] _targets = new Target[3];
    private float*[] _decoded = [];
    private float*[] _panels = [];
    private int _panelFloats;
    private int _count;
    private float* _x;
    private StoredType _type;
    private int _m, _k, _rowBytes;
    private bool _add;
    private SimdLevel _level;

    /// <summary>Work items of the matrices added so far.</summary>
    public int Items { get; private set; }

    private bool Decode => _m < StoredMatMul.TileMinRows;

    /// <summary>Starts a call over x [m, k]; prepares x for the decode path or the panel scratch for the other.</summary>
    public void Begin(float* x, StoredType type, int m, int k, bool add, SimdLevel level, int workers)
    {
        _x = x;
        (_type, _m, _k, _add, _level) = (type, m, k, add, level);
        _rowBytes = StoredRows.RowBytes(type, k);
        _count = 0;
        Items = 0;
        if (Decode)
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

    /// <summary>Adds y [m, n] = x·Wᵀ (+ bias) for w [n, rowBytes].</summary>
    public void Add(byte* w, float* bias, float* y, int n)
    {
        int per = Decode ? RowsPerItem : PanelRows;
        _targets[_count++] = new Target(w, bias, y, n, Items);
        Items += (n + per - 1) / per;
    }

    /// <summary>Deals the items out for a run on <paramref name="workers"/> workers; returns the count to run. Decode:
    /// one contiguous lane of items per worker (<see cref="LaneSchedule"/>), so each worker streams one long run of
    /// weight rows, which the hardware prefetcher follows (interleaved short items restart it at every item).</summary>
    public int Schedule(int workers)
    {
        if (!Decode)
        {
            return Items;
        }

        _schedule.Reset(Items, workers);
        return _schedule.Lanes;
    }

    public void Execute(int index, int worker)
    {
        if (!Decode)
        {
            Item(index, worker);
            return;
        }

        while (_schedule.Next(index, out int item))
        {
            Item(item, worker);
        }
    }

    private void Item(int index, int worker)
    {
        int t = _count - 1;
        while (_targets[t].FirstItem > index)
        {
            t--;
        }

        var target = _targets[t];
        index -= target.FirstItem;
        if (!Decode)
        {
            Panel(target, index, _decoded[worker], _panels[worker]);
            return;
        }

        // One weight row at a time, start to end: a plain forward stream, which the hardware prefetchers follow from
        // memory. Interleaving four rows (x loaded once for them) ran at a quarter of the read bandwidth once the matrix
        // no longer fit the cache: four streams a row apart defeat the stream prefetcher.
        int j0 = index * RowsPerItem, j1 = Math.Min(target.N, j0 + RowsPerItem);
        if (StoredInterleaved.Is(_type))
        {
            Groups(target, j0, j1);
            return;
        }

        for (int i = 0; i < _m; i++)
        {
            float* yi = target.Y + ((long)i * target.N);
            for (int j = j0; j < j1; j++)
            {
                Store(target.Bias, yi, j, _prepared.Dot(i, target.W + ((long)j * _rowBytes), _k, _type, _level));
            }
        }
    }

    /// <summary>Rows [j0, j1) of an interleaved matrix (<see cref="StoredType.Q4_0x16"/>, <see cref="StoredType.Q4_Kx16"/>,
    /// <see cref="StoredType.Q8_0x16"/>) (whole groups of 16: RowsPerItem and n are
    /// multiples of 16), group by group.</summary>
    private void Groups(Target target, int j0, int j1)
    {
        float* y16 = stackalloc float[StoredInterleaved.Rows];
        bool direct = !_add && target.Bias is null, vector = Vector512.IsHardwareAccelerated;
        for (int i = 0; i < _m; i++)
        {
            float* yi = target.Y + ((long)i * target.N);
            for (int j = j0; j < j1; j += StoredInterleaved.Rows)
            {
                // A plain product is written straight to y; a sum or a bias is added as Store does, in the same order.
                _prepared.Dot16(i, target.W + ((long)j * _rowBytes), _k, _type, direct ? yi + j : y16, _level);
                if (direct)
                {
                    continue;
                }

                if (vector)
                {
                    var r = Vector512.Load(y16);
                    r = _add ? Vector512.Load(yi + j) + r : r;
                    r = target.Bias is not null ? r + Vector512.Load(target.Bias + j) : r;
                    r.Store(yi + j);
                    continue;
                }

                for (int r = 0; r < StoredInterleaved.Rows; r++)
                {
                    Store(target.Bias, yi, j + r, y16[r]);
                }
            }
        }
    }

    /// <summary>Weight rows [64·index, +64) decoded to float32, packed as one panel, multiplied by every row of x.</summary>
    private void Panel(Target target, int index, float* decoded, float* panel)
    {
        int n = target.N, c0 = index * PanelRows, cols = Math.Min(PanelRows, n - c0), k = _k;
        for (int r = 0; r < cols; r++)
        {
            if (StoredInterleaved.Is(_type))
            {
                // The row's GGUF (or split) bytes are gathered into the panel buffer, which the packing below overwrites.
                StoredInterleaved.DequantizeRow(_type, target.W, k, c0 + r, (byte*)panel, decoded + ((long)r * k), _level);
                continue;
            }

            StoredDot.Dequantize(target.W + ((long)(c0 + r) * _rowBytes), decoded + ((long)r * k), k, _type, _level);
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
                MatMulPacked.Tile(_x + ((long)r * k) + k0, k, rows, b, kc, target.Y + ((long)r * n) + c0, n, cols, accumulate, tile, _level);
            }
        }

        if (target.Bias is not null)
        {
            var bias = new ReadOnlySpan<float>(target.Bias + c0, cols);
            for (int r = 0; r < _m; r++)
            {
                var row = new Span<float>(target.Y + ((long)r * n) + c0, cols);
                System.Numerics.Tensors.TensorPrimitives.Add(row, bias, row);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store(float* bias, float* y, int j, float r)
    {
        r = _add ? y[j] + r : r;
        y[j] = bias is not null ? r + bias[j] : r;
    }

    private readonly struct Target(byte* w, float* bias, float* y, int n, int firstItem)
    {
        public readonly byte* W = w;
        public readonly float* Bias = bias;
        public readonly float* Y = y;
        public readonly int N = n;
        public readonly int FirstItem = firstItem;
    }
}
