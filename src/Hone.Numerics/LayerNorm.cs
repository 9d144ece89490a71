using System.Numerics.Tensors;

namespace Hone.Numerics;

/// <summary>LayerNorm (GPT-2): y = (x − mean) / sqrt(var + eps) · weight + bias, row by row; its backward beside it.</summary>
public static class LayerNorm
{
    /// <summary>Shapes: x [rows, dim], weight and bias [dim], y [rows, dim] (y may be x).</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, int rows, int dim, float eps)
    {
        Check(x, weight, bias, y, rows, dim);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * dim, dim);
            Span<float> yr = y.Slice(r * dim, dim);
            float mean = TensorPrimitives.Sum(xr) / dim;
            TensorPrimitives.Subtract(xr, mean, yr);
            float rstd = 1f / MathF.Sqrt((TensorPrimitives.SumOfSquares(yr) / dim) + eps);
            TensorPrimitives.Multiply(yr, rstd, yr);
            TensorPrimitives.MultiplyAdd(yr, weight, bias, yr);
        }
    }

    /// <summary>Naive twin of <see cref="Forward"/>: plain loops.</summary>
    public static void ForwardNaive(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, int rows, int dim, float eps)
    {
        Check(x, weight, bias, y, rows, dim);
        for (int r = 0; r < rows; r++)
        {
            int o = r * dim;
            float mean = 0;
            for (int i = 0; i < dim; i++)
            {
                mean += x[o + i];
            }

            mean /= dim;
            float variance = 0;
            for (int i = 0; i < dim; i++)
            {
                float d = x[o + i] - mean;
                variance += d * d;
            }

            float rstd = 1f / MathF.Sqrt((variance / dim) + eps);
            for (int i = 0; i < dim; i++)
            {
                y[o + i] = ((x[o + i] - mean) * rstd * weight[i]) + bias[i];
            }
        }
    }

    /// <summary>Backward of <see cref="Forward"/>: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·w;
    /// dWeight += Σ dy·x̂, dBias += Σ dy. Shapes: x, dy, dx [rows, dim]; weight, dWeight, dBias, scratch [dim].</summary>
    public static void Backward(
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, Span<float> dBias,
        Span<float> scratch, int rows, int dim, float eps)
    {
        Check(x, weight, weight, dx, rows, dim);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * dim, dim);
            ReadOnlySpan<float> dyr = dy.Slice(r * dim, dim);
            Span<float> dxr = dx.Slice(r * dim, dim);
            Span<float> xhat = scratch[..dim];
            float mean = TensorPrimitives.Sum(xr) / dim;
            TensorPrimitives.Subtract(xr, mean, xhat);
            float rstd = 1f / MathF.Sqrt((TensorPrimitives.SumOfSquares(xhat) / dim) + eps);
            TensorPrimitives.Multiply(xhat, rstd, xhat);
            TensorPrimitives.MultiplyAdd(dyr, xhat, dWeight, dWeight);
            TensorPrimitives.Add(dBias, dyr, dBias);
            TensorPrimitives.Multiply(dyr, weight, dxr);
            float meanG = TensorPrimitives.Sum(dxr) / dim;
            float meanGx = TensorPrimitives.Dot(dxr, xhat) / dim;
            TensorPrimitives.MultiplyAdd(xhat, -meanGx, dxr, dxr);
            TensorPrimitives.Subtract(dxr, meanG, dxr);
            TensorPrimitives.Multiply(dxr, rstd, dxr);
        }
    }

    private static void Check(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<float> y, int rows, int dim)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        ArgumentOutOfRangeException.ThrowIfLessThan(x.Length, rows * dim, nameof(x));
        ArgumentOutOfRangeException.ThrowIfLessThan(y.Length, rows * dim, nameof(y));
        ArgumentOutOfRangeException.ThrowIfLessThan(weight.Length, dim, nameof(weight));
        ArgumentOutOfRangeException.ThrowIfLessThan(bias.Length, dim, nameof(bias));
    }
}
