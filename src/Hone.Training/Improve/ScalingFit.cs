namespace Hone.Training.Improve;

/// <summary>One measured point of a scaling study: the training-set size and the golden-set accuracy with its interval.</summary>
/// <param name="Size">Training examples.</param>
/// <param name="Accuracy">Golden-set accuracy.</param>
/// <param name="Cases">Golden cases scored (the binomial n).</param>
public sealed record ScalingPoint(int Size, double Accuracy, int Cases);

/// <summary>
/// accuracy ≈ <see cref="Intercept"/> + <see cref="GainPerDoubling"/> · log2(size), and what doubling the largest set is
/// expected to bring.
/// </summary>
/// <param name="Intercept">The fitted accuracy at one example (log2 size 0).</param>
/// <param name="GainPerDoubling">The slope: accuracy gained per doubling of the data.</param>
/// <param name="GainLow">Lower end of the slope's 95% interval.</param>
/// <param name="GainHigh">Upper end of the slope's 95% interval.</param>
/// <param name="LargestSize">The largest size measured.</param>
/// <param name="PredictedAtDouble">The fitted accuracy at twice the largest size (clamped to 0..1).</param>
/// <param name="Points">The points fitted.</param>
/// <param name="Method">How the slope's uncertainty was estimated, in words.</param>
public sealed record ScalingFitResult(double Intercept, double GainPerDoubling, double GainLow, double GainHigh, int LargestSize,
    double PredictedAtDouble, IReadOnlyList<ScalingPoint> Points, string Method);

/// <summary>
/// Fits golden-set accuracy against log2(training-set size) by weighted least squares, each point weighted by the inverse
/// of its binomial variance p(1−p)/n (p taken as (passed+1)/(n+2), so a score of 0 or 1 still has a variance). The slope's
/// standard error is √(1/Σw(x−x̄)²); with more points than parameters, it is inflated by the reduced χ² of the residuals
/// when that exceeds 1 (the points scatter more than their sampling error explains). The interval is ±1.96 standard errors.
/// </summary>
public static class ScalingFit
{
    /// <summary>Fits the points (at least two distinct sizes).</summary>
    /// <exception cref="ArgumentException">Fewer than two distinct sizes, or a point without cases.</exception>
    public static ScalingFitResult Fit(IReadOnlyList<ScalingPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Select(p => p.Size).Distinct().Count() < 2) throw new ArgumentException("A scaling fit needs at least two distinct training-set sizes.", nameof(points));
        if (points.Any(p => p.Cases < 1 || p.Size < 1)) throw new ArgumentException("Every point needs a size and golden cases.", nameof(points));
        var x = points.Select(p => Math.Log2(p.Size)).ToArray();
        var y = points.Select(p => p.Accuracy).ToArray();
        var w = points.Select(p =>
        {
            double q = (p.Accuracy * p.Cases + 1) / (p.Cases + 2.0);
            return p.Cases / (q * (1 - q));
        }).ToArray();
        double sw = w.Sum(), xm = x.Zip(w, (a, b) => a * b).Sum() / sw, ym = y.Zip(w, (a, b) => a * b).Sum() / sw;
        double sxx = 0, sxy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxx += w[i] * (x[i] - xm) * (x[i] - xm);
            sxy += w[i] * (x[i] - xm) * (y[i] - ym);
        }
        double slope = sxy / sxx, intercept = ym - slope * xm;
        double variance = 1 / sxx;
        string method = "weighted least squares; slope interval from the points' binomial sampling error";
        int df = points.Count - 2;
        if (df > 0)
        {
            double chi2 = 0;
            for (int i = 0; i < x.Length; i++) chi2 += w[i] * Math.Pow(y[i] - (intercept + slope * x[i]), 2);
            if (chi2 / df > 1)
            {
                variance *= chi2 / df;
                method += $", widened by the residuals' reduced χ² ({chi2 / df:0.00})";
            }
        }
        double se = Math.Sqrt(variance);
        int largest = points.Max(p => p.Size);
        double predicted = Math.Clamp(intercept + slope * Math.Log2(2.0 * largest), 0, 1);
        return new ScalingFitResult(intercept, slope, slope - 1.96 * se, slope + 1.96 * se, largest, predicted, points, method);
    }
}
