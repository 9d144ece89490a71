using System.Numerics.Tensors;

namespace Hone.Numerics;

/// <summary>
/// Rotary position embeddings. Frequencies (plain or Llama-3 scaled) go into cos/sin tables once per model; the apply
/// kernels rotate q or k in place for a block of tokens, either as interleaved pairs (x[2i], x[2i+1]) — llama2.c, GGUF
/// — or as halves (x[i], x[i + d/2]) — Hugging Face. Naive twins compute the angles themselves.
/// </summary>
public static class Rope
{
    /// <summary>invFreq[i] = θ^(−2i/headDim) for i &lt; headDim/2. Shape: invFreq [headDim/2].</summary>
    public static void InverseFrequencies(Span<float> invFreq, int headDim, double theta)
    {
        int half = HalfOf(headDim);
        for (int i = 0; i < half; i++)
        {
            invFreq[i] = (float)(1.0 / Math.Pow(theta, 2.0 * i / headDim));
        }
    }

    /// <summary>Llama-3 <c>rope_scaling</c> (rope_type "llama3"): long wavelengths divided by <paramref name="factor"/>,
    /// short ones kept, the band between smoothly interpolated, as Hugging Face's <c>_compute_llama3_parameters</c>.
    /// Shape: invFreq [headDim/2], modified in place.</summary>
    public static void ScaleLlama3(Span<float> invFreq, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions)
    {
        double lowWavelen = originalMaxPositions / lowFreqFactor;
        double highWavelen = originalMaxPositions / highFreqFactor;
        for (int i = 0; i < invFreq.Length; i++)
        {
            double f = invFreq[i];
            double wavelen = 2 * Math.PI / f;
            if (wavelen > lowWavelen)
            {
                f /= factor;
            }
            else if (wavelen >= highWavelen)
            {
                double smooth = ((originalMaxPositions / wavelen) - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                f = ((1 - smooth) * f / factor) + (smooth * f);
            }

            invFreq[i] = (float)f;
        }
    }

    /// <summary>cos/sin tables: angle = position·invFreq[i] (in float32, as the reference implementations).
    /// Shapes: invFreq [half], cos and sin [positions, half].</summary>
    public static void Tables(ReadOnlySpan<float> invFreq, Span<float> cos, Span<float> sin, int positions)
    {
        int half = invFreq.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(cos.Length, positions * half, nameof(cos));
        ArgumentOutOfRangeException.ThrowIfLessThan(sin.Length, positions * half, nameof(sin));
        for (int p = 0; p < positions; p++)
        {
            for (int i = 0; i < half; i++)
            {
                float angle = p * invFreq[i];
                cos[(p * half) + i] = (float)Math.Cos(angle);
                sin[(p * half) + i] = (float)Math.Sin(angle);
            }
        }
    }

    /// <summary>Rotates interleaved pairs in place. Shapes: cos, sin [≥ start + tokens, headDim/2] tables;
    /// x [tokens, heads, headDim]; token t sits at position start + t.</summary>
    public static void ApplyInterleaved(ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, Span<float> x, int tokens, int heads, int headDim, int start)
    {
        int half = Check(cos, sin, x, tokens, heads, headDim, start);
        for (int t = 0; t < tokens; t++)
        {
            ReadOnlySpan<float> c = cos.Slice((start + t) * half, half);
            ReadOnlySpan<float> s = sin.Slice((start + t) * half, half);
            for (int h = 0; h < heads; h++)
            {
                Span<float> v = x.Slice(((t * heads) + h) * headDim, headDim);
                for (int i = 0; i < half; i++)
                {
                    float a = v[2 * i], b = v[(2 * i) + 1];
                    v[2 * i] = (a * c[i]) - (b * s[i]);
                    v[(2 * i) + 1] = (a * s[i]) + (b * c[i]);
                }
            }
        }
    }

    /// <summary>Rotates halves in place (vectorised). Shapes as <see cref="ApplyInterleaved"/>; headDim ≤ 1024.</summary>
    public static void ApplyHalf(ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, Span<float> x, int tokens, int heads, int headDim, int start)
    {
        int half = Check(cos, sin, x, tokens, heads, headDim, start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(headDim, 1024);
        Span<float> t1 = stackalloc float[half];
        Span<float> t2 = stackalloc float[half];
        for (int t = 0; t < tokens; t++)
        {
            ReadOnlySpan<float> c = cos.Slice((start + t) * half, half);
            ReadOnlySpan<float> s = sin.Slice((start + t) * half, half);
            for (int h = 0; h < heads; h++)
            {
                Span<float> a = x.Slice(((t * heads) + h) * headDim, half);
                Span<float> b = x.Slice((((t * heads) + h) * headDim) + half, half);
                TensorPrimitives.Multiply(b, s, t1);   // b·s
                TensorPrimitives.Multiply(a, s, t2);   // a·s
                TensorPrimitives.Multiply(a, c, a);
                TensorPrimitives.Subtract(a, t1, a);   // a·c − b·s
                TensorPrimitives.MultiplyAdd(b, c, t2, b); // b·c + a·s
            }
        }
    }

    /// <summary>Backward of both layouts: the rotation by −angle. Pass the same tables; dx [tokens, heads, headDim]
    /// holds dy on entry and dx on return.</summary>
    public static void BackwardInterleaved(ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, Span<float> dx, int tokens, int heads, int headDim, int start)
    {
        int half = Check(cos, sin, dx, tokens, heads, headDim, start);
        for (int t = 0; t < tokens; t++)
        {
            ReadOnlySpan<float> c = cos.Slice((start + t) * half, half);
            ReadOnlySpan<float> s = sin.Slice((start + t) * half, half);
            for (int h = 0; h < heads; h++)
            {
                Span<float> v = dx.Slice(((t * heads) + h) * headDim, headDim);
                for (int i = 0; i < half; i++)
                {
                    float a = v[2 * i], b = v[(2 * i) + 1];
                    v[2 * i] = (a * c[i]) + (b * s[i]);
                    v[(2 * i) + 1] = (b * c[i]) - (a * s[i]);
                }
            }
        }
    }

    /// <summary>Backward of <see cref="ApplyHalf"/> (rotation by −angle), in place on dx.</summary>
    public static void BackwardHalf(ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, Span<float> dx, int tokens, int heads, int headDim, int start)
    {
        int half = Check(cos, sin, dx, tokens, heads, headDim, start);
        for (int t = 0; t < tokens; t++)
        {
            ReadOnlySpan<float> c = cos.Slice((start + t) * half, half);
            ReadOnlySpan<float> s = sin.Slice((start + t) * half, half);
            for (int h = 0; h < heads; h++)
            {
                Span<float> v = dx.Slice(((t * heads) + h) * headDim, headDim);
                for (int i = 0; i < half; i++)
                {
                    float a = v[i], b = v[i + half];
                    v[i] = (a * c[i]) + (b * s[i]);
                    v[i + half] = (b * c[i]) - (a * s[i]);
                }
            }
        }
    }

    /// <summary>Naive twin of <see cref="ApplyInterleaved"/>: angles from invFreq and the position, in double.</summary>
    public static void ApplyInterleavedNaive(ReadOnlySpan<float> invFreq, Span<float> x, int tokens, int heads, int headDim, int start)
    {
        int half = headDim / 2;
        for (int t = 0; t < tokens; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                int o = ((t * heads) + h) * headDim;
                for (int i = 0; i < half; i++)
                {
                    double angle = (float)((start + t) * invFreq[i]);
                    double a = x[o + (2 * i)], b = x[o + (2 * i) + 1];
                    x[o + (2 * i)] = (float)((a * Math.Cos(angle)) - (b * Math.Sin(angle)));
                    x[o + (2 * i) + 1] = (float)((a * Math.Sin(angle)) + (b * Math.Cos(angle)));
                }
            }
        }
    }

    /// <summary>Naive twin of <see cref="ApplyHalf"/>: angles from invFreq and the position, in double.</summary>
    public static void ApplyHalfNaive(ReadOnlySpan<float> invFreq, Span<float> x, int tokens, int heads, int headDim, int start)
    {
        int half = headDim / 2;
        for (int t = 0; t < tokens; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                int o = ((t * heads) + h) * headDim;
                for (int i = 0; i < half; i++)
                {
                    double angle = (float)((start + t) * invFreq[i]);
                    double a = x[o + i], b = x[o + i + half];
                    x[o + i] = (float)((a * Math.Cos(angle)) - (b * Math.Sin(angle)));
                    x[o + i + half] = (float)((b * Math.Cos(angle)) + (a * Math.Sin(angle)));
                }
            }
        }
    }

    private static int HalfOf(int headDim)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        if (headDim % 2 != 0)
        {
            throw new ArgumentException($"RoPE needs an even head dimension, not {headDim}.", nameof(headDim));
        }

        return headDim / 2;
    }

    private static int Check(ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, ReadOnlySpan<float> x, int tokens, int heads, int headDim, int start)
    {
        int half = HalfOf(headDim);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(x.Length, tokens * heads * headDim, nameof(x));
        ArgumentOutOfRangeException.ThrowIfLessThan(cos.Length, (start + tokens) * half, nameof(cos));
        ArgumentOutOfRangeException.ThrowIfLessThan(sin.Length, (start + tokens) * half, nameof(sin));
        return half;
    }
}
