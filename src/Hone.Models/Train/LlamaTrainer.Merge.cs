using System.Numerics.Tensors;
using Hone.Models.Llama;
using Hone.Numerics;

namespace Hone.Models.Train;

/// <summary>Folding LoRA adapters into the base weights.</summary>
public sealed partial class LlamaTrainer
{
    /// <summary>
    /// With LoRA, a session over a merged copy (<see cref="MergedWeights"/>) that the session frees when disposed: one
    /// weight copy per call is small next to the decoding it serves, and inference stays the plain, fast path. With full
    /// fine-tuning, a session over the trained weights themselves (which the optimiser updates in place).
    /// </summary>
    public IInferenceSession OpenSamplingSession(int maxContext, WorkerPool? pool = null)
    {
        if (_lora is null)
        {
            return _model.CreateSession(maxContext, pool: pool);
        }

        var merged = new LlamaModel(MergedWeights());
        try
        {
            return new OwningSession(merged.CreateSession(maxContext, pool: pool), merged);
        }
        catch
        {
            merged.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A copy of the model's weights with every adapter folded in (W += B·A·alpha/rank) and the modules to save in
    /// place of the base's embedding and head, whose plain forward equals the adapter forward (dropout off). Without
    /// LoRA, a plain copy. The caller owns (disposes) the result.
    /// </summary>
    public LlamaWeights MergedWeights()
    {
        var source = _model.Weights;
        float[]? product = null;
        return LlamaWeights.Create(_c, (name, t) =>
        {
            var saved = name == "model.embed_tokens.weight" ? _savedEmbed : name == "lm_head.weight" ? _savedHead : null;
            (saved ?? source.Arena[name]).Span.CopyTo(t.Span);
            if (_lora is null || !TryParseLayerModule(name, out int layer, out string module))
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
