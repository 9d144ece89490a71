namespace Hone.Numerics;

/// <summary>The naive twins of <see cref="MatMulBF16"/>: plain triple loops over the widened bf16 weights, float
/// accumulation in index order.</summary>
public static class MatMulBF16Naive
{
    /// <summary>y = x·Wᵀ (+ bias). Shapes: x [m, k], w [n, k] bf16 bits, bias [n] or empty, y [m, n].</summary>
    public static void XWt(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n)
    {
        MatMulBF16.Validate(x, w, bias, y, m, k, n);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += x[(i * k) + p] * Value(w[(j * k) + p]);
                }

                y[(i * n) + j] = bias.IsEmpty ? sum : sum + bias[j];
            }
        }
    }

    /// <summary>y (+)= x·W (+ bias), onto y when <paramref name="add"/>. Shapes: x [m, k], w [k, n] bf16 bits, bias [n] or empty, y [m, n].</summary>
    public static void XW(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n, bool add = false)
    {
        MatMulBF16.Validate(x, w, bias, y, m, k, n);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += x[(i * k) + p] * Value(w[(p * n) + j]);
                }

                sum = bias.IsEmpty ? sum : sum + bias[j];
                y[(i * n) + j] = add ? y[(i * n) + j] + sum : sum;
            }
        }
    }

    private static float Value(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);
}
