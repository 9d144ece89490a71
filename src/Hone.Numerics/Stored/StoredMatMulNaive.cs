namespace Hone.Numerics;

/// <summary>The naive twin of <see cref="StoredMatMul"/>: every weight decoded by <see cref="StoredRows.Value"/>, plain
/// loops, float accumulation in index order.</summary>
public static class StoredMatMulNaive
{
    /// <summary>y = x·Wᵀ (+ bias). Shapes: x [m, k], w [n, RowBytes(type, k)] bytes, bias [n] or empty, y [m, n].</summary>
    public static void XWt(ReadOnlySpan<float> x, ReadOnlySpan<byte> w, StoredType type, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n)
    {
        StoredMatMul.Validate(x, w, type, bias, y, m, k, n);
        int rowBytes = StoredRows.RowBytes(type, k);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                var row = w.Slice(j * rowBytes, rowBytes);
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += x[(i * k) + p] * StoredRows.Value(type, row, p);
                }

                y[(i * n) + j] = bias.IsEmpty ? sum : sum + bias[j];
            }
        }
    }
}
