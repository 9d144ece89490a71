using Hone.Numerics;

namespace Hone.Models.Llama;

/// <summary>
/// The decoder layers' linear weights packed once into <see cref="PackedMatMul"/>'s panel layout, in an arena of their
/// own, for prompt blocks: the blocked matmul then reads its panels directly instead of packing slices of the row-major
/// weights on every call. Decode rows keep reading the row-major weights (a bandwidth-bound dot product per row), so
/// this is a second copy of the layers' matrices: about as much memory again as the model without its embedding.
/// Products from the packed copy equal those from the row-major weights bit for bit.
/// </summary>
public sealed class LlamaPackedWeights : IDisposable
{
    private readonly Arena _arena;

    private LlamaPackedWeights(Arena arena, PackedLayer[] layers)
    {
        _arena = arena;
        Layers = layers;
    }

    /// <summary>One packed layer per decoder layer.</summary>
    public IReadOnlyList<PackedLayer> Layers { get; }

    /// <summary>Bytes the packed copy takes.</summary>
    public long Bytes => _arena.CapacityFloats * sizeof(float);

    /// <summary>Bytes a packed copy of a model of <paramref name="config"/> takes.</summary>
    public static long BytesFor(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        long floats = 0;
        foreach (var (k, n) in Shapes(config))
        {
            floats = checked(floats + PackedMatMul.PackedLength(k, n));
        }

        return checked(floats * config.Layers * sizeof(float));
    }

    /// <summary>Packs every layer of <paramref name="weights"/> (which are not changed).</summary>
    public static LlamaPackedWeights Create(LlamaWeights weights, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var c = weights.Config;
        var shapes = Shapes(c);
        var lengths = new List<long>();
        for (int l = 0; l < c.Layers; l++)
        {
            foreach (var (k, n) in shapes)
            {
                lengths.Add(PackedMatMul.PackedLength(k, n));
            }
        }

        var arena = new Arena(Arena.FloatsFor([.. lengths]));
        try
        {
            var layers = new PackedLayer[c.Layers];
            for (int l = 0; l < c.Layers; l++)
            {
                var lw = weights.Layers[l];
                Tensor Pack(string name, Tensor w, int k, int n)
                {
                    var t = arena.Allocate($"layers.{l}.{name}.packed", checked((int)PackedMatMul.PackedLength(k, n)));
                    PackedMatMul.PackWt(w.Span, t.Span, k, n, pool);
                    return t;
                }

                layers[l] = new PackedLayer(
                    Pack("wq", lw.Wq, c.Dim, c.QDim),
                    Pack("wk", lw.Wk, c.Dim, c.KvDim),
                    Pack("wv", lw.Wv, c.Dim, c.KvDim),
                    Pack("wo", lw.Wo, c.QDim, c.Dim),
                    Pack("w_gate", lw.WGate, c.Dim, c.HiddenDim),
                    Pack("w_up", lw.WUp, c.Dim, c.HiddenDim),
                    Pack("w_down", lw.WDown, c.HiddenDim, c.Dim));
            }

            return new LlamaPackedWeights(arena, layers);
        }
        catch
        {
            arena.Dispose();
            throw;
        }
    }

    /// <summary>Frees the packed copy.</summary>
    public void Dispose() => _arena.Dispose();

    /// <summary>(k, n) of q, k, v, o, gate, up, down.</summary>
    private static (int K, int N)[] Shapes(LlamaConfig c) =>
        [(c.Dim, c.QDim), (c.Dim, c.KvDim), (c.Dim, c.KvDim), (c.QDim, c.Dim), (c.Dim, c.HiddenDim), (c.Dim, c.HiddenDim), (c.HiddenDim, c.Dim)];

    /// <summary>One layer's packed matrices (each for y = x·Wᵀ with W as in <see cref="LlamaLayerWeights"/>).</summary>
    public sealed record PackedLayer(Tensor Wq, Tensor Wk, Tensor Wv, Tensor Wo, Tensor WGate, Tensor WUp, Tensor WDown);
}
