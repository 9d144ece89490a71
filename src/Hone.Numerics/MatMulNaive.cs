namespace Hone.Numerics;

/// <summary>The naive twins of <see cref="MatMul"/>: plain triple loops, float accumulation in index order.</summary>
public static class MatMulNaive
{
    /// <summary>y = x·Wᵀ (+ bias). Shapes: x [m, k], w [n, k], bias [n] or empty, y [m, n].</summary>
    public static void XWt(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n)
    {
        MatMul.Validate(x, w, bias, y, m, k, n);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += x[(i * k) + p] * w[(j * k) + p];
                }

                y[(i * n) + j] = bias.IsEmpty ? sum : sum + bias[j];
            }
        }
    }

    /// <summary>y = x·W (+ bias). Shapes: x [m, k], w [k, n], bias [n] or empty, y [m, n].</summary>
    public static void XW(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n)
    {
        MatMul.Validate(x, w, bias, y, m, k, n);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += x[(i * k) + p] * w[(p * n) + j];
                }

                y[(i * n) + j] = bias.IsEmpty ? sum : sum + bias[j];
            }
        }
    }

    /// <summary>y += x·Wᵀ (+ bias). Shapes: x [m, k], w [n, k], bias [n] or empty, y [m, n].</summary>
    public static void XWtAdd(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n)
    {
        MatMul.Validate(x, w, bias, y, m, k, n);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += x[(i * k) + p] * w[(j * k) + p];
                }

                y[(i * n) + j] += bias.IsEmpty ? sum : sum + bias[j];
            }
        }
    }

    /// <summary>y += x·W (+ bias). Shapes: x [m, k], w [k, n], bias [n] or empty, y [m, n].</summary>
    public static void XWAdd(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n)
    {
        MatMul.Validate(x, w, bias, y, m, k, n);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += x[(i * k) + p] * w[(p * n) + j];
                }

                y[(i * n) + j] += bias.IsEmpty ? sum : sum + bias[j];
            }
        }
    }

    /// <summary>dst = srcᵀ, element by element. Shapes: src [rows, cols], dst [cols, rows].</summary>
    public static void Transpose(ReadOnlySpan<float> src, Span<float> dst, int rows, int cols) => Transpose(src, cols, dst, rows, cols);

    /// <summary>dst = srcᵀ of the [rows, cols] block whose rows start <paramref name="srcStride"/> floats apart.</summary>
    public static void Transpose(ReadOnlySpan<float> src, int srcStride, Span<float> dst, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                dst[(c * rows) + r] = src[(r * srcStride) + c];
            }
        }
    }
}
