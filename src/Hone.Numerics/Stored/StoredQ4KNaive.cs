namespace Hone.Numerics;

/// <summary>The naive twin of the Q4_K decode path of <see cref="StoredMatMul"/> (llama.cpp's q4_K × q8_K dot product),
/// from the packed bytes by plain loops: no pointers, no vectors.</summary>
public static class StoredQ4KNaive
{
    /// <summary>
    /// y = x·Wᵀ (+ bias) with each row of x quantised to q8_K by <see cref="QuantizeSuper"/>; per super-block b of a
    /// weight row the integers S = Σ_j scale_j·Σ_l q4·q8 and M = Σ_j min_j·Σ_l q8 are exact, and
    /// y = Σ_b (d_w·d_x)·S − (dmin_w·d_x)·M in super-block order (+ bias). Shapes: x [m, k], w [n, RowBytes(Q4_K, k)] bytes,
    /// bias [n] or empty, y [m, n].
    /// </summary>
    public static void XWtQ8K(ReadOnlySpan<float> x, ReadOnlySpan<byte> w, ReadOnlySpan<float> bias, Span<float> y, int m, int k, int n)
    {
        StoredMatMul.Validate(x, w, StoredType.Q4_K, bias, y, m, k, n);
        int rowBytes = StoredRows.RowBytes(StoredType.Q4_K, k), supers = k / StoredQ4K.SuperValues;
        var q = new sbyte[k];
        var d = new float[supers];
        for (int i = 0; i < m; i++)
        {
            for (int b = 0; b < supers; b++)
            {
                d[b] = QuantizeSuper(x.Slice((i * k) + (b * 256), 256), q.AsSpan(b * 256, 256));
            }

            for (int j = 0; j < n; j++)
            {
                var row = w.Slice(j * rowBytes, rowBytes);
                float sum = 0;
                for (int b = 0; b < supers; b++)
                {
                    var block = row.Slice(b * StoredQ4K.SuperBytes, StoredQ4K.SuperBytes);
                    int s = 0, mins = 0;
                    for (int sub = 0; sub < 8; sub++)
                    {
                        var (scale, min) = ScaleMin(sub, block.Slice(4, 12));
                        int dot = 0, qsum = 0;
                        for (int l = 0; l < 32; l++)
                        {
                            int nibble = block[16 + (32 * (sub / 2)) + l];
                            nibble = sub % 2 == 0 ? nibble & 0x0F : nibble >> 4;
                            int qx = q[(b * 256) + (32 * sub) + l];
                            dot += nibble * qx;
                            qsum += qx;
                        }

                        s += scale * dot;
                        mins += min * qsum;
                    }

                    float dw = StoredRows.HalfToSingle((ushort)(block[0] | (block[1] << 8)));
                    float dmin = StoredRows.HalfToSingle((ushort)(block[2] | (block[3] << 8)));
                    sum = MathF.FusedMultiplyAdd(dw * d[b], s, sum);
                    sum = MathF.FusedMultiplyAdd(-dmin * d[b], mins, sum);
                }

                y[(i * n) + j] = bias.IsEmpty ? sum : sum + bias[j];
            }
        }
    }

    /// <summary>llama.cpp's q8_K of 256 values (<c>quantize_row_q8_K_ref</c>): max the value of largest magnitude;
    /// q = min(127, round-to-even(x·(−127/max))); returns d = 1/(−127/max), or 0 (and zeros) when every value is 0.</summary>
    public static float QuantizeSuper(ReadOnlySpan<float> x, Span<sbyte> q)
    {
        float max = 0, amax = 0;
        foreach (float v in x)
        {
            if (MathF.Abs(v) > amax)
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }

        if (amax == 0)
        {
            q[..x.Length].Clear();
            return 0;
        }

        float iscale = -127f / max;
        for (int p = 0; p < x.Length; p++)
        {
            q[p] = (sbyte)Math.Min(127, (int)MathF.Round(iscale * x[p], MidpointRounding.ToEven));
        }

        return 1 / iscale;
    }

    /// <summary>The 6-bit scale and min of sub-block <paramref name="j"/> from a super-block's 12 packed bytes.</summary>
    public static (int Scale, int Min) ScaleMin(int j, ReadOnlySpan<byte> s) => j < 4
        ? (s[j] & 63, s[j + 4] & 63)
        : ((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4));
}
