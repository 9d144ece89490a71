namespace Hone.Reference.Tests.Autodiff;

/// <summary>Linear maps, the embedding lookup and RMSNorm.</summary>
internal sealed partial class Tape
{
    /// <summary>
    /// A linear layer without bias: y = x·Wᵀ, y[i,o] = Σⱼ x[i,j]·W[o,j]. Shapes: x [n, in], W [out, in], y [n, out].
    /// dx[i,j] = Σₒ dy[i,o]·W[o,j]; dW[o,j] = Σᵢ dy[i,o]·x[i,j].
    /// </summary>
    public DTensor MatMulT(DTensor x, DTensor w)
    {
        if (w.Shape.Length != 2 || x.Cols != w.Shape[1])
        {
            throw new ArgumentException($"MatMulT: x [.., {x.Cols}] and W [{string.Join(", ", w.Shape)}] do not fit.");
        }

        int n = x.Rows, inputs = w.Shape[1], outputs = w.Shape[0];
        var y = Output([n, outputs], x, w);
        double[] xv = x.Value, wv = w.Value;
        for (int i = 0; i < n; i++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double s = 0;
                for (int j = 0; j < inputs; j++)
                {
                    s += xv[(i * inputs) + j] * wv[(o * inputs) + j];
                }

                y.Value[(i * outputs) + o] = s;
            }
        }

        Record(y, () =>
        {
            double[] dx = x.Grad, dw = w.Grad;
            for (int i = 0; i < n; i++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    double g = y.Grad[(i * outputs) + o];
                    for (int j = 0; j < inputs; j++)
                    {
                        if (x.RequiresGrad)
                        {
                            dx[(i * inputs) + j] += g * wv[(o * inputs) + j];
                        }

                        if (w.RequiresGrad)
                        {
                            dw[(o * inputs) + j] += g * xv[(i * inputs) + j];
                        }
                    }
                }
            }
        });
        return y;
    }

    /// <summary>Adds a bias to every row: y[i,o] = x[i,o] + b[o]. dx = dy; db[o] = Σᵢ dy[i,o].</summary>
    public DTensor AddBias(DTensor x, DTensor b)
    {
        if (b.Length != x.Cols)
        {
            throw new ArgumentException($"AddBias: rows of {x.Cols}, bias of {b.Length}.", nameof(b));
        }

        int n = x.Rows, m = x.Cols;
        var y = Output(x.Shape, x, b);
        for (int i = 0; i < n; i++)
        {
            for (int o = 0; o < m; o++)
            {
                y.Value[(i * m) + o] = x.Value[(i * m) + o] + b.Value[o];
            }
        }

        Record(y, () =>
        {
            for (int i = 0; i < n; i++)
            {
                for (int o = 0; o < m; o++)
                {
                    double g = y.Grad[(i * m) + o];
                    if (x.RequiresGrad)
                    {
                        x.Grad[(i * m) + o] += g;
                    }

                    if (b.RequiresGrad)
                    {
                        b.Grad[o] += g;
                    }
                }
            }
        });
        return y;
    }

    /// <summary>Row lookup: y[t] = E[ids[t]]. Shapes: E [vocab, d], y [T, d]. dE[ids[t]] += dy[t].</summary>
    public DTensor Embedding(DTensor table, int[] ids)
    {
        int d = table.Cols;
        var y = Output([ids.Length, d], table);
        for (int t = 0; t < ids.Length; t++)
        {
            Array.Copy(table.Value, ids[t] * d, y.Value, t * d, d);
        }

        Record(y, () =>
        {
            for (int t = 0; t < ids.Length; t++)
            {
                for (int j = 0; j < d; j++)
                {
                    table.Grad[(ids[t] * d) + j] += y.Grad[(t * d) + j];
                }
            }
        });
        return y;
    }

    /// <summary>
    /// RMSNorm over the last dimension: y[i,j] = w[j]·x[i,j]·rᵢ with rᵢ = (Σⱼ x[i,j]²/d + ε)^(−1/2). Shapes: x [.., d], w [d].
    /// With gᵢⱼ = dy[i,j]·w[j]: dx[i,j] = rᵢ·gᵢⱼ − rᵢ³·x[i,j]·(Σₖ gᵢₖ·x[i,k])/d; dw[j] = Σᵢ dy[i,j]·x[i,j]·rᵢ.
    /// </summary>
    public DTensor RmsNorm(DTensor x, DTensor w, double eps)
    {
        int d = w.Length, n = x.Length / d;
        if (x.Cols != d)
        {
            throw new ArgumentException($"RmsNorm: rows of {x.Cols}, weight of {d}.", nameof(w));
        }

        var y = Output(x.Shape, x, w);
        var r = new double[n];
        for (int i = 0; i < n; i++)
        {
            double ss = 0;
            for (int j = 0; j < d; j++)
            {
                ss += x.Value[(i * d) + j] * x.Value[(i * d) + j];
            }

            r[i] = 1 / Math.Sqrt((ss / d) + eps);
            for (int j = 0; j < d; j++)
            {
                y.Value[(i * d) + j] = w.Value[j] * x.Value[(i * d) + j] * r[i];
            }
        }

        Record(y, () =>
        {
            for (int i = 0; i < n; i++)
            {
                double dot = 0;
                for (int k = 0; k < d; k++)
                {
                    dot += y.Grad[(i * d) + k] * w.Value[k] * x.Value[(i * d) + k];
                }

                for (int j = 0; j < d; j++)
                {
                    double xv = x.Value[(i * d) + j], g = y.Grad[(i * d) + j];
                    if (x.RequiresGrad)
                    {
                        x.Grad[(i * d) + j] += (r[i] * g * w.Value[j]) - (r[i] * r[i] * r[i] * xv * dot / d);
                    }

                    if (w.RequiresGrad)
                    {
                        w.Grad[j] += g * xv * r[i];
                    }
                }
            }
        });
        return y;
    }
}
