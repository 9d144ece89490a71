namespace Hone.Evals.Compare;

/// <summary>A two-sided confidence interval.</summary>
/// <param name="Low">Lower bound.</param>
/// <param name="High">Upper bound.</param>
public readonly record struct Interval(double Low, double High);

/// <summary>
/// The statistics behind eval reports: the Wilson score interval for an accuracy, McNemar's exact test for paired
/// pass/fail outcomes, a seeded paired bootstrap interval for an accuracy difference, and the unbiased pass@k and
/// pass^k estimators.
/// </summary>
public static class EvalStatistics
{
    /// <summary>z for a two-sided 95% interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// Wilson score interval for a proportion <paramref name="p"/> observed over <paramref name="n"/> trials:
    /// <c>(p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)</c>. With n = 0 the interval is [0, 1].
    /// </summary>
    public static Interval Wilson(double p, int n, double z = Z95)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "the number of trials cannot be negative.");
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "a proportion must be in [0, 1].");
        if (n == 0) return new Interval(0, 1);
        double z2 = z * z, denom = 1 + z2 / n;
        double center = (p + z2 / (2.0 * n)) / denom;
        double half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denom;
        return new Interval(Math.Max(0, center - half), Math.Min(1, center + half));
    }

    /// <summary>
    /// McNemar's exact (binomial) two-sided p-value for <paramref name="b"/> and <paramref name="c"/> discordant pairs
    /// (pass→fail and fail→pass): <c>min(1, 2·Σ_{i≤min(b,c)} C(b+c, i)/2^(b+c))</c>; 1 when there are none.
    /// </summary>
    public static double McNemarExact(int b, int c)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        int n = b + c;
        if (n == 0) return 1;
        int k = Math.Min(b, c);
        // Sum the binomial(n, 1/2) pmf from 0 to k in log space (exact enough for n in the millions).
        double logTwoN = n * Math.Log(2), logC = 0, sum = 0;
        for (int i = 0; i <= k; i++)
        {
            if (i > 0) logC += Math.Log((double)(n - i + 1) / i);
            sum += Math.Exp(logC - logTwoN);
        }
        return Math.Min(1, 2 * sum);
    }

    /// <summary>
    /// Unbiased pass@k for one case with <paramref name="n"/> samples of which <paramref name="c"/> passed (Chen et al.
    /// 2021): <c>1 − C(n−c, k)/C(n, k)</c>, the chance that at least one of k samples drawn without replacement passes.
    /// </summary>
    public static double PassAtK(int n, int c, int k)
    {
        CheckNck(n, c, k);
        if (n - c < k) return 1;
        double prod = 1;
        for (int i = n - c + 1; i <= n; i++) prod *= 1 - (double)k / i;
        return 1 - prod;
    }

    /// <summary>
    /// Unbiased pass^k for one case: <c>C(c, k)/C(n, k)</c>, the chance that all of k samples drawn without replacement
    /// pass (a reliability measure: it falls as k grows unless the case always passes).
    /// </summary>
    public static double PassHatK(int n, int c, int k)
    {
        CheckNck(n, c, k);
        if (c < k) return 0;
        double prod = 1;
        for (int i = 0; i < k; i++) prod *= (double)(c - i) / (n - i);
        return prod;
    }

    /// <summary>
    /// Percentile paired-bootstrap interval for the mean of per-case differences (B − A): <paramref name="iterations"/>
    /// resamples of n case indices drawn with replacement by <c>new Random(seed)</c> (<c>Next(n)</c> in order), the
    /// resample means sorted ascending, and the interval <c>[m[⌊0.025·R⌋], m[⌈0.975·R⌉ − 1]]</c>.
    /// The same differences and seed always give the same interval.
    /// </summary>
    public static Interval PairedBootstrap(IReadOnlyList<double> differences, int seed, int iterations = 10_000)
    {
        ArgumentNullException.ThrowIfNull(differences);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 100);
        int n = differences.Count;
        if (n == 0) return new Interval(0, 0);
        var rng = new Random(seed);
        var means = new double[iterations];
        var d = differences as double[] ?? [.. differences]; // an array: no interface call per draw (10,000 cases × 10,000 draws)
        for (int r = 0; r < iterations; r++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) s += d[rng.Next(n)];
            means[r] = s / n;
        }
        Array.Sort(means);
        return new Interval(means[(int)Math.Floor(0.025 * iterations)], means[(int)Math.Ceiling(0.975 * iterations) - 1]);
    }

    private static void CheckNck(int n, int c, int k)
    {
        if (n < 1 || c < 0 || c > n || k < 1 || k > n)
            throw new ArgumentOutOfRangeException(nameof(k), $"need 1 ≤ k ≤ n and 0 ≤ c ≤ n; got n={n}, c={c}, k={k}.");
    }
}
