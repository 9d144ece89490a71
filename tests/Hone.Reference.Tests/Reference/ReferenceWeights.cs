using Hone.Models.Llama;
using Hone.Reference.Tests.Autodiff;

namespace Hone.Reference.Tests.Reference;

/// <summary>A loss built on a tape from parameters bound by name.</summary>
internal delegate DTensor LossFunction(Tape tape, IReadOnlyDictionary<string, DTensor> p);

/// <summary>Named float64 weights (values and shapes) of the reference: the model's and, with LoRA, the adapters'.</summary>
internal sealed class ReferenceWeights
{
    private readonly Dictionary<string, (double[] Value, int[] Shape)> _w = new(StringComparer.Ordinal);

    public IEnumerable<string> Names => _w.Keys;

    public double[] this[string name] => _w[name].Value;

    /// <summary>Every tensor of a Hone model, widened to float64.</summary>
    public static ReferenceWeights Of(LlamaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var w = new ReferenceWeights();
        foreach (var (name, t) in model.Weights.Arena.Tensors)
        {
            w.Set(name, t.Span, [.. t.Shape]);
        }

        return w;
    }

    /// <summary>Adds or replaces one tensor (copied, widened to float64).</summary>
    public ReferenceWeights Set(string name, ReadOnlySpan<float> value, int[] shape)
    {
        var v = new double[value.Length];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = value[i];
        }

        _w[name] = (v, shape);
        return this;
    }

    /// <summary>A copy whose arrays are not shared with this one.</summary>
    public ReferenceWeights Clone()
    {
        var w = new ReferenceWeights();
        foreach (var (name, (value, shape)) in _w)
        {
            w._w[name] = ((double[])value.Clone(), shape);
        }

        return w;
    }

    /// <summary>
    /// Tensors for one evaluation: those named in <paramref name="trained"/> are parameters (they get gradients), the
    /// rest constants. The value arrays are shared, so a change to a weight shows in the next evaluation.
    /// </summary>
    public IReadOnlyDictionary<string, DTensor> Bind(IReadOnlySet<string> trained)
    {
        ArgumentNullException.ThrowIfNull(trained);
        var missing = trained.Where(n => !_w.ContainsKey(n)).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"No reference weight named {string.Join(", ", missing)}.", nameof(trained));
        }

        return _w.ToDictionary(kv => kv.Key, kv => new DTensor(kv.Value.Value, kv.Value.Shape, trained.Contains(kv.Key)), StringComparer.Ordinal);
    }
}
