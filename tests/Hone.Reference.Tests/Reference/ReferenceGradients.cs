using Hone.Reference.Tests.Autodiff;

namespace Hone.Reference.Tests.Reference;

/// <summary>The reference's loss and gradients by the tape, and central finite differences that confirm them.</summary>
internal static class ReferenceGradients
{
    /// <summary>The loss and d(loss)/d(tensor) of every tensor named in <paramref name="trained"/>.</summary>
    public static (double Loss, Dictionary<string, double[]> Grads) Compute(LossFunction loss, ReferenceWeights w, IReadOnlySet<string> trained)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(w);
        var tape = new Tape();
        var p = w.Bind(trained);
        var l = loss(tape, p);
        tape.Backward(l);
        return (l.Value[0], trained.ToDictionary(n => n, n => p[n].Grad, StringComparer.Ordinal));
    }

    /// <summary>The loss alone (nothing recorded).</summary>
    public static double Evaluate(LossFunction loss, ReferenceWeights w)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(w);
        return loss(new Tape(), w.Bind(new HashSet<string>()))
            .Value[0];
    }

    /// <summary>
    /// Central differences (L(w + h) − L(w − h))/2h, h = 1e-5·max(1, |w|), at the coordinate of each tensor with the
    /// largest gradient and at <paramref name="randomSamples"/> seeded random ones. Returns the largest error relative to
    /// the tensor's largest gradient, max |fd − g| / max |g|, and logs each tensor's.
    /// </summary>
    public static double FiniteDifferenceError(LossFunction loss, ReferenceWeights w, IReadOnlyDictionary<string, double[]> grads,
        int randomSamples, int seed, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(grads);
        var rng = new Random(seed);
        double worst = 0;
        foreach (var (name, g) in grads.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var values = w[name];
            double scale = g.Max(Math.Abs);
            if (scale == 0)
            {
                throw new InvalidOperationException($"{name}: the reference gradient is zero everywhere; the check would prove nothing.");
            }

            var picks = new List<int> { Array.IndexOf(g, g.MaxBy(Math.Abs)) };
            for (int s = 0; s < randomSamples; s++)
            {
                picks.Add(rng.Next(g.Length));
            }

            double err = 0;
            foreach (int i in picks)
            {
                double orig = values[i], h = 1e-5 * Math.Max(1, Math.Abs(orig));
                values[i] = orig + h;
                double up = Evaluate(loss, w);
                values[i] = orig - h;
                double down = Evaluate(loss, w);
                values[i] = orig;
                err = Math.Max(err, Math.Abs(((up - down) / (2 * h)) - g[i]) / scale);
            }

            log?.Invoke($"  fd {name}: {err:E2} (max |g| {scale:E2})");
            worst = Math.Max(worst, err);
        }

        return worst;
    }
}
