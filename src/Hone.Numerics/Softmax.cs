using System.Numerics.Tensors;

namespace Hone.Numerics;

/// <summary>Numerically stable softmax (the maximum is subtracted first), in place; backward beside it.</summary>
public static class Softmax
{
    /// <summary>x ← exp(x − max x) / Σ exp(x − max x). Shape: x [n], n ≥ 1.</summary>
    public static void InPlace(Span<float> x)
    {
        if (x.IsEmpty)
        {
            return;
        }

        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        float sum = TensorPrimitives.Sum(x);
        TensorPrimitives.Multiply(x, 1f / sum, x);
    }

    /// <summary>Naive twin of <see cref="InPlace"/>.</summary>
    public static void InPlaceNaive(Span<float> x)
    {
        float max = float.NegativeInfinity;
        foreach (float v in x)
        {
            max = Math.Max(max, v);
        }

        float sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }

        for (int i = 0; i < x.Length; i++)
        {
            x[i] /= sum;
        }
    }

    /// <summary>dx = y·(dy − Σ dy·y), y the softmax output. Shapes: y, dy, dx [n] (dx may be dy).</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        float dot = TensorPrimitives.Dot(dy, y);
        TensorPrimitives.Subtract(dy, dot, dx);
        TensorPrimitives.Multiply(dx, y, dx);
    }
}
