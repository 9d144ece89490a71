using System.Numerics.Tensors;

namespace Hone.Models.Llama;

/// <summary>
/// Small element-wise kernels the forward pass needs that Hone.Numerics does not (yet) provide: RMSNorm, RoPE, softmax,
/// SwiGLU. Pure static functions over spans: inputs, then outputs; no allocation.
/// </summary>
internal static class ModelKernels
{
    /// <summary>y = x / sqrt(mean(x²) + eps) ⊙ w, for each of the rows of x [rows, n]. y may alias x.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, float eps, Span<float> y, int rows, int n)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            float ss = TensorPrimitives.SumOfSquares(xr);
            float scale = 1f / MathF.Sqrt((ss / n) + eps);
            TensorPrimitives.Multiply(xr, scale, yr);
            TensorPrimitives.Multiply(yr, w, yr);
        }
    }

    /// <summary>
    /// Rotates the heads of x [rows, heads·headDim] in place; row r sits at position <paramref name="pos0"/> + r.
    /// cos/sin are [maxPositions, headDim/2]. Interleaved pairs (2i, 2i+1) or halves (i, i + headDim/2) by layout.
    /// </summary>
    public static void Rope(Span<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, int rows, int heads, int headDim, int pos0, RopeLayout layout)
    {
        int half = headDim / 2;
        int width = heads * headDim;
        for (int r = 0; r < rows; r++)
        {
            var c = cos.Slice((pos0 + r) * half, half);
            var s = sin.Slice((pos0 + r) * half, half);
            for (int h = 0; h < heads; h++)
            {
                var v = x.Slice((r * width) + (h * headDim), headDim);
                if (layout == RopeLayout.Interleaved)
                {
                    for (int i = 0; i < half; i++)
                    {
                        float a = v[2 * i], b = v[(2 * i) + 1];
                        v[2 * i] = (a * c[i]) - (b * s[i]);
                        v[(2 * i) + 1] = (a * s[i]) + (b * c[i]);
                    }
                }
                else
                {
                    for (int i = 0; i < half; i++)
                    {
                        float a = v[i], b = v[i + half];
                        v[i] = (a * c[i]) - (b * s[i]);
                        v[i + half] = (a * s[i]) + (b * c[i]);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The cos/sin tables [positions, headDim/2]: θ_i = pos / theta^(2i/headDim) in float32 (as llama2.c and
    /// transformers compute them), with Llama-3 frequency scaling when given.
    /// </summary>
    public static void RopeTables(int positions, int headDim, float theta, Llama3RopeScaling? scaling, Span<float> cos, Span<float> sin)
    {
        int half = headDim / 2;
        Span<float> invFreq = half <= 1024 ? stackalloc float[half] : new float[half];
        for (int i = 0; i < half; i++)
        {
            float f = 1f / MathF.Pow(theta, 2 * i / (float)headDim);
            if (scaling is not null)
            {
                f = (float)ScaleLlama3(f, scaling);
            }

            invFreq[i] = f;
        }

        for (int p = 0; p < positions; p++)
        {
            for (int i = 0; i < half; i++)
            {
                float angle = p * invFreq[i];
                cos[(p * half) + i] = MathF.Cos(angle);
                sin[(p * half) + i] = MathF.Sin(angle);
            }
        }
    }

    /// <summary>Llama-3 scaling of one inverse frequency (transformers' _compute_llama3_parameters).</summary>
    public static double ScaleLlama3(double freq, Llama3RopeScaling s)
    {
        double lowWavelen = s.OriginalMaxPositions / s.LowFreqFactor;
        double highWavelen = s.OriginalMaxPositions / s.HighFreqFactor;
        double wavelen = 2 * Math.PI / freq;
        if (wavelen < highWavelen)
        {
            return freq;
        }

        if (wavelen > lowWavelen)
        {
            return freq / s.Factor;
        }

        double smooth = ((s.OriginalMaxPositions / wavelen) - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
        return ((1 - smooth) * freq / s.Factor) + (smooth * freq);
    }

    /// <summary>In-place softmax of x (max-subtracted).</summary>
    public static void Softmax(Span<float> x)
    {
        float max = TensorPrimitives.Max(x);
        float sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float e = MathF.Exp(x[i] - max);
            x[i] = e;
            sum += e;
        }

        TensorPrimitives.Multiply(x, 1f / sum, x);
    }

    /// <summary>gate ← silu(gate) ⊙ up (SwiGLU), element-wise over equal-length spans.</summary>
    public static void SwiGlu(Span<float> gate, ReadOnlySpan<float> up)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }
}
