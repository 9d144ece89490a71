using System.Numerics.Tensors;
using Hone.Models.Llama;
using Hone.Numerics;

namespace Hone.Models.Train;

/// <summary>
/// Folds a trainer's LoRA adapters into a copy of the base weights (W += B·A·alpha/rank) and puts the trained copies of
/// the modules to save (or the base's embedding and head with the trainable tokens' rows in place) in place of the base's embedding and head, so that the plain forward of the copy equals the
/// adapter forward (dropout off); a BF16 base (<see cref="BF16Base"/>) is widened to float32 first. It reads the adapters as they are when <see cref="Merge"/> is called.
/// </summary>
internal sealed class LoraMerge
{
    private readonly LlamaWeights _source;
    private readonly IReadOnlyList<TrainLayer> _layers;
    private readonly SavedModules _saved;
    private readonly bool _isLora;
    private readonly WorkerPool _pool;

    /// <summary>A merge of <paramref name="layers"/>' adapters and <paramref name="saved"/>' copies into <paramref name="source"/>.</summary>
    /// <param name="source">The base weights (not changed).</param>
    /// <param name="layers">The trainer's layers, whose linears carry the adapters.</param>
    /// <param name="saved">The trained copies of the modules to save.</param>
    /// <param name="isLora">Whether there are adapters at all (else a merge is a plain copy).</param>
    /// <param name="pool">Workers for the B·A products.</param>
    public LoraMerge(LlamaWeights source, IReadOnlyList<TrainLayer> layers, SavedModules saved, bool isLora, WorkerPool pool)
    {
        _source = source;
        _layers = layers;
        _saved = saved;
        _isLora = isLora;
        _pool = pool;
    }

    /// <summary>
    /// A copy of the base weights with every adapter folded in and the modules to save in place of the base's embedding
    /// and head. Without LoRA, a plain copy. The caller owns (disposes) the result.
    /// </summary>
    public LlamaWeights Merge()
    {
        float[]? product = null;
        return LlamaWeights.Create(_source.Config, (name, t) =>
        {
            var saved = name == "model.embed_tokens.weight" ? _saved.Embedding : name == "lm_head.weight" ? _saved.Head : null;
            if (saved is null && _source.Stored.GetValueOrDefault(name) is { } stored)
            {
                BF16Convert.ToSingle(BF16Base.Bits(stored), t.Span);
            }
            else
            {
                (saved ?? _source.Arena[name]).Span.CopyTo(t.Span);
            }
            if (!_isLora || !TryParseLayerModule(name, out int layer, out string module))
            {
                return;
            }

            if (_layers[layer].Linear(module).Lora is not { } lora)
            {
                return;
            }

            int outputs = lora.B.Shape[0], inputs = lora.A.Shape[1];
            product ??= new float[t.Length];
            if (product.Length < t.Length)
            {
                product = new float[t.Length];
            }

            Span<float> ba = product.AsSpan(0, t.Length);
            MatMul.XW(lora.B.Span, lora.A.Span, default, ba, outputs, lora.Rank, inputs, _pool); // [out, r]·[r, in]
            TensorPrimitives.MultiplyAdd(ba, lora.Scale, t.Span, t.Span);
        });
    }

    /// <summary>Parses "model.layers.N.(self_attn|mlp).MODULE.weight" for the LoRA-capable modules.</summary>
    private static bool TryParseLayerModule(string name, out int layer, out string module)
    {
        layer = -1;
        module = "";
        const string prefix = "model.layers.";
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(".weight", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = name.Split('.');
        if (parts.Length != 6 || !int.TryParse(parts[2], out layer) || !LlamaModules.Linear.Contains(parts[4]))
        {
            return false;
        }

        module = parts[4];
        return true;
    }
}
