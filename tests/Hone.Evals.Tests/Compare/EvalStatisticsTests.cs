using Hone.Evals.Compare;

namespace Hone.Evals.Tests.Compare;

public class EvalStatisticsTests
{
    [Theory]
    // Hand-computed: (p + z²/2n ± z√(p(1−p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964; these match published tables
    // (e.g. Newcombe 1998, Table I: 0/10 → 0–0.2775, 5/10 → 0.2366–0.7634).
    [InlineData(5, 10, 0.236593, 0.763407)]
    [InlineData(0, 10, 0.0, 0.277533)]
    [InlineData(10, 10, 0.722467, 1.0)]
    [InlineData(81, 263, 0.255289, 0.366210)] // Newcombe 1998 Table I: 0.2553–0.3662
    public void Wilson_interval_matches_hand_computed_values(int k, int n, double low, double high)
    {
        var i = EvalStatistics.Wilson((double)k / n, n);
        Assert.Equal(low, i.Low, 5);
        Assert.Equal(high, i.High, 5);
    }

    [Fact]
    public void Wilson_with_no_trials_is_the_whole_unit_interval() => Assert.Equal(new Interval(0, 1), EvalStatistics.Wilson(0, 0));

    [Theory]
    [InlineData(1, 9, 22.0 / 1024)]      // 2·(C(10,0)+C(10,1))/2^10
    [InlineData(2, 8, 112.0 / 1024)]     // 2·(1+10+45)/1024
    [InlineData(0, 5, 2.0 / 32)]         // 2·1/2^5
    [InlineData(5, 0, 2.0 / 32)]
    [InlineData(3, 3, 1.0)]              // capped at 1
    [InlineData(0, 0, 1.0)]
    [InlineData(0, 1, 1.0)]              // 2·1/2 = 1
    [InlineData(4, 16, 0.011817932128906)] // 2·(1+20+190+1140+4845)/2^20
    public void McNemar_exact_p_matches_the_binomial_sum(int b, int c, double p) =>
        Assert.Equal(p, EvalStatistics.McNemarExact(b, c), 12);

    [Theory]
    [InlineData(5, 2, 1, 0.4)]
    [InlineData(5, 2, 2, 0.7)]  // 1 − C(3,2)/C(5,2) = 1 − 3/10
    [InlineData(5, 2, 3, 0.9)]  // 1 − C(3,3)/C(5,3) = 1 − 1/10
    [InlineData(5, 2, 4, 1.0)]  // n − c < k
    [InlineData(5, 0, 5, 0.0)]
    [InlineData(10, 3, 5, 0.916666666666667)] // 1 − C(7,5)/C(10,5) = 1 − 21/252
    public void Pass_at_k_is_the_unbiased_estimator(int n, int c, int k, double expected) =>
        Assert.Equal(expected, EvalStatistics.PassAtK(n, c, k), 12);

    [Theory]
    [InlineData(5, 3, 2, 0.3)]  // C(3,2)/C(5,2)
    [InlineData(5, 5, 5, 1.0)]
    [InlineData(5, 4, 5, 0.0)]
    [InlineData(4, 3, 1, 0.75)]
    [InlineData(10, 7, 3, 0.291666666666667)] // C(7,3)/C(10,3) = 35/120
    public void Pass_hat_k_is_the_unbiased_estimator(int n, int c, int k, double expected) =>
        Assert.Equal(expected, EvalStatistics.PassHatK(n, c, k), 12);

    [Fact]
    public void Pass_at_k_rejects_k_above_n() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => EvalStatistics.PassAtK(3, 1, 4));

    [Fact]
    public void Bootstrap_matches_an_independent_implementation_and_is_deterministic()
    {
        double[] d = [1, 0, 0, -1, 1, 1, 0, 0, 1, 0, -1, 1, 0, 0, 0, 1];
        var got = EvalStatistics.PairedBootstrap(d, seed: 42, iterations: 2000);
        // Independent: the documented procedure written out here.
        var rng = new Random(42);
        var means = new List<double>();
        for (int r = 0; r < 2000; r++)
        {
            double s = 0;
            for (int i = 0; i < d.Length; i++) s += d[rng.Next(d.Length)];
            means.Add(s / d.Length);
        }
        means.Sort();
        Assert.Equal(means[50], got.Low);
        Assert.Equal(means[1949], got.High);
        Assert.True(got.Low < d.Average() && d.Average() < got.High);
        Assert.Equal(got, EvalStatistics.PairedBootstrap(d, seed: 42, iterations: 2000));
    }

    [Fact]
    public void Bootstrap_of_constant_differences_is_a_point()
    {
        var i = EvalStatistics.PairedBootstrap([0.5, 0.5, 0.5], seed: 1);
        Assert.Equal(new Interval(0.5, 0.5), i);
    }
}
