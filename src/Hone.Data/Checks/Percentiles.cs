namespace Hone.Data.Checks;

/// <summary>
/// Percentiles by linear interpolation between closest ranks (Hyndman &amp; Fan type 7, numpy's default):
/// for sorted x[0..n-1] and p in [0, 100], h = (n − 1)·p/100 and the result is x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
/// </summary>
public static class Percentiles
{
    /// <summary>The <paramref name="p"/>-th percentile of an ascending-sorted list.</summary>
    /// <exception cref="ArgumentException">The list is empty or p is outside [0, 100].</exception>
    public static double OfSorted(IReadOnlyList<int> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0) throw new ArgumentException("No values.", nameof(sorted));
        if (p is < 0 or > 100 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "p must be in [0, 100].");
        var h = (sorted.Count - 1) * p / 100.0;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
