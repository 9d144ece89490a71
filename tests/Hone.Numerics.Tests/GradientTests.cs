namespace Hone.Numerics.Tests;

/// <summary>Every backward kernel against central finite differences of a double-precision reference forward.</summary>
public class GradientTests
{
    [Theory]
    [InlineData(3, 5, 7, true)]
    [InlineData(6, 17, 9, false)]
    [InlineData(9, 8, 70, true)]
    public void MatMul_backward_both_layouts(int m, int k, int n, bool transposed)
    {
        var rng = new Random(m + k + n);
        float[] x = Rand.Floats(rng, m * k), w = Rand.Floats(rng, n * k), b = Rand.Floats(rng, n), r = Rand.Floats(rng, m * n);
        double[] rd = Grad.D(r);
        double Loss(double[] xx, double[] ww, double[] bb)
        {
            double s = 0;
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double y = bb[j];
                    for (int p = 0; p < k; p++)
                    {
                        y += xx[(i * k) + p] * (transposed ? ww[(j * k) + p] : ww[(p * n) + j]);
                    }

                    s += rd[(i * n) + j] * y;
                }
            }

            return s;
        }

        float[] dx = new float[m * k], dw = new float[n * k], db = new float[n], scratch = new float[Math.Max(m * n, m * k)];
        if (transposed)
        {
            MatMulBackward.XWt(x, w, r, dx, dw, db, scratch, m, k, n);
        }
        else
        {
            MatMulBackward.XW(x, w, r, dx, dw, db, scratch, m, k, n);
        }

        Grad.Check(dx, Grad.Numeric(xx => Loss(xx, Grad.D(w), Grad.D(b)), x), "dx");
        Grad.Check(dw, Grad.Numeric(ww => Loss(Grad.D(x), ww, Grad.D(b)), w), "dw");
        Grad.Check(db, Grad.Numeric(bb => Loss(Grad.D(x), Grad.D(w), bb), b), "dbias");
    }

    [Fact]
    public void RmsNorm_backward()
    {
        const int rows = 3, dim = 11;
        const float eps = 1e-5f;
        var rng = new Random(11);
        float[] x = Rand.Floats(rng, rows * dim, 2f), w = Rand.Floats(rng, dim), r = Rand.Floats(rng, rows * dim);
        double[] rd = Grad.D(r);
        double Loss(double[] xx, double[] ww)
        {
            double s = 0;
            for (int i = 0; i < rows; i++)
            {
                double ss = 0;
                for (int d = 0; d < dim; d++)
                {
                    ss += xx[(i * dim) + d] * xx[(i * dim) + d];
                }

                double scale = 1 / Math.Sqrt((ss / dim) + eps);
                for (int d = 0; d < dim; d++)
                {
                    s += rd[(i * dim) + d] * xx[(i * dim) + d] * scale * ww[d];
                }
            }

            return s;
        }

        float[] dx = new float[x.Length], dw = new float[dim], scratch = new float[dim];
        RmsNorm.Backward(x, w, r, dx, dw, scratch, rows, dim, eps);
        Grad.Check(dx, Grad.Numeric(xx => Loss(xx, Grad.D(w)), x), "dx");
        Grad.Check(dw, Grad.Numeric(ww => Loss(Grad.D(x), ww), w), "dw");
    }

    [Fact]
    public void LayerNorm_backward()
    {
        const int rows = 3, dim = 13;
        const float eps = 1e-5f;
        var rng = new Random(13);
        float[] x = Rand.Floats(rng, rows * dim, 2f), w = Rand.Floats(rng, dim), b = Rand.Floats(rng, dim), r = Rand.Floats(rng, rows * dim);
        double[] rd = Grad.D(r);
        double Loss(double[] xx, double[] ww, double[] bb)
        {
            double s = 0;
            for (int i = 0; i < rows; i++)
            {
                double mean = 0, variance = 0;
                for (int d = 0; d < dim; d++)
                {
                    mean += xx[(i * dim) + d] / dim;
                }

                for (int d = 0; d < dim; d++)
                {
                    variance += (xx[(i * dim) + d] - mean) * (xx[(i * dim) + d] - mean) / dim;
                }

                double rstd = 1 / Math.Sqrt(variance + eps);
                for (int d = 0; d < dim; d++)
                {
                    s += rd[(i * dim) + d] * (((xx[(i * dim) + d] - mean) * rstd * ww[d]) + bb[d]);
                }
            }

            return s;
        }

        float[] dx = new float[x.Length], dw = new float[dim], db = new float[dim], scratch = new float[dim];
        LayerNorm.Backward(x, w, r, dx, dw, db, scratch, rows, dim, eps);
        Grad.Check(dx, Grad.Numeric(xx => Loss(xx, Grad.D(w), Grad.D(b)), x), "dx");
        Grad.Check(dw, Grad.Numeric(ww => Loss(Grad.D(x), ww, Grad.D(b)), w), "dw");
        Grad.Check(db, Grad.Numeric(bb => Loss(Grad.D(x), Grad.D(w), bb), b), "dbias");
    }

    [Fact]
    public void Activation_backwards()
    {
        const int n = 37;
        var rng = new Random(17);
        float[] x = Rand.Floats(rng, n, 4f), up = Rand.Floats(rng, n, 2f), r = Rand.Floats(rng, n);
        double[] rd = Grad.D(r);
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        double Silu(double[] xx) => Grad.Dot(rd, xx.Select(v => v * Sigmoid(v)).ToArray());
        double Gelu(double[] xx) => Grad.Dot(rd, xx.Select(v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + (0.044715 * v * v * v))))).ToArray());
        double SwiGlu(double[] g, double[] u) => Grad.Dot(rd, g.Select((v, i) => v * Sigmoid(v) * u[i]).ToArray());

        float[] dx = new float[n], dUp = new float[n];
        Activations.SiluBackward(x, r, dx);
        Grad.Check(dx, Grad.Numeric(Silu, x), "silu");
        Activations.GeluBackward(x, r, dx);
        Grad.Check(dx, Grad.Numeric(Gelu, x), "gelu");
        Activations.SwiGluBackward(x, up, r, dx, dUp);
        Grad.Check(dx, Grad.Numeric(g => SwiGlu(g, Grad.D(up)), x), "swiglu dgate");
        Grad.Check(dUp, Grad.Numeric(u => SwiGlu(Grad.D(x), u), up), "swiglu dup");
    }

    [Fact]
    public void Softmax_and_cross_entropy_backwards()
    {
        const int n = 29;
        var rng = new Random(19);
        float[] x = Rand.Floats(rng, n, 3f), r = Rand.Floats(rng, n);
        double[] rd = Grad.D(r);
        double SoftmaxLoss(double[] xx)
        {
            double max = xx.Max();
            double[] e = xx.Select(v => Math.Exp(v - max)).ToArray();
            double sum = e.Sum();
            return Grad.Dot(rd, e.Select(v => v / sum).ToArray());
        }

        float[] y = (float[])x.Clone();
        Softmax.InPlace(y);
        float[] dx = new float[n];
        Softmax.Backward(y, r, dx);
        Grad.Check(dx, Grad.Numeric(SoftmaxLoss, x), "softmax");

        const int target = 4;
        const float dLoss = 0.7f;
        double CeLoss(double[] xx)
        {
            double max = xx.Max();
            return dLoss * (max + Math.Log(xx.Sum(v => Math.Exp(v - max))) - xx[target]);
        }

        CrossEntropy.Backward(x, target, dLoss, dx);
        Grad.Check(dx, Grad.Numeric(CeLoss, x), "cross-entropy");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Rope_backward(bool interleaved)
    {
        const int tokens = 3, heads = 2, headDim = 8, start = 2, half = headDim / 2;
        var rng = new Random(23);
        float[] invFreq = new float[half];
        Rope.InverseFrequencies(invFreq, headDim, 10000);
        float[] cos = new float[(start + tokens) * half], sin = new float[cos.Length];
        Rope.Tables(invFreq, cos, sin, start + tokens);
        float[] x = Rand.Floats(rng, tokens * heads * headDim), r = Rand.Floats(rng, x.Length);
        double[] rd = Grad.D(r);
        double Loss(double[] xx)
        {
            double s = 0;
            for (int t = 0; t < tokens; t++)
            {
                for (int h = 0; h < heads; h++)
                {
                    int o = ((t * heads) + h) * headDim;
                    for (int i = 0; i < half; i++)
                    {
                        double c = cos[((start + t) * half) + i], sn = sin[((start + t) * half) + i];
                        int ia = interleaved ? o + (2 * i) : o + i;
                        int ib = interleaved ? ia + 1 : ia + half;
                        s += (rd[ia] * ((xx[ia] * c) - (xx[ib] * sn))) + (rd[ib] * ((xx[ia] * sn) + (xx[ib] * c)));
                    }
                }
            }

            return s;
        }

        float[] dx = (float[])r.Clone();
        if (interleaved)
        {
            Rope.BackwardInterleaved(cos, sin, dx, tokens, heads, headDim, start);
        }
        else
        {
            Rope.BackwardHalf(cos, sin, dx, tokens, heads, headDim, start);
        }

        Grad.Check(dx, Grad.Numeric(Loss, x), interleaved ? "interleaved" : "half");
    }

    [Theory]
    [InlineData(3, 0, 4, 2, 5)]
    [InlineData(2, 3, 2, 2, 4)]
    [InlineData(1, 4, 3, 1, 6)]
    public void Attention_backward(int tokens, int start, int heads, int kvHeads, int headDim)
    {
        int kvLen = start + tokens;
        var rng = new Random(tokens + (10 * start) + heads);
        float[] q = Rand.Floats(rng, tokens * heads * headDim), k = Rand.Floats(rng, kvLen * kvHeads * headDim), v = Rand.Floats(rng, k.Length);
        float[] r = Rand.Floats(rng, q.Length);
        double[] rd = Grad.D(r);
        float scale = 1f / MathF.Sqrt(headDim);
        double Loss(double[] qq, double[] kk, double[] vv)
        {
            double total = 0;
            int group = heads / kvHeads;
            for (int t = 0; t < tokens; t++)
            {
                for (int h = 0; h < heads; h++)
                {
                    int row = (t * heads) + h, kvh = h / group, limit = start + t + 1;
                    var s = new double[limit];
                    for (int j = 0; j < limit; j++)
                    {
                        for (int d = 0; d < headDim; d++)
                        {
                            s[j] += qq[(row * headDim) + d] * kk[(((j * kvHeads) + kvh) * headDim) + d] * scale;
                        }
                    }

                    double max = s.Max(), sum = s.Sum(e => Math.Exp(e - max));
                    for (int d = 0; d < headDim; d++)
                    {
                        double o = 0;
                        for (int j = 0; j < limit; j++)
                        {
                            o += Math.Exp(s[j] - max) / sum * vv[(((j * kvHeads) + kvh) * headDim) + d];
                        }

                        total += rd[(row * headDim) + d] * o;
                    }
                }
            }

            return total;
        }

        float[] probs = new float[tokens * heads * kvLen], output = new float[q.Length];
        Attention.Forward(q, k, v, probs, output, tokens, start, heads, kvHeads, headDim, scale);
        float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length], scratch = new float[kvLen];
        Attention.Backward(q, k, v, probs, r, dq, dk, dv, scratch, tokens, start, heads, kvHeads, headDim, scale);
        Grad.Check(dq, Grad.Numeric(qq => Loss(qq, Grad.D(k), Grad.D(v)), q), "dq");
        Grad.Check(dk, Grad.Numeric(kk => Loss(Grad.D(q), kk, Grad.D(v)), k), "dk");
        Grad.Check(dv, Grad.Numeric(vv => Loss(Grad.D(q), Grad.D(k), vv), v), "dv");
    }

    [Fact]
    public void Attention_backward_is_bit_identical_whatever_the_thread_count()
    {
        const int tokens = 5, start = 3, heads = 6, kvHeads = 3, headDim = 16, kvLen = start + tokens;
        var rng = new Random(99);
        float[] q = Rand.Floats(rng, tokens * heads * headDim), k = Rand.Floats(rng, kvLen * kvHeads * headDim), v = Rand.Floats(rng, k.Length);
        float[] dOut = Rand.Floats(rng, q.Length), probs = new float[tokens * heads * kvLen], output = new float[q.Length];
        Attention.Forward(q, k, v, probs, output, tokens, start, heads, kvHeads, headDim, 0.25f);
        (float[] Dq, float[] Dk, float[] Dv) Run(WorkerPool? pool)
        {
            float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length];
            float[] scratch = new float[(pool?.ThreadCount ?? 1) * kvLen];
            Attention.Backward(q, k, v, probs, dOut, dq, dk, dv, scratch, tokens, start, heads, kvHeads, headDim, 0.25f, pool);
            return (dq, dk, dv);
        }

        var one = Run(null);
        using var pool = new WorkerPool(3);
        var three = Run(pool);
        Assert.Equal(one.Dq, three.Dq);
        Assert.Equal(one.Dk, three.Dk);
        Assert.Equal(one.Dv, three.Dv);
        Assert.Contains(one.Dk, g => g != 0f);
    }
}
