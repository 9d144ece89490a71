using Hone.Models.Llama;
using Hone.Models.Train;

namespace Hone.Models.Tests.Train;

/// <summary>
/// A plain double-precision Llama-family forward written from the definitions (no shared kernels), the oracle the
/// trainer's gradients are checked against by central finite differences. Parameters are looked up by HF/PEFT name.
/// </summary>
internal sealed class LlamaReference(LlamaConfig c, LoraOptions? lora = null, long dropoutStep = 0)
{
    private static readonly string[] Modules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>Σ coef[i]·log p(target_i) over positions with a target.</summary>
    public double Loss(IReadOnlyDictionary<string, double[]> p, TokenBatch b, ReadOnlySpan<float> coef)
    {
        var lp = LogProbs(p, b);
        double sum = 0;
        for (int i = 0; i < lp.Length; i++)
        {
            if (b.Targets[i] >= 0)
            {
                sum += coef[i] * lp[i];
            }
        }

        return sum;
    }

    /// <summary>The input embedding: a trained copy (PEFT's modules_to_save) when the parameters hold one, else the base's.</summary>
    private double[] Embedding(IReadOnlyDictionary<string, double[]> p) =>
        p.TryGetValue(LlamaTrainer.SavedName("embed_tokens"), out var e) ? e : p["model.embed_tokens.weight"];

    /// <summary>The output head: tied to the (possibly trained) embedding, else a trained lm_head copy or the base's.</summary>
    private double[] Head(IReadOnlyDictionary<string, double[]> p) =>
        c.TiedEmbeddings ? Embedding(p) : p.TryGetValue(LlamaTrainer.SavedName("lm_head"), out var h) ? h : p["lm_head.weight"];

    /// <summary>log p(target) per position (0 where there is no target).</summary>
    public double[] LogProbs(IReadOnlyDictionary<string, double[]> p, TokenBatch b)
    {
        int T = b.SequenceLength, n = b.Rows * T, dim = c.Dim, hd = c.HeadDim;
        var result = new double[n];
        var x = new double[n][];
        for (int i = 0; i < n; i++)
        {
            x[i] = Embedding(p).AsSpan(b.Tokens[i] * dim, dim).ToArray();
        }

        for (int l = 0; l < c.Layers; l++)
        {
            string L(string s) => $"model.layers.{l}.{s}";
            var xn = x.Select(v => RmsNorm(v, p[L("input_layernorm.weight")])).ToArray();
            var q = Linear(p, l, "q_proj", xn, c.QDim, dim, c.QkvBias);
            var k = Linear(p, l, "k_proj", xn, c.KvDim, dim, c.QkvBias);
            var v = Linear(p, l, "v_proj", xn, c.KvDim, dim, c.QkvBias);
            for (int i = 0; i < n; i++)
            {
                if (c.QkNorm)
                {
                    HeadNorm(q[i], c.Heads, p[L("self_attn.q_norm.weight")]);
                    HeadNorm(k[i], c.KvHeads, p[L("self_attn.k_norm.weight")]);
                }

                Rope(q[i], c.Heads, b.Positions[i]);
                Rope(k[i], c.KvHeads, b.Positions[i]);
            }

            var att = new double[n][];
            for (int r = 0; r < b.Rows; r++)
            {
                for (int t = 0; t < T; t++)
                {
                    int i = (r * T) + t;
                    att[i] = new double[c.QDim];
                    int first = FirstVisible(b, r, t);
                    for (int h = 0; h < c.Heads; h++)
                    {
                        int g = h / (c.Heads / c.KvHeads);
                        var s = new double[t + 1];
                        double max = double.NegativeInfinity;
                        for (int j = first; j <= t; j++)
                        {
                            double dot = 0;
                            for (int d = 0; d < hd; d++)
                            {
                                dot += q[i][(h * hd) + d] * k[(r * T) + j][(g * hd) + d];
                            }

                            s[j] = dot / Math.Sqrt(hd);
                            max = Math.Max(max, s[j]);
                        }

                        double z = 0;
                        for (int j = first; j <= t; j++)
                        {
                            s[j] = Math.Exp(s[j] - max);
                            z += s[j];
                        }

                        for (int j = first; j <= t; j++)
                        {
                            for (int d = 0; d < hd; d++)
                            {
                                att[i][(h * hd) + d] += s[j] / z * v[(r * T) + j][(g * hd) + d];
                            }
                        }
                    }
                }
            }

            var o = Linear(p, l, "o_proj", att, dim, c.QDim, false);
            for (int i = 0; i < n; i++)
            {
                for (int d = 0; d < dim; d++)
                {
                    x[i][d] += o[i][d];
                }
            }

            xn = x.Select(v => RmsNorm(v, p[L("post_attention_layernorm.weight")])).ToArray();
            var gate = Linear(p, l, "gate_proj", xn, c.HiddenDim, dim, false);
            var up = Linear(p, l, "up_proj", xn, c.HiddenDim, dim, false);
            var act = new double[n][];
            for (int i = 0; i < n; i++)
            {
                act[i] = new double[c.HiddenDim];
                for (int j = 0; j < c.HiddenDim; j++)
                {
                    double gv = gate[i][j];
                    act[i][j] = gv / (1 + Math.Exp(-gv)) * up[i][j];
                }
            }

            var down = Linear(p, l, "down_proj", act, dim, c.HiddenDim, false);
            for (int i = 0; i < n; i++)
            {
                for (int d = 0; d < dim; d++)
                {
                    x[i][d] += down[i][d];
                }
            }
        }

        var wc = Head(p);
        for (int i = 0; i < n; i++)
        {
            int target = b.Targets[i];
            if (target < 0)
            {
                continue;
            }

            var xf = RmsNorm(x[i], p["model.norm.weight"]);
            var logits = new double[c.VocabSize];
            for (int v = 0; v < c.VocabSize; v++)
            {
                double s = 0;
                for (int d = 0; d < dim; d++)
                {
                    s += xf[d] * wc[(v * dim) + d];
                }

                logits[v] = s;
            }

            double max = logits.Max();
            double lse = max + Math.Log(logits.Sum(z => Math.Exp(z - max)));
            result[i] = logits[target] - lse;
        }

        return result;
    }

    private int FirstVisible(TokenBatch b, int r, int t)
    {
        int T = b.SequenceLength;
        int seg = b.SegmentIds[(r * T) + t];
        int first = t;
        if (seg != -1)
        {
            while (first > 0 && b.SegmentIds[(r * T) + first - 1] == seg)
            {
                first--;
            }
        }

        return c.SlidingWindow is { } w ? Math.Max(first, t - w + 1) : first;
    }

    private double[][] Linear(IReadOnlyDictionary<string, double[]> p, int layer, string module, double[][] x, int outputs, int inputs, bool bias)
    {
        string part = module is "gate_proj" or "up_proj" or "down_proj" ? "mlp" : "self_attn";
        var w = p[$"model.layers.{layer}.{part}.{module}.weight"];
        var bv = bias ? p[$"model.layers.{layer}.{part}.{module}.bias"] : null;
        string aName = LlamaTrainer.LoraName(layer, module, "A");
        bool adapted = lora is not null && p.ContainsKey(aName);
        var y = new double[x.Length][];
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = new double[outputs];
            for (int o = 0; o < outputs; o++)
            {
                double s = bv?[o] ?? 0;
                for (int j = 0; j < inputs; j++)
                {
                    s += x[i][j] * w[(o * inputs) + j];
                }

                y[i][o] = s;
            }

            if (!adapted)
            {
                continue;
            }

            var a = p[aName];
            var bm = p[LlamaTrainer.LoraName(layer, module, "B")];
            int rank = lora!.Rank;
            ulong key = LoraDropout.Key(lora.Seed, dropoutStep, layer, Array.IndexOf(Modules, module));
            var u = new double[rank];
            for (int q = 0; q < rank; q++)
            {
                for (int j = 0; j < inputs; j++)
                {
                    double mask = lora.Dropout > 0 ? LoraDropout.Mask(key, ((long)i * inputs) + j, lora.Dropout) : 1;
                    u[q] += x[i][j] * mask * a[(q * inputs) + j];
                }
            }

            for (int o = 0; o < outputs; o++)
            {
                double s = 0;
                for (int q = 0; q < rank; q++)
                {
                    s += u[q] * bm[(o * rank) + q];
                }

                y[i][o] += s * lora.Alpha / lora.Rank;
            }
        }

        return y;
    }

    private double[] RmsNorm(double[] x, double[] w)
    {
        double ss = x.Sum(v => v * v) / x.Length;
        double r = 1 / Math.Sqrt(ss + c.RmsEps);
        return x.Select((v, i) => v * r * w[i]).ToArray();
    }

    private void HeadNorm(double[] x, int heads, double[] w)
    {
        int hd = c.HeadDim;
        for (int h = 0; h < heads; h++)
        {
            var seg = RmsNorm(x.AsSpan(h * hd, hd).ToArray(), w);
            seg.CopyTo(x, h * hd);
        }
    }

    private void Rope(double[] x, int heads, int pos)
    {
        int hd = c.HeadDim, half = hd / 2;
        for (int h = 0; h < heads; h++)
        {
            for (int i = 0; i < half; i++)
            {
                double angle = pos * Math.Pow(c.RopeTheta, -2.0 * i / hd);
                double cs = Math.Cos(angle), sn = Math.Sin(angle);
                int ia = c.RopeLayout == RopeLayout.Interleaved ? (h * hd) + (2 * i) : (h * hd) + i;
                int ib = c.RopeLayout == RopeLayout.Interleaved ? ia + 1 : ia + half;
                double a = x[ia], bb = x[ib];
                x[ia] = (a * cs) - (bb * sn);
                x[ib] = (a * sn) + (bb * cs);
            }
        }
    }
}
