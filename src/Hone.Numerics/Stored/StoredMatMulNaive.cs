namespace Hone.Numerics;

/// <summary>The naive twins of <see cref="StoredMatMul"/>: every weight decoded by <see cref="StoredRows.Value"/>, plain
/// loops, float accumulation in index order; <see cref="XWtInt8"/> for the decode path of Q8_0 and Q4_0.</summary>
public static class StoredMatMulNaive
{
    /// <summary>y = x·Wᵀ (+ bias). Shapes: x [m, k], w [n, RowBytes(type, k)] bytes, bias [n] or empty, y [m, n].</summary>
    public static void XWt(ReadOnlySpan<float> x, ReadOnlySpan<byte> w, StoredType type, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n)
    {
        StoredMatMul.Validate(x, w, type, bias, y, m, k, n);
        if (StoredInterleaved.Is(type))
        {
            XWt(x, StoredInterleaved.Deinterleave(type, w[..(n * StoredRows.RowBytes(type, k))], k), StoredInterleaved.RowType(type), bias, y, m, k, n);
            return;
        }

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

    /// <summary>
    /// The decode path of Q8_0 and Q4_0 (llama.cpp's q8_0 activations): each row of x quantised per block of 32 by
    /// <see cref="QuantizeBlock"/>, each block's integer dot product with the stored integers (Q4_0: nibble − 8) taken
    /// exactly, then y = Σ_b sum_b·(d_w·d_x) in block order (+ bias). Shapes as <see cref="XWt"/>; type Q8_0 or Q4_0, in
    /// any layout (GGUF, split, or Q4_0x16 and Q8_0x16: their GGUF rows given back by
    /// <see cref="StoredInterleaved.Deinterleave"/>).
    /// </summary>
    public static void XWtInt8(ReadOnlySpan<float> x, ReadOnlySpan<byte> w, StoredType type, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n)
    {
        StoredMatMul.Validate(x, w, type, bias, y, m, k, n);
        if (type == StoredType.BF16)
        {
            throw new ArgumentException("BF16 rows keep float32 activations; use XWt.", nameof(type));
        }

        if (type is StoredType.Q4_K or StoredType.Q4_KSplit or StoredType.Q4_Kx16)
        {
            throw new ArgumentException("Q4_K rows meet q8_K activations; use StoredQ4KNaive.XWtQ8K.", nameof(type));
        }

        if (type is StoredType.Q4_0x16 or StoredType.Q8_0x16)
        {
            XWtInt8(x, StoredInterleaved.Deinterleave(type, w[..(n * StoredRows.RowBytes(type, k))], k), StoredInterleaved.RowType(type), bias, y, m, k, n);
            return;
        }

        int rowBytes = StoredRows.RowBytes(type, k);
        var q = new sbyte[k];
        var d = new float[k / StoredRows.BlockValues];
        for (int i = 0; i < m; i++)
        {
            for (int b = 0; b < d.Length; b++)
            {
                d[b] = QuantizeBlock(x.Slice((i * k) + (b * 32), 32), q.AsSpan(b * 32, 32));
            }

            for (int j = 0; j < n; j++)
            {
                var row = w.Slice(j * rowBytes, rowBytes);
                float sum = 0;
                for (int b = 0; b < d.Length; b++)
                {
                    int dot = 0;
                    for (int p = b * 32; p < (b * 32) + 32; p++)
                    {
                        dot += StoredRows.Quant(type, row, p) * q[p];
                    }

                    sum += dot * (StoredRows.BlockScale(type, row, b) * d[b]);
                }

                y[(i * n) + j] = bias.IsEmpty ? sum : sum + bias[j];
            }
        }
    }

    /// <summary>One block of 32 values to signed bytes: d = max|x| / 127, q = round-to-even(x · (1/d)) (0 when d = 0);
    /// returns d.</summary>
    public static float QuantizeBlock(ReadOnlySpan<float> x, Span<sbyte> q)
    {
        float amax = 0;
        foreach (float v in x)
        {
            amax = MathF.Max(amax, MathF.Abs(v));
        }

        float d = amax / 127f, id = d != 0 ? 1f / d : 0f;
        for (int p = 0; p < x.Length; p++)
        {
            q[p] = (sbyte)(int)MathF.Round(x[p] * id, MidpointRounding.ToEven);
        }

        return d;
    }
}
