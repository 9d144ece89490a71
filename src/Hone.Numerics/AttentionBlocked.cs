using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Hone.Numerics;

/// <summary>
/// The prompt-block path of <see cref="Attention"/>: for blocks of <see cref="BlockedMinTokens"/> tokens or more, each
/// KV head's keys (transposed) and values are packed once into the matmul's panel layout, then every (query head, tile
/// of tokens) runs the register-blocked micro-kernel of <see cref="MatMulPacked"/> twice: scores = Q·Kᵀ over the key
/// panels its causal limit reaches, a masked softmax per row (<see cref="MaskedSoftmax"/>), and output = P·V. Each key and value is then loaded once
/// per six query rows instead of once per row. Every item does the same arithmetic whatever the thread that runs it,
/// so results do not depend on the thread count. The naive twin is <see cref="Attention.ForwardNaive"/>.
/// </summary>
internal static unsafe class AttentionBlocked
{
    /// <summary>Blocks of fewer tokens (decode) take the row path: one dot product per (token, head, key).</summary>
    internal const int BlockedMinTokens = 16;

    /// <summary>Query rows per work item (four micro-tiles).</summary>
    private const int TileRows = 4 * MatMulPacked.MR;

    private const int NR = MatMulPacked.NR;

    [ThreadStatic]
    private static GrowableBuffer? t_scratch;

    [ThreadStatic]
    private static PackJob? t_pack;

    [ThreadStatic]
    private static BlockedJob? t_blocked;

    /// <summary>The cache is k, v in F32 [positions, kvHeads, headDim], or kHalf, vHalf in F16, head-major
    /// [kvHeads, capacity, headDim] (the other pair null): packing widens the halves.</summary>
    internal static void Forward(
        float* q, float* k, float* v, ushort* kHalf, ushort* vHalf, int capacity, int* firstVisible, float* probs, float* output,
        int tokens, int start, int heads, int kvHeads, int headDim, int kvLen, float scale, WorkerPool pool)
    {
        var layout = new PackedLayout(kvLen, kvHeads, headDim);
        float* packed = (t_scratch ??= new GrowableBuffer()).Ensure(layout.TotalFloats);
        var pack = t_pack ??= new PackJob();
        pack.Set(k, v, kHalf, vHalf, capacity, packed, layout);
        pool.Run(pack, 2 * kvHeads);
        var job = t_blocked ??= new BlockedJob();
        int tiles = (tokens + TileRows - 1) / TileRows;
        job.Set(q, packed, firstVisible, probs, output, layout, tokens, start, heads, tiles, scale);
        pool.Run(job, heads * tiles);
    }

    /// <summary>Where the packed keys and values of each KV head lie in the scratch block.</summary>
    private readonly struct PackedLayout(int kvLen, int kvHeads, int headDim)
    {
        public int KvLen { get; } = kvLen;

        public int KvHeads { get; } = kvHeads;

        public int HeadDim { get; } = headDim;

        /// <summary>Panels of 64 keys (Kᵀ: headDim rows of 64 keys each).</summary>
        public int KeyPanels => (KvLen + NR - 1) / NR;

        /// <summary>Panels of 64 head dimensions (V: kvLen rows of 64 values each).</summary>
        public int ValuePanels => (HeadDim + NR - 1) / NR;

        public long KeyFloatsPerHead => (long)KeyPanels * HeadDim * NR;

        public long ValueFloatsPerHead => (long)ValuePanels * KvLen * NR;

        public long TotalFloats => KvHeads * (KeyFloatsPerHead + ValueFloatsPerHead);

        public float* KeyPanel(float* packed, int kvh, int panel) => packed + (kvh * KeyFloatsPerHead) + ((long)panel * HeadDim * NR);

        public float* ValuePanel(float* packed, int kvh, int panel) =>
            packed + (KvHeads * KeyFloatsPerHead) + (kvh * ValueFloatsPerHead) + ((long)panel * KvLen * NR);
    }

    /// <summary>Item 2·h packs KV head h's keys, item 2·h + 1 its values.</summary>
    private sealed class PackJob : IParallelWork
    {
        private float* _k;
        private float* _v;
        private ushort* _kHalf;
        private ushort* _vHalf;
        private long _halfHeadStride;
        private float* _packed;
        private PackedLayout _layout;

        [ThreadStatic]
        private static GrowableBuffer? t_rows;

        public void Set(float* k, float* v, ushort* kHalf, ushort* vHalf, int capacity, float* packed, PackedLayout layout)
        {
            _halfHeadStride = (long)capacity * layout.HeadDim;
            _k = k;
            _v = v;
            _kHalf = kHalf;
            _vHalf = vHalf;
            _packed = packed;
            _layout = layout;
        }

        public void Execute(int index, int worker)
        {
            var l = _layout;
            int kvh = index / 2, kvRow = l.KvHeads * l.HeadDim;
            if (index % 2 == 0)
            {
                // Kᵀ of this head: the rows of K (stride kvRow) are the panel's columns. A half cache widens the panel's
                // keys (contiguous, head-major) into float rows first.
                float* rows = _kHalf is null ? null : (t_rows ??= new GrowableBuffer()).Ensure((long)NR * l.HeadDim);
                for (int p = 0; p < l.KeyPanels; p++)
                {
                    if (_kHalf is null)
                    {
                        PanelPacking.Pack(_k + ((long)kvh * l.HeadDim), kvRow, l.KvLen, transposed: true, p, 0, l.HeadDim, l.KeyPanel(_packed, kvh, p));
                        continue;
                    }

                    int keys = Math.Min(NR, l.KvLen - (p * NR));
                    HalfConvert.Widen(_kHalf + (kvh * _halfHeadStride) + ((long)p * NR * l.HeadDim), rows, keys * l.HeadDim);

                    PanelPacking.Pack(rows, l.HeadDim, keys, transposed: true, 0, 0, l.HeadDim, l.KeyPanel(_packed, kvh, p));
                }

                return;
            }

            for (int p = 0; p < l.ValuePanels; p++)
            {
                int d0 = p * NR, cols = Math.Min(NR, l.HeadDim - d0);
                float* dst = l.ValuePanel(_packed, kvh, p);
                for (int j = 0; j < l.KvLen; j++)
                {
                    if (_vHalf is null)
                    {
                        new ReadOnlySpan<float>(_v + ((long)j * kvRow) + ((long)kvh * l.HeadDim) + d0, cols).CopyTo(new Span<float>(dst, cols));
                    }
                    else
                    {
                        HalfConvert.Widen(_vHalf + (kvh * _halfHeadStride) + ((long)j * l.HeadDim) + d0, dst, cols);
                    }

                    if (cols < NR)
                    {
                        new Span<float>(dst + cols, NR - cols).Clear();
                    }

                    dst += NR;
                }
            }
        }
    }

    /// <summary>One (query head, tile of <see cref="TileRows"/> tokens) per item.</summary>
    private sealed class BlockedJob : IParallelWork
    {
        private float* _q;
        private float* _packed;
        private int* _firstVisible;
        private float* _probs;
        private float* _out;
        private PackedLayout _layout;
        private int _tokens;
        private int _start;
        private int _heads;
        private int _tiles;
        private float _scale;

        public void Set(float* q, float* packed, int* firstVisible, float* probs, float* output, PackedLayout layout, int tokens, int start, int heads, int tiles, float scale)
        {
            _q = q;
            _packed = packed;
            _firstVisible = firstVisible;
            _probs = probs;
            _out = output;
            _layout = layout;
            _tokens = tokens;
            _start = start;
            _heads = heads;
            _tiles = tiles;
            _scale = scale;
        }

        public void Execute(int index, int worker)
        {
            var l = _layout;
            int h = index / _tiles, t0 = index % _tiles * TileRows;
            int t1 = Math.Min(_tokens, t0 + TileRows);
            int kvh = h / (_heads / l.KvHeads), headDim = l.HeadDim, kvLen = l.KvLen;
            long qStride = (long)_heads * headDim, pStride = (long)_heads * kvLen;
            float* tile = stackalloc float[MatMulPacked.MR * NR];
            var level = Simd.Best;
            for (int r0 = t0; r0 < t1; r0 += MatMulPacked.MR)
            {
                int rows = Math.Min(MatMulPacked.MR, t1 - r0);
                int reach = _start + r0 + rows; // keys the micro-tile's last row sees
                float* q = _q + (r0 * qStride) + ((long)h * headDim);
                float* p = _probs + (r0 * pStride) + ((long)h * kvLen);
                for (int panel = 0; panel * NR < reach; panel++)
                {
                    MatMulPacked.Tile(q, qStride, rows, l.KeyPanel(_packed, kvh, panel), headDim, p + (panel * NR), pStride, Math.Min(NR, kvLen - (panel * NR)), false, tile, level);
                }

                for (int r = 0; r < rows; r++)
                {
                    int t = r0 + r;
                    MaskedSoftmax(p + (r * pStride), _firstVisible is null ? 0 : _firstVisible[t], _start + t + 1, kvLen, _scale);
                }

                float* o = _out + (r0 * qStride) + ((long)h * headDim);
                for (int panel = 0; panel * NR < headDim; panel++)
                {
                    MatMulPacked.Tile(p, pStride, rows, l.ValuePanel(_packed, kvh, panel), reach, o + (panel * NR), qStride, Math.Min(NR, headDim - (panel * NR)), false, tile, level);
                }
            }
        }
    }

    /// <summary>
    /// row[j] ← softmax(scale·row)[j] over the visible keys [first, limit), 0 elsewhere: the maximum, then
    /// exp(scale·(s − max)) and its sum in one pass, then one scaling (three passes over the row instead of six).
    /// Shape: row [kvLen].
    /// </summary>
    private static void MaskedSoftmax(float* row, int first, int limit, int kvLen, float scale)
    {
        float* s = row + first;
        int n = limit - first, i = 0;
        float max = TensorPrimitives.Max(new ReadOnlySpan<float>(s, n)), sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> vmax = Vector512.Create(max), vscale = Vector512.Create(scale), acc = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                Vector512<float> e = Vector512.Exp((Vector512.Load(s + i) - vmax) * vscale);
                e.Store(s + i);
                acc += e;
            }

            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> vmax = Vector256.Create(max), vscale = Vector256.Create(scale), acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                Vector256<float> e = Vector256.Exp((Vector256.Load(s + i) - vmax) * vscale);
                e.Store(s + i);
                acc += e;
            }

            sum = Vector256.Sum(acc);
        }

        for (; i < n; i++)
        {
            float e = MathF.Exp((s[i] - max) * scale);
            s[i] = e;
            sum += e;
        }

        TensorPrimitives.Multiply(new ReadOnlySpan<float>(s, n), 1f / sum, new Span<float>(s, n));
        new Span<float>(row, first).Clear();
        new Span<float>(row + limit, kvLen - limit).Clear();
    }
}
