namespace Hone.Prompting.Evaluation;

/// <summary>Pearson's chi-square goodness-of-fit test against the uniform distribution.</summary>
public static class ChiSquare
{
    /// <summary>
    /// The statistic Σ (O − E)²/E with E = n/k and its p-value P(χ²(k−1) ≥ statistic), the regularized upper incomplete
    /// gamma Q((k−1)/2, statistic/2) (series below a+1, continued fraction above, as in Numerical Recipes §6.2).
    /// With no observations the p-value is 1.
    /// </summary>
    public static (double Statistic, double P) Uniform(IReadOnlyList<int> observed)
    {
        ArgumentNullException.ThrowIfNull(observed);
        int k = observed.Count;
        long n = observed.Sum(x => (long)x);
        if (k < 2 || n == 0) return (0, 1);
        double e = (double)n / k;
        double stat = observed.Sum(o => (o - e) * (o - e) / e);
        return (stat, UpperGamma((k - 1) / 2.0, stat / 2));
    }

    /// <summary>The regularized upper incomplete gamma function Q(a, x).</summary>
    public static double UpperGamma(double a, double x)
    {
        if (x <= 0) return 1;
        double lnFront = -x + a * Math.Log(x) - LogGamma(a);
        if (x < a + 1)
        {
            double sum = 1 / a, term = sum;
            for (int n = 1; n < 1000 && Math.Abs(term) > Math.Abs(sum) * 1e-15; n++)
            {
                term *= x / (a + n);
                sum += term;
            }
            return Math.Max(0, 1 - sum * Math.Exp(lnFront));
        }
        // Lentz's continued fraction for Q.
        double b = x + 1 - a, c = 1e300, d = 1 / b, h = d;
        for (int i = 1; i < 1000; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < 1e-300) d = 1e-300;
            c = b + an / c;
            if (Math.Abs(c) < 1e-300) c = 1e-300;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-15) break;
        }
        return Math.Min(1, Math.Exp(lnFront) * h);
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, n = 9).</summary>
    public static double LogGamma(double x)
    {
        double[] g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        double s = g[0];
        for (int i = 1; i < 9; i++) s += g[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(s);
    }
}
