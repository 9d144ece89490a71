using System.Buffers.Binary;

namespace Hone.Formats.Gguf;

/// <summary>
/// ggml's Q4_K ("k-quant, 4-bit"): super-blocks of 256 values in 144 bytes. Bytes 0–1: an IEEE half d; 2–3: a half
/// dmin; 4–15: eight 6-bit scales and eight 6-bit mins, one pair per sub-block of 32 values (packed as
/// <see cref="ScaleMin"/> unpacks them); 16–143: 128 bytes of nibbles, each 32 bytes holding two sub-blocks (low
/// nibbles the first 32 values, high nibbles the next 32). Value = d·scale_j·q − dmin·min_j. <see cref="Quantize"/> is
/// ggml's reference quantiser (<c>quantize_row_q4_K_ref</c>, what <c>llama-quantize</c> writes without an importance
/// matrix), so a file Hone writes holds the bytes llama.cpp would write.
/// </summary>
public static class GgufQ4K
{
    /// <summary>Values per super-block.</summary>
    public const int SuperValues = 256;

    /// <summary>Bytes per super-block.</summary>
    public const int SuperBytes = 144;

    /// <summary>The 6-bit scale and min of sub-block <paramref name="j"/> (0..7) from the 12 packed bytes: sub-blocks 0–3
    /// keep theirs in the low 6 bits of bytes j and j+4; 4–7 in the nibbles of byte j+4 with their top 2 bits in the high
    /// bits of bytes j−4 (scale) and j (min).</summary>
    public static (int Scale, int Min) ScaleMin(int j, ReadOnlySpan<byte> scales) => j < 4
        ? (scales[j] & 63, scales[j + 4] & 63)
        : ((scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4), (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));

    /// <summary>Decodes whole super-blocks (src.Length = dst.Length / 256 · 144) as ggml's <c>dequantize_row_q4_K</c>:
    /// per value d·scale (one rounding) times q, minus dmin·min (one rounding each).</summary>
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0, o = 0; o < dst.Length; b += SuperBytes, o += SuperValues)
        {
            var block = src.Slice(b, SuperBytes);
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block), dmin = (float)BinaryPrimitives.ReadHalfLittleEndian(block[2..]);
            var scales = block.Slice(4, 12);
            for (int c = 0; c < 4; c++)
            {
                var (s1, m1) = ScaleMin(2 * c, scales);
                var (s2, m2) = ScaleMin((2 * c) + 1, scales);
                float d1 = d * s1, min1 = dmin * m1, d2 = d * s2, min2 = dmin * m2;
                var q = block.Slice(16 + (32 * c), 32);
                var y = dst.Slice(o + (64 * c), 64);
                for (int l = 0; l < 32; l++)
                {
                    y[l] = (d1 * (q[l] & 0xF)) - min1;
                    y[l + 32] = (d2 * (q[l] >> 4)) - min2;
                }
            }
        }
    }

    /// <summary>ggml's <c>nearest_int</c>: round to nearest, ties to even, through the float adder (|f| ≤ 2²²).</summary>
    internal static int NearestInt(float f) => (BitConverter.SingleToInt32Bits(f + 12582912f) & 0x007FFFFF) - 0x00400000;

    /// <summary>
    /// Encodes values (a whole number of super-blocks) into dst as ggml's <c>quantize_row_q4_K_ref</c>: each sub-block's
    /// scale and min fitted by <see cref="FitScaleMin"/> (weights av + |x|), both quantised to 6 bits against the largest
    /// (d = max scale / 63, dmin = max min / 63, as halves), then every value re-quantised against its decoded scale and
    /// min; a sub-block whose decoded scale is 0 keeps the levels of its fit.
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> values, Span<byte> dst)
    {
        if (values.Length % SuperValues != 0) throw new ArgumentException($"Q4_K needs a multiple of {SuperValues} values; got {values.Length}", nameof(values));
        if (dst.Length != values.Length / SuperValues * SuperBytes) throw new ArgumentException($"{values.Length} values need {values.Length / SuperValues * SuperBytes} Q4_K bytes; got {dst.Length}", nameof(dst));
        Span<byte> levels = stackalloc byte[SuperValues];
        Span<byte> aux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[8];
        Span<float> subScales = stackalloc float[8];
        for (int o = 0, b = 0; o < values.Length; o += SuperValues, b += SuperBytes)
        {
            var x = values.Slice(o, SuperValues);
            var block = dst.Slice(b, SuperBytes);
            block.Clear();
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; j++)
            {
                var xs = x.Slice(32 * j, 32);
                float sumX2 = 0;
                for (int l = 0; l < 32; l++) sumX2 += xs[l] * xs[l];
                float av = MathF.Sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) weights[l] = av + MathF.Abs(xs[l]);
                subScales[j] = FitScaleMin(xs, weights, levels.Slice(32 * j, 32), out mins[j], aux);
                if (subScales[j] > maxScale) maxScale = subScales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }

            float inverseScale = maxScale > 0 ? 63f / maxScale : 0f, inverseMin = maxMin > 0 ? 63f / maxMin : 0f;
            var scales = block.Slice(4, 12);
            for (int j = 0; j < 8; j++)
            {
                int ls = Math.Min(63, (int)(byte)NearestInt(inverseScale * subScales[j])), lm = Math.Min(63, (int)(byte)NearestInt(inverseMin * mins[j]));
                if (j < 4)
                {
                    scales[j] = (byte)ls;
                    scales[j + 4] = (byte)lm;
                }
                else
                {
                    scales[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
                    scales[j - 4] |= (byte)((ls >> 4) << 6);
                    scales[j] |= (byte)((lm >> 4) << 6);
                }
            }

            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)(maxScale / 63f));
            BinaryPrimitives.WriteHalfLittleEndian(block[2..], (Half)(maxMin / 63f));
            float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block), dmin = (float)BinaryPrimitives.ReadHalfLittleEndian(block[2..]);
            for (int j = 0; j < 8; j++)
            {
                var (sc, m) = ScaleMin(j, scales);
                float dj = d * sc;
                if (dj == 0) continue;
                float mj = dmin * m;
                for (int l = 0; l < 32; l++) levels[(32 * j) + l] = (byte)Math.Clamp(NearestInt((x[(32 * j) + l] + mj) / dj), 0, 15);
            }

            for (int c = 0; c < 4; c++)
            {
                for (int l = 0; l < 32; l++) block[16 + (32 * c) + l] = (byte)(levels[(64 * c) + l] | (levels[(64 * c) + l + 32] << 4));
            }
        }
    }

    /// <summary>
    /// ggml's <c>make_qkx2_quants</c> for 32 values, levels 0..15, search from nmax − 1 in 20 steps of 0.1, weighted
    /// squared error: levels L (into <paramref name="levels"/>) and scale s, min −<paramref name="min"/> (min ≥ 0 returned)
    /// minimising Σ w·(s·L − min − x)², with the min never above 0; returns s.
    /// </summary>
    private static float FitScaleMin(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<byte> levels, out float min, Span<byte> aux)
    {
        const int nmax = 15, steps = 20;
        const float rmin = -1f, rdelta = 0.1f;
        int n = x.Length;
        float lo = x[0], hi = x[0], sumW = w[0], sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            if (x[i] < lo) lo = x[i];
            if (x[i] > hi) hi = x[i];
            sumW += w[i];
            sumX += w[i] * x[i];
        }

        if (lo > 0) lo = 0;
        if (hi == lo)
        {
            levels.Clear();
            min = -lo;
            return 0f;
        }

        float iscale = nmax / (hi - lo), scale = 1 / iscale, bestError = 0;
        for (int i = 0; i < n; i++)
        {
            int l = Math.Clamp(NearestInt(iscale * (x[i] - lo)), 0, nmax);
            levels[i] = (byte)l;
            float diff = (scale * l) + lo - x[i];
            bestError += w[i] * (diff * diff);
        }

        for (int s = 0; s <= steps; s++)
        {
            iscale = (rmin + (rdelta * s) + nmax) / (hi - lo);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++)
            {
                int l = Math.Clamp(NearestInt(iscale * (x[i] - lo)), 0, nmax);
                aux[i] = (byte)l;
                sumL += w[i] * l;
                sumL2 += w[i] * l * l;
                sumXL += w[i] * l * x[i];
            }

            float det = (sumW * sumL2) - (sumL * sumL);
            if (det > 0)
            {
                float thisScale = ((sumW * sumXL) - (sumX * sumL)) / det, thisMin = ((sumL2 * sumX) - (sumL * sumXL)) / det;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }

                float error = 0;
                for (int i = 0; i < n; i++)
                {
                    float diff = (thisScale * aux[i]) + thisMin - x[i];
                    error += w[i] * (diff * diff);
                }

                if (error < bestError)
                {
                    aux[..n].CopyTo(levels);
                    bestError = error;
                    scale = thisScale;
                    lo = thisMin;
                }
            }
        }

        min = -lo;
        return scale;
    }
}
