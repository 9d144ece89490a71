using System.Runtime.InteropServices;
using Hone.Models.Llama;
using Hone.Numerics;

namespace Hone.Models.Train;

/// <summary>
/// A frozen LoRA base held in bfloat16 (<see cref="LoraBaseType.BF16"/>): the seven linear matrices of every layer
/// (q, k, v, o, gate, up, down: nearly all of a model's weights) become BF16 <see cref="StoredMatrix"/>es, half the
/// bytes of float32, which the trainer reads directly (<see cref="MatMulBF16"/>, widened in registers); the embedding,
/// the head, the norms and biases stay float32, as do the adapters, their gradients and Adam moments (the master copies
/// of everything trained).
/// </summary>
public static class BF16Base
{
    /// <summary>
    /// A copy of <paramref name="weights"/> (float32) with every layer linear rounded to bfloat16 (to nearest even) and
    /// held as BF16; everything else copied as float32. The caller owns (disposes) the result and may dispose the source.
    /// </summary>
    /// <exception cref="ArgumentException">The weights already hold stored-type matrices.</exception>
    public static LlamaWeights Convert(LlamaWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.HasStored)
        {
            throw new ArgumentException("The weights already hold stored-type matrices; convert a float32 model (LlamaModel.Load).", nameof(weights));
        }

        var c = weights.Config;
        var stored = new Dictionary<string, StoredMatrix>();
        var names = Enumerable.Range(0, c.Layers).SelectMany(l => LlamaModules.Linear.Select(module => LinearName(l, module))).ToList();
        var block = new NativeBytes(NativeBytes.BytesFor(names.Select(n => 2L * weights.Arena[n].Length)));
        for (int l = 0; l < c.Layers; l++)
        {
            foreach (var module in LlamaModules.Linear)
            {
                string name = LinearName(l, module);
                var t = weights.Arena[name];
                long offset = block.Carve(checked(t.Length * 2));
                BF16Convert.FromSingle(t.Span, MemoryMarshal.Cast<byte, ushort>(block.Slice(offset, t.Length * 2)));
                stored[name] = new StoredMatrix(StoredType.BF16, t.Shape[0], t.Shape[1], block, offset);
            }
        }

        return LlamaWeights.Create(c, (name, t) => weights.Arena[name].Span.CopyTo(t.Span), stored);
    }

    /// <summary>Whether <paramref name="weights"/> hold exactly the layout of <see cref="Convert"/>: every layer linear
    /// BF16, nothing else stored.</summary>
    public static bool Holds(LlamaWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        int linears = weights.Config.Layers * LlamaModules.Linear.Count;
        if (weights.Stored.Count != linears)
        {
            return false;
        }

        for (int l = 0; l < weights.Config.Layers; l++)
        {
            foreach (var module in LlamaModules.Linear)
            {
                if (weights.Stored.GetValueOrDefault(LinearName(l, module)) is not { Type: StoredType.BF16 })
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The bf16 bits of a stored BF16 matrix, row after row.</summary>
    internal static ReadOnlySpan<ushort> Bits(StoredMatrix m) => MemoryMarshal.Cast<byte, ushort>(m.Bytes);

    /// <summary>HF name of the weight of one layer linear.</summary>
    internal static string LinearName(int layer, string module) =>
        LlamaWeights.LayerName(layer, LlamaModules.BlockOf(module) + "." + module + ".weight");
}
