using System.Runtime.InteropServices;
using Hone.Numerics;
using Tensor = Hone.Numerics.Tensor;

namespace Hone.Models.Llama;

/// <summary>Element type of an inference session's KV cache.</summary>
public enum KvCacheType
{
    /// <summary>IEEE half precision, as llama.cpp keeps its cache by default: half the bytes per token of F32, keys and
    /// values rounded to 11 significant bits once, when they are computed.</summary>
    F16,

    /// <summary>Single precision: the cache holds exactly what the projections computed (for bit-for-bit comparisons
    /// with the training forward and other F32 references).</summary>
    F32,
}

/// <summary>
/// The keys and values of a <see cref="LlamaSession"/>, [layers, positions, kvDim], carved from the session's arena.
/// A block's keys and values are computed in F32 (<see cref="Keys"/>, <see cref="Values"/>), finished there (norm,
/// RoPE), then <see cref="Commit"/>ted; <see cref="Attend"/> runs attention over the cache.
/// </summary>
internal abstract class KvCache
{
    protected KvCache(int layers, int maxContext, int kvHeads, int headDim)
    {
        Layers = layers;
        MaxContext = maxContext;
        KvHeads = kvHeads;
        HeadDim = headDim;
        KvDim = kvHeads * headDim;
    }

    protected int Layers { get; }

    protected int MaxContext { get; }

    protected int KvHeads { get; }

    protected int HeadDim { get; }

    protected int KvDim { get; }

    /// <summary>Bytes the cache holds per position (keys and values of every layer).</summary>
    public abstract long BytesPerToken { get; }

    /// <summary>Floats of arena a cache of this type needs (to add to the session's <see cref="Arena.FloatsFor"/>).</summary>
    public static long Floats(KvCacheType type, int layers, int maxContext, int kvDim, int blockSize) => type switch
    {
        KvCacheType.F32 => Arena.FloatsFor(checked((long)layers * maxContext * kvDim), checked((long)layers * maxContext * kvDim)),
        KvCacheType.F16 => Arena.FloatsFor(
            (long)layers * HalfRowFloats(maxContext, kvDim), (long)layers * HalfRowFloats(maxContext, kvDim), (long)blockSize * kvDim, (long)blockSize * kvDim),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown KV cache type."),
    };

    /// <summary>Carves the cache from <paramref name="arena"/> (sized with <see cref="Floats"/>).</summary>
    public static KvCache Create(KvCacheType type, Arena arena, int layers, int maxContext, int kvHeads, int headDim, int blockSize) => type switch
    {
        KvCacheType.F32 => new F32KvCache(arena, layers, maxContext, kvHeads, headDim),
        KvCacheType.F16 => new F16KvCache(arena, layers, maxContext, kvHeads, headDim, blockSize),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown KV cache type."),
    };

    /// <summary>Where the keys [rows, kvDim] of positions pos0.. of a layer are computed.</summary>
    public abstract Span<float> Keys(int layer, int pos0, int rows);

    /// <summary>Where the values [rows, kvDim] of positions pos0.. of a layer are computed.</summary>
    public abstract Span<float> Values(int layer, int pos0, int rows);

    /// <summary>Stores the finished keys and values of <see cref="Keys"/> and <see cref="Values"/> in the cache.</summary>
    public abstract void Commit(int layer, int pos0, int rows);

    /// <summary>
    /// Causal attention of q [tokens, heads, headDim] at positions start.. over the layer's cache (the cache's own KV heads
    /// and head size); shapes and
    /// firstVisible as <see cref="Attention.Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, Span{float}, int, int, int, int, int, float, WorkerPool?)"/>.
    /// </summary>
    public abstract void Attend(
        int layer, ReadOnlySpan<float> q, ReadOnlySpan<int> firstVisible, Span<float> probs, Span<float> output,
        int tokens, int start, int heads, float scale, WorkerPool pool);

    /// <summary>Floats holding one layer's halves (maxContext × kvDim, rounded up to whole floats).</summary>
    private static long HalfRowFloats(int maxContext, int kvDim) => checked(((long)maxContext * kvDim) + 1) / 2;

    /// <summary>The cache in F32: keys and values are computed straight into their cache rows.</summary>
    private sealed class F32KvCache : KvCache
    {
        private readonly Tensor _keys, _values;

        public F32KvCache(Arena arena, int layers, int maxContext, int kvHeads, int headDim)
            : base(layers, maxContext, kvHeads, headDim)
        {
            _keys = arena.Allocate("key_cache", layers, maxContext, KvDim);
            _values = arena.Allocate("value_cache", layers, maxContext, KvDim);
        }

        public override long BytesPerToken => 2L * Layers * KvDim * sizeof(float);

        public override Span<float> Keys(int layer, int pos0, int rows) => _keys.Row(layer).Slice(pos0 * KvDim, rows * KvDim);

        public override Span<float> Values(int layer, int pos0, int rows) => _values.Row(layer).Slice(pos0 * KvDim, rows * KvDim);

        public override void Commit(int layer, int pos0, int rows)
        {
        }

        public override void Attend(
            int layer, ReadOnlySpan<float> q, ReadOnlySpan<int> firstVisible, Span<float> probs, Span<float> output,
            int tokens, int start, int heads, float scale, WorkerPool pool)
            => Attention.Forward(q, _keys.Row(layer), _values.Row(layer), firstVisible, probs, output, tokens, start, heads, KvHeads, HeadDim, scale, pool);
    }

    /// <summary>
    /// The cache in F16, head-major per layer ([kvHeads, maxContext, headDim], so attention reads each KV head as one
    /// contiguous stream): a block's keys and values are computed in F32 scratch, then rounded into the cache.
    /// </summary>
    private sealed class F16KvCache : KvCache
    {
        private readonly Tensor _keys, _values, _blockKeys, _blockValues;

        public F16KvCache(Arena arena, int layers, int maxContext, int kvHeads, int headDim, int blockSize)
            : base(layers, maxContext, kvHeads, headDim)
        {
            int rowFloats = checked((int)HalfRowFloats(maxContext, KvDim));
            _keys = arena.Allocate("key_cache", layers, rowFloats);
            _values = arena.Allocate("value_cache", layers, rowFloats);
            _blockKeys = arena.Allocate("block_keys", blockSize, KvDim);
            _blockValues = arena.Allocate("block_values", blockSize, KvDim);
        }

        public override long BytesPerToken => 2L * Layers * KvDim * 2;

        public override Span<float> Keys(int layer, int pos0, int rows) => _blockKeys.Span[..(rows * KvDim)];

        public override Span<float> Values(int layer, int pos0, int rows) => _blockValues.Span[..(rows * KvDim)];

        public override void Commit(int layer, int pos0, int rows)
        {
            Span<float> blockKeys = _blockKeys.Span, blockValues = _blockValues.Span;
            Span<Half> keys = Layer(_keys, layer), values = Layer(_values, layer);
            for (int h = 0; h < KvHeads; h++)
            {
                for (int r = 0; r < rows; r++)
                {
                    int from = (r * KvDim) + (h * HeadDim), to = (((h * MaxContext) + pos0 + r) * HeadDim);
                    HalfConvert.FromSingle(blockKeys.Slice(from, HeadDim), keys.Slice(to, HeadDim));
                    HalfConvert.FromSingle(blockValues.Slice(from, HeadDim), values.Slice(to, HeadDim));
                }
            }
        }

        public override void Attend(
            int layer, ReadOnlySpan<float> q, ReadOnlySpan<int> firstVisible, Span<float> probs, Span<float> output,
            int tokens, int start, int heads, float scale, WorkerPool pool)
            => AttentionHalf.Forward(q, Layer(_keys, layer), Layer(_values, layer), firstVisible, probs, output, tokens, start, heads, KvHeads, HeadDim, MaxContext, scale, pool);

        private Span<Half> Layer(Tensor t, int layer) => MemoryMarshal.Cast<float, Half>(t.Row(layer))[..(MaxContext * KvDim)];
    }
}
