namespace Hone.Reference.Tests.Autodiff;

/// <summary>Element-wise operations, reductions to a scalar and reshaping.</summary>
internal sealed partial class Tape
{
    /// <summary>y = a + b (same shape). dy/da = dy/db = 1.</summary>
    public DTensor Add(DTensor a, DTensor b)
    {
        SameShape(a, b, "Add");
        var y = Output(a.Shape, a, b);
        for (int i = 0; i < y.Length; i++)
        {
            y.Value[i] = a.Value[i] + b.Value[i];
        }

        Record(y, () =>
        {
            for (int i = 0; i < y.Length; i++)
            {
                if (a.RequiresGrad)
                {
                    a.Grad[i] += y.Grad[i];
                }

                if (b.RequiresGrad)
                {
                    b.Grad[i] += y.Grad[i];
                }
            }
        });
        return y;
    }

    /// <summary>y = a − b (same shape). dy/da = 1, dy/db = −1.</summary>
    public DTensor Sub(DTensor a, DTensor b) => Add(a, Scale(b, -1));

    /// <summary>y = a ⊙ b (same shape). dy/da = b, dy/db = a.</summary>
    public DTensor Mul(DTensor a, DTensor b)
    {
        SameShape(a, b, "Mul");
        var y = Output(a.Shape, a, b);
        for (int i = 0; i < y.Length; i++)
        {
            y.Value[i] = a.Value[i] * b.Value[i];
        }

        Record(y, () =>
        {
            for (int i = 0; i < y.Length; i++)
            {
                if (a.RequiresGrad)
                {
                    a.Grad[i] += y.Grad[i] * b.Value[i];
                }

                if (b.RequiresGrad)
                {
                    b.Grad[i] += y.Grad[i] * a.Value[i];
                }
            }
        });
        return y;
    }

    /// <summary>y = s·a for a constant s. dy/da = s.</summary>
    public DTensor Scale(DTensor a, double s)
    {
        var y = Output(a.Shape, a);
        for (int i = 0; i < y.Length; i++)
        {
            y.Value[i] = s * a.Value[i];
        }

        Record(y, () =>
        {
            for (int i = 0; i < y.Length; i++)
            {
                a.Grad[i] += s * y.Grad[i];
            }
        });
        return y;
    }

    /// <summary>SiLU: y = x·σ(x). dy/dx = σ(x)·(1 + x·(1 − σ(x))).</summary>
    public DTensor Silu(DTensor x)
    {
        var y = Output(x.Shape, x);
        for (int i = 0; i < y.Length; i++)
        {
            y.Value[i] = x.Value[i] * Sigmoid(x.Value[i]);
        }

        Record(y, () =>
        {
            for (int i = 0; i < y.Length; i++)
            {
                double v = x.Value[i], s = Sigmoid(v);
                x.Grad[i] += y.Grad[i] * s * (1 + (v * (1 - s)));
            }
        });
        return y;
    }

    /// <summary>Softplus: y = log(1 + eˣ) (so −log σ(z) = softplus(−z)). dy/dx = σ(x).</summary>
    public DTensor Softplus(DTensor x)
    {
        var y = Output(x.Shape, x);
        for (int i = 0; i < y.Length; i++)
        {
            double v = x.Value[i];
            y.Value[i] = Math.Max(v, 0) + Math.Log(1 + Math.Exp(-Math.Abs(v)));
        }

        Record(y, () =>
        {
            for (int i = 0; i < y.Length; i++)
            {
                x.Grad[i] += y.Grad[i] * Sigmoid(x.Value[i]);
            }
        });
        return y;
    }

    /// <summary>y = Σᵢ cᵢ·xᵢ for constant weights c (shape [1]). dy/dxᵢ = cᵢ.</summary>
    public DTensor WeightedSum(DTensor x, double[] c)
    {
        if (c.Length != x.Length)
        {
            throw new ArgumentException($"WeightedSum: {x.Length} values, {c.Length} weights.", nameof(c));
        }

        var y = Output([1], x);
        for (int i = 0; i < x.Length; i++)
        {
            y.Value[0] += c[i] * x.Value[i];
        }

        Record(y, () =>
        {
            for (int i = 0; i < x.Length; i++)
            {
                x.Grad[i] += c[i] * y.Grad[0];
            }
        });
        return y;
    }

    /// <summary>The same values under another shape of the same size. The gradient passes through unchanged.</summary>
    public DTensor Reshape(DTensor x, params int[] shape)
    {
        var y = Output(shape, x);
        if (y.Length != x.Length)
        {
            throw new ArgumentException($"Reshape: [{string.Join(", ", x.Shape)}] has {x.Length} values, [{string.Join(", ", shape)}] {y.Length}.", nameof(shape));
        }

        Array.Copy(x.Value, y.Value, x.Length);
        Record(y, () =>
        {
            for (int i = 0; i < y.Length; i++)
            {
                x.Grad[i] += y.Grad[i];
            }
        });
        return y;
    }

    /// <summary>The logistic function, computed without overflow.</summary>
    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
}
