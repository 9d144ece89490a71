using Hone.Training.Improve;

namespace Hone.Training.Tests;

public sealed class ScalingFitTests
{
    [Fact]
    public void Two_rungs_give_the_measured_difference_as_the_gain_of_doubling_with_the_binomial_interval()
    {
        var f = ScalingFit.Fit([new ScalingPoint(50, 0.4, 100), new ScalingPoint(100, 0.6, 100)]);
        Assert.Equal(0.2, f.GainPerDoubling, 12);
        // Weights n/(q(1-q)) with q = (k+1)/(n+2): the slope's variance is 1/Σw(x-x̄)² = q1(1-q1)/n + q2(1-q2)/n for Δx = 1.
        double q1 = 41.0 / 102, q2 = 61.0 / 102, se = Math.Sqrt(q1 * (1 - q1) / 100 + q2 * (1 - q2) / 100);
        Assert.Equal(0.2 - 1.96 * se, f.GainLow, 9);
        Assert.Equal(0.2 + 1.96 * se, f.GainHigh, 9);
        Assert.Equal(0.8, f.PredictedAtDouble, 9);
        Assert.Equal(100, f.LargestSize);
    }

    [Fact]
    public void Points_on_a_line_fit_exactly_and_scattered_points_widen_the_interval()
    {
        var line = ScalingFit.Fit([new ScalingPoint(25, 0.3, 200), new ScalingPoint(50, 0.4, 200), new ScalingPoint(100, 0.5, 200)]);
        Assert.Equal(0.1, line.GainPerDoubling, 9);
        Assert.DoesNotContain("χ²", line.Method, StringComparison.Ordinal);
        var scattered = ScalingFit.Fit([new ScalingPoint(25, 0.3, 200), new ScalingPoint(50, 0.7, 200), new ScalingPoint(100, 0.5, 200)]);
        Assert.Contains("reduced χ²", scattered.Method, StringComparison.Ordinal);
        Assert.True(scattered.GainHigh - scattered.GainLow > line.GainHigh - line.GainLow);
        Assert.Equal(1.0, ScalingFit.Fit([new ScalingPoint(10, 0.9, 10), new ScalingPoint(20, 1.0, 10)]).PredictedAtDouble, 12); // clamped
    }

    [Fact]
    public void One_size_or_a_point_without_cases_is_refused()
    {
        Assert.Throws<ArgumentException>(() => ScalingFit.Fit([new ScalingPoint(10, 0.5, 10), new ScalingPoint(10, 0.6, 10)]));
        Assert.Throws<ArgumentException>(() => ScalingFit.Fit([new ScalingPoint(10, 0.5, 0), new ScalingPoint(20, 0.6, 10)]));
    }
}
