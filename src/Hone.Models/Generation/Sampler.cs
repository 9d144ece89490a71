namespace Hone.Models.Generation;

/// <summary>
/// Picks next tokens from logits under <see cref="SamplingOptions"/>. Holds its scratch buffers and random state, so
/// sampling allocates nothing per token. Deterministic: the same seed and inputs give the same tokens on every run and
/// platform (SplitMix64, not <see cref="Random"/>). Not thread-safe.
/// </summary>
public sealed class Sampler
{
    private readonly float[] _work;
    private readonly float[] _keys;
    private readonly int[] _order;
    private ulong _state;

    /// <summary>A sampler for a vocabulary of <paramref name="vocabSize"/> tokens.</summary>
    public Sampler(int vocabSize, SamplingOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Validate();
        VocabSize = vocabSize;
        _work = new float[vocabSize];
        _keys = new float[vocabSize];
        _order = new int[vocabSize];
        _state = options.Seed ?? (ulong)Random.Shared.NextInt64();
    }

    /// <summary>The options in force.</summary>
    public SamplingOptions Options { get; }

    /// <summary>Vocabulary size.</summary>
    public int VocabSize { get; }

    /// <summary>Chooses the next token. <paramref name="history"/> (prompt and generated ids) feeds the repetition penalty.</summary>
    public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> history = default)
    {
        var o = Options;
        var work = _work.AsSpan();
        ApplyPenalty(logits, history, work);
        if (o.IsGreedy)
        {
            return Argmax(work);
        }

        int kept = Filter(work);
        double u = NextDouble();
        double total = 0;
        for (int i = 0; i < kept; i++)
        {
            total += work[_order[i]];
        }

        double target = u * total, cumulative = 0;
        for (int i = 0; i < kept; i++)
        {
            cumulative += work[_order[i]];
            if (target < cumulative)
            {
                return _order[i];
            }
        }

        return _order[kept - 1];
    }

    /// <summary>
    /// The distribution the sampler draws from: probabilities [vocab] after penalty, temperature, top-k, top-p and
    /// min-p, renormalised; tokens filtered out get 0. For greedy decoding, 1 on the argmax.
    /// </summary>
    public void Probabilities(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, Span<float> probabilities)
    {
        if (probabilities.Length != VocabSize)
        {
            throw new ArgumentException($"probabilities must hold {VocabSize} floats.", nameof(probabilities));
        }

        var work = _work.AsSpan();
        ApplyPenalty(logits, history, work);
        probabilities.Clear();
        if (Options.IsGreedy)
        {
            probabilities[Argmax(work)] = 1;
            return;
        }

        int kept = Filter(work);
        double total = 0;
        for (int i = 0; i < kept; i++)
        {
            total += work[_order[i]];
        }

        for (int i = 0; i < kept; i++)
        {
            probabilities[_order[i]] = (float)(work[_order[i]] / total);
        }
    }

    private void ApplyPenalty(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, Span<float> work)
    {
        if (logits.Length != VocabSize)
        {
            throw new ArgumentException($"logits hold {logits.Length} values; the vocabulary has {VocabSize}.", nameof(logits));
        }

        logits.CopyTo(work);
        float penalty = Options.RepetitionPenalty;
        if (penalty == 1f || history.IsEmpty)
        {
            return;
        }

        if (Options.RepetitionWindow > 0 && history.Length > Options.RepetitionWindow)
        {
            history = history[^Options.RepetitionWindow..];
        }

        // Each distinct token is penalised once: mark with the sign trick on a scratch row.
        var seen = _keys.AsSpan();
        seen.Clear();
        foreach (int t in history)
        {
            if ((uint)t < (uint)VocabSize && seen[t] == 0)
            {
                seen[t] = 1;
                work[t] = work[t] > 0 ? work[t] / penalty : work[t] * penalty;
            }
        }
    }

    /// <summary>Turns penalised logits in <paramref name="work"/> into unnormalised probabilities and fills
    /// <see cref="_order"/> with the kept token ids (most likely first when any filter is on). Returns how many.</summary>
    private int Filter(Span<float> work)
    {
        var o = Options;
        float max = float.NegativeInfinity;
        foreach (float v in work)
        {
            max = MathF.Max(max, v);
        }

        float invT = 1f / o.Temperature;
        double sum = 0;
        for (int i = 0; i < work.Length; i++)
        {
            float p = MathF.Exp((work[i] - max) * invT);
            work[i] = p;
            sum += p;
        }

        float norm = (float)(1 / sum);
        for (int i = 0; i < work.Length; i++)
        {
            work[i] *= norm;
        }

        int n = work.Length;
        var order = _order.AsSpan();
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        bool filtered = o.TopK > 0 || o.TopP < 1 || o.MinP > 0;
        if (!filtered)
        {
            return n;
        }

        // Sort ids by descending probability (introsort: deterministic for the same input).
        var keys = _keys.AsSpan();
        for (int i = 0; i < n; i++)
        {
            keys[i] = -work[i];
        }

        Array.Sort(_keys, _order, 0, n);
        int kept = n;
        if (o.TopK > 0)
        {
            kept = Math.Min(kept, o.TopK);
        }

        if (o.TopP < 1)
        {
            double mass = 0;
            for (int i = 0; i < kept; i++)
            {
                mass += work[order[i]];
            }

            double cumulative = 0;
            for (int i = 0; i < kept; i++)
            {
                cumulative += work[order[i]];
                if (cumulative >= o.TopP * mass)
                {
                    kept = i + 1;
                    break;
                }
            }
        }

        if (o.MinP > 0)
        {
            float threshold = o.MinP * work[order[0]];
            int k = 1;
            while (k < kept && work[order[k]] >= threshold)
            {
                k++;
            }

            kept = k;
        }

        return kept;
    }

    private static int Argmax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++)
        {
            if (x[i] > x[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>A uniform double in [0, 1) from SplitMix64.</summary>
    private double NextDouble()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
