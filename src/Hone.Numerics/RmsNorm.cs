using System.Numerics.Tensors;

namespace Hone.Numerics;

/// <summary>RMSNorm (Llama family): y = x / sqrt(mean(x²) + eps) · weight, row by row; its backward beside it.</summary>
public static class RmsNorm
{
    /// <summary>Shapes: x [rows, dim], weight [dim], y [rows, dim] (y may be x).</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, int rows, int dim, float eps)
    {
        Check(x, weight, y, rows, dim);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * dim, dim);
            Span<float> yr = y.Slice(r * dim, dim);
            float scale = 1f / MathF.Sqrt((TensorPrimitives.SumOfSquares(xr) / dim) + eps);
            TensorPrimitives.Multiply(xr, scale, yr);
            TensorPrimitives.Multiply(yr, weight, yr);
        }
    }

    /// <summary>Naive twin of <see cref="Forward"/>: plain loops.</summary>
    public static void ForwardNaive(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, int rows, int dim, float eps)
    {
        Check(x, weight, y, rows, dim);
        for (int r = 0; r < rows; r++)
        {
            float ss = 0;
            for (int i = 0; i < dim; i++)
            {
                ss += x[(r * dim) + i] * x[(r * dim) + i];
            }

            float scale = 1f / MathF.Sqrt((ss / dim) + eps);
            for (int i = 0; i < dim; i++)
            {
                y[(r * dim) + i] = x[(r * dim) + i] * scale * weight[i];
            }
        }
    }

    /// <summary>Backward of <see cref="Forward"/>: dx = (dy·w − x̂·mean(dy·w·x̂))·rstd; dWeight += Σ_rows dy·x̂.
    /// Shapes: x, dy, dx [rows, dim]; weight, dWeight [dim]; <paramref name="scratch"/> [dim] (dx may be dy).</summary>
    public static void Backward(
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight,
        Span<float> scratch, int rows, int dim, float eps)
    {
        Check(x, weight, dx, rows, dim);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * dim, dim);
            ReadOnlySpan<float> dyr = dy.Slice(r * dim, dim);
            Span<float> dxr = dx.Slice(r * dim, dim);
            Span<float> xhat = scratch[..dim];
            float rstd = 1f / MathF.Sqrt((TensorPrimitives.SumOfSquares(xr) / dim) + eps);
            TensorPrimitives.Multiply(xr, rstd, xhat);
            TensorPrimitives.MultiplyAdd(dyr, xhat, dWeight, dWeight);
            TensorPrimitives.Multiply(dyr, weight, dxr); // dxr = g = dy·w
            float mean = TensorPrimitives.Dot(dxr, xhat) / dim;
            TensorPrimitives.MultiplyAdd(xhat, -mean, dxr, dxr);
            TensorPrimitives.Multiply(dxr, rstd, dxr);
        }
    }

    private static void Check(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> y, int rows, int dim)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        ArgumentOutOfRangeException.ThrowIfLessThan(x.Length, rows * dim, nameof(x));
        ArgumentOutOfRangeException.ThrowIfLessThan(y.Length, rows * dim, nameof(y));
        ArgumentOutOfRangeException.ThrowIfLessThan(weight.Length, dim, nameof(weight));
    }
}
