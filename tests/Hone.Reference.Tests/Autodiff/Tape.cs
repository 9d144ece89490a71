namespace Hone.Reference.Tests.Autodiff;

/// <summary>
/// A float64 tensor of the reference autodiff: a row-major value array, its shape and, when it depends on a
/// parameter, a gradient array of the same length that the backward pass fills.
/// </summary>
internal sealed class DTensor
{
    public DTensor(double[] value, int[] shape, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(shape);
        long n = 1;
        foreach (int d in shape)
        {
            n *= d;
        }

        if (n != value.Length)
        {
            throw new ArgumentException($"A tensor of shape [{string.Join(", ", shape)}] holds {n} values, not {value.Length}.", nameof(value));
        }

        Value = value;
        Shape = shape;
        RequiresGrad = requiresGrad;
        Grad = requiresGrad ? new double[value.Length] : [];
    }

    public double[] Value { get; }

    public int[] Shape { get; }

    /// <summary>Whether a parameter reaches this tensor (only then is a gradient kept and propagated).</summary>
    public bool RequiresGrad { get; }

    /// <summary>dLoss/dValue after <see cref="Tape.Backward"/> (empty when <see cref="RequiresGrad"/> is false).</summary>
    public double[] Grad { get; }

    public int Length => Value.Length;

    /// <summary>Size of the last dimension.</summary>
    public int Cols => Shape[^1];

    /// <summary>Product of all dimensions but the last.</summary>
    public int Rows => Value.Length / Shape[^1];

    public static DTensor Constant(double[] value, params int[] shape) => new(value, shape);

    public static DTensor Parameter(double[] value, params int[] shape) => new(value, shape, requiresGrad: true);

    public static DTensor Scalar(double value) => new([value], [1]);
}

/// <summary>
/// Reverse-mode automatic differentiation by a tape: every operation computes its value at once and, when an input
/// needs a gradient, records a closure that adds the input gradients given the output gradient (each written from the
/// operation's definition). <see cref="Backward"/> seeds d(loss)/d(loss) = 1 and replays the closures newest first, so
/// each runs after every use of its output has contributed. The operations are in the partial files beside this one;
/// all loops are naive, for clarity.
/// </summary>
internal sealed partial class Tape
{
    private readonly List<Action> _backward = [];

    /// <summary>Operations recorded (for tests of the tape itself).</summary>
    public int Recorded => _backward.Count;

    /// <summary>Fills the gradients of every tensor that depends on a parameter with d(<paramref name="loss"/>)/d(·).</summary>
    public void Backward(DTensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (loss.Length != 1 || !loss.RequiresGrad)
        {
            throw new ArgumentException("Backward starts from a scalar that depends on a parameter.", nameof(loss));
        }

        loss.Grad[0] = 1;
        for (int i = _backward.Count - 1; i >= 0; i--)
        {
            _backward[i]();
        }
    }

    /// <summary>A new output of <paramref name="shape"/> that needs a gradient when any input does.</summary>
    private static DTensor Output(int[] shape, params DTensor[] inputs)
    {
        long n = 1;
        foreach (int d in shape)
        {
            n *= d;
        }

        return new DTensor(new double[n], shape, inputs.Any(t => t.RequiresGrad));
    }

    /// <summary>Records <paramref name="backward"/> when the output carries a gradient.</summary>
    private void Record(DTensor output, Action backward)
    {
        if (output.RequiresGrad)
        {
            _backward.Add(backward);
        }
    }

    private static void SameShape(DTensor a, DTensor b, string op)
    {
        if (!a.Shape.SequenceEqual(b.Shape))
        {
            throw new ArgumentException($"{op}: shapes [{string.Join(", ", a.Shape)}] and [{string.Join(", ", b.Shape)}] differ.");
        }
    }
}
