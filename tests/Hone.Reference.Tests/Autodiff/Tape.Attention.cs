namespace Hone.Reference.Tests.Autodiff;

/// <summary>Rotary embeddings, attention of one sequence (grouped heads, causal or windowed mask) and the log-softmax.</summary>
internal sealed partial class Tape
{
    /// <summary>
    /// Rotary position embedding of every head of x [T, heads·hd]: the pair (a, b) of frequency i of the head at position
    /// p turns by the angle p·freq[i]: a' = a·cos − b·sin, b' = a·sin + b·cos. The pairs are (2i, 2i+1) when
    /// <paramref name="interleaved"/>, else (i, i + hd/2). A rotation's transpose turns back: da = da'·cos + db'·sin,
    /// db = −da'·sin + db'·cos.
    /// </summary>
    public DTensor Rope(DTensor x, int heads, int[] positions, double[] freq, bool interleaved)
    {
        int T = positions.Length, hd = x.Cols / heads, half = hd / 2;
        if (x.Rows != T || freq.Length != half)
        {
            throw new ArgumentException($"Rope: x [{string.Join(", ", x.Shape)}] with {T} positions and {freq.Length} frequencies.");
        }

        var y = Output(x.Shape, x);
        Array.Copy(x.Value, y.Value, x.Length);
        (int A, int B) Pair(int t, int h, int i) => interleaved
            ? ((t * x.Cols) + (h * hd) + (2 * i), (t * x.Cols) + (h * hd) + (2 * i) + 1)
            : ((t * x.Cols) + (h * hd) + i, (t * x.Cols) + (h * hd) + i + half);
        for (int t = 0; t < T; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                for (int i = 0; i < half; i++)
                {
                    double angle = positions[t] * freq[i], cos = Math.Cos(angle), sin = Math.Sin(angle);
                    var (ia, ib) = Pair(t, h, i);
                    double a = x.Value[ia], b = x.Value[ib];
                    y.Value[ia] = (a * cos) - (b * sin);
                    y.Value[ib] = (a * sin) + (b * cos);
                }
            }
        }

        Record(y, () =>
        {
            for (int t = 0; t < T; t++)
            {
                for (int h = 0; h < heads; h++)
                {
                    for (int i = 0; i < half; i++)
                    {
                        double angle = positions[t] * freq[i], cos = Math.Cos(angle), sin = Math.Sin(angle);
                        var (ia, ib) = Pair(t, h, i);
                        double ga = y.Grad[ia], gb = y.Grad[ib];
                        x.Grad[ia] += (ga * cos) + (gb * sin);
                        x.Grad[ib] += (-ga * sin) + (gb * cos);
                    }
                }
            }
        });
        return y;
    }

    /// <summary>
    /// Scaled dot products of one sequence: s[h,t,j] = q[t, head h]·k[j, head g(h)]/√hd, where query head h reads
    /// key/value head g(h) = h / (heads/kvHeads) (grouped-query attention; g(h) = h when kvHeads = heads).
    /// Shapes: q [T, heads·hd], k [T, kvHeads·hd], s [heads, T, T] (every pair; the mask is applied by the softmax).
    /// dq[t,h] += Σⱼ ds[h,t,j]·k[j,g]/√hd; dk[j,g] += Σ_{h∈g} Σₜ ds[h,t,j]·q[t,h]/√hd.
    /// </summary>
    public DTensor AttentionScores(DTensor q, DTensor k, int heads, int kvHeads)
    {
        int T = q.Rows, hd = q.Cols / heads, group = heads / kvHeads;
        double scale = 1 / Math.Sqrt(hd);
        var s = Output([heads, T, T], q, k);
        int qCols = q.Cols, kCols = k.Cols;
        double[] qv = q.Value, kv = k.Value;
        int Q(int t, int h, int d) => (t * qCols) + (h * hd) + d;
        int K(int j, int g, int d) => (j * kCols) + (g * hd) + d;
        int S(int h, int t, int j) => (((h * T) + t) * T) + j;
        for (int h = 0; h < heads; h++)
        {
            int g = h / group;
            for (int t = 0; t < T; t++)
            {
                for (int j = 0; j < T; j++)
                {
                    double dot = 0;
                    for (int d = 0; d < hd; d++)
                    {
                        dot += qv[Q(t, h, d)] * kv[K(j, g, d)];
                    }

                    s.Value[S(h, t, j)] = dot * scale;
                }
            }
        }

        Record(s, () =>
        {
            for (int h = 0; h < heads; h++)
            {
                int g = h / group;
                for (int t = 0; t < T; t++)
                {
                    for (int j = 0; j < T; j++)
                    {
                        double ds = s.Grad[S(h, t, j)] * scale;
                        for (int d = 0; d < hd; d++)
                        {
                            if (q.RequiresGrad)
                            {
                                q.Grad[Q(t, h, d)] += ds * k.Value[K(j, g, d)];
                            }

                            if (k.RequiresGrad)
                            {
                                k.Grad[K(j, g, d)] += ds * q.Value[Q(t, h, d)];
                            }
                        }
                    }
                }
            }
        });
        return s;
    }

    /// <summary>
    /// Softmax over j of s [heads, T, T] restricted to the positions query t may see: p[h,t,j] = e^{s[h,t,j]}/Σ_{visible j'}
    /// e^{s[h,t,j']} for visible j, 0 otherwise. ds[h,t,j] = p[h,t,j]·(dp[h,t,j] − Σ_{j'} p[h,t,j']·dp[h,t,j']).
    /// </summary>
    public DTensor MaskedSoftmax(DTensor s, Func<int, int, bool> visible)
    {
        int heads = s.Shape[0], T = s.Shape[1];
        var p = Output(s.Shape, s);
        for (int r = 0; r < heads * T; r++)
        {
            int t = r % T;
            double max = double.NegativeInfinity;
            for (int j = 0; j < T; j++)
            {
                if (visible(t, j))
                {
                    max = Math.Max(max, s.Value[(r * T) + j]);
                }
            }

            double z = 0;
            for (int j = 0; j < T; j++)
            {
                if (visible(t, j))
                {
                    p.Value[(r * T) + j] = Math.Exp(s.Value[(r * T) + j] - max);
                    z += p.Value[(r * T) + j];
                }
            }

            for (int j = 0; j < T; j++)
            {
                p.Value[(r * T) + j] /= z;
            }
        }

        Record(p, () =>
        {
            for (int r = 0; r < heads * T; r++)
            {
                double dot = 0;
                for (int j = 0; j < T; j++)
                {
                    dot += p.Value[(r * T) + j] * p.Grad[(r * T) + j];
                }

                for (int j = 0; j < T; j++)
                {
                    s.Grad[(r * T) + j] += p.Value[(r * T) + j] * (p.Grad[(r * T) + j] - dot);
                }
            }
        });
        return p;
    }

    /// <summary>
    /// Attention output: o[t, head h] = Σⱼ p[h,t,j]·v[j, head g(h)]. Shapes: p [heads, T, T], v [T, kvHeads·hd], o [T, heads·hd].
    /// dp[h,t,j] = do[t,h]·v[j,g]; dv[j,g] += Σ_{h∈g} Σₜ p[h,t,j]·do[t,h].
    /// </summary>
    public DTensor AttendValues(DTensor p, DTensor v, int kvHeads)
    {
        int heads = p.Shape[0], T = p.Shape[1], hd = v.Cols / kvHeads, group = heads / kvHeads, width = heads * hd;
        var o = Output([T, width], p, v);
        int vCols = v.Cols;
        double[] pv = p.Value, vv = v.Value, ov = o.Value;
        int V(int j, int g, int d) => (j * vCols) + (g * hd) + d;
        int P(int h, int t, int j) => (((h * T) + t) * T) + j;
        for (int h = 0; h < heads; h++)
        {
            int g = h / group;
            for (int t = 0; t < T; t++)
            {
                for (int j = 0; j < T; j++)
                {
                    for (int d = 0; d < hd; d++)
                    {
                        ov[(t * width) + (h * hd) + d] += pv[P(h, t, j)] * vv[V(j, g, d)];
                    }
                }
            }
        }

        Record(o, () =>
        {
            for (int h = 0; h < heads; h++)
            {
                int g = h / group;
                for (int t = 0; t < T; t++)
                {
                    for (int j = 0; j < T; j++)
                    {
                        for (int d = 0; d < hd; d++)
                        {
                            double go = o.Grad[(t * width) + (h * hd) + d];
                            if (p.RequiresGrad)
                            {
                                p.Grad[P(h, t, j)] += go * v.Value[V(j, g, d)];
                            }

                            if (v.RequiresGrad)
                            {
                                v.Grad[V(j, g, d)] += go * p.Value[P(h, t, j)];
                            }
                        }
                    }
                }
            }
        });
        return o;
    }

    /// <summary>
    /// log p(target) per position from logits z [T, vocab]: lp[t] = z[t, target] − log Σᵥ e^{z[t,v]}; 0 where the target is
    /// negative (no target). dz[t,v] = dlp[t]·(1[v = target] − softmax(z[t])ᵥ).
    /// </summary>
    public DTensor TargetLogProbs(DTensor logits, int[] targets)
    {
        int T = logits.Rows, V = logits.Cols;
        if (targets.Length != T)
        {
            throw new ArgumentException($"TargetLogProbs: {T} rows of logits, {targets.Length} targets.", nameof(targets));
        }

        var lp = Output([T], logits);
        var lse = new double[T];
        for (int t = 0; t < T; t++)
        {
            double max = double.NegativeInfinity, z = 0;
            for (int v = 0; v < V; v++)
            {
                max = Math.Max(max, logits.Value[(t * V) + v]);
            }

            for (int v = 0; v < V; v++)
            {
                z += Math.Exp(logits.Value[(t * V) + v] - max);
            }

            lse[t] = max + Math.Log(z);
            lp.Value[t] = targets[t] < 0 ? 0 : logits.Value[(t * V) + targets[t]] - lse[t];
        }

        Record(lp, () =>
        {
            for (int t = 0; t < T; t++)
            {
                if (targets[t] < 0)
                {
                    continue;
                }

                for (int v = 0; v < V; v++)
                {
                    double softmax = Math.Exp(logits.Value[(t * V) + v] - lse[t]);
                    logits.Grad[(t * V) + v] += lp.Grad[t] * ((v == targets[t] ? 1 : 0) - softmax);
                }
            }
        });
        return lp;
    }
}
