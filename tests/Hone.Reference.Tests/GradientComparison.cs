namespace Hone.Reference.Tests;

/// <summary>Holds Hone's float32 gradients to the float64 reference's, tensor by tensor, at every coordinate.</summary>
internal static class GradientComparison
{
    /// <summary>
    /// For each tensor, max |g_hone − g_ref| / (max |g_ref| + 1e-8); every tensor must be present on both sides, carry a
    /// non-zero reference gradient (else the comparison proves nothing) and stay under <paramref name="tolerance"/>.
    /// Logs every tensor; fails naming each tensor over the tolerance. Returns the largest relative difference.
    /// </summary>
    public static double AssertClose(IReadOnlyDictionary<string, float[]> hone, IReadOnlyDictionary<string, double[]> reference,
        double tolerance, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(hone);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(log);
        Assert.Equal(reference.Keys.Order(StringComparer.Ordinal), hone.Keys.Order(StringComparer.Ordinal));
        double worst = 0;
        var failures = new List<string>();
        foreach (var name in reference.Keys.Order(StringComparer.Ordinal))
        {
            var g = reference[name];
            var h = hone[name];
            Assert.Equal(g.Length, h.Length);
            double scale = 0, diff = 0;
            int at = 0;
            for (int i = 0; i < g.Length; i++)
            {
                scale = Math.Max(scale, Math.Abs(g[i]));
                double d = Math.Abs(h[i] - g[i]);
                if (d > diff)
                {
                    diff = d;
                    at = i;
                }
            }

            double rel = diff / (scale + 1e-8);
            string line = $"  {name}: {rel:E2} (max |g_ref| {scale:E2}; worst at [{at}]: hone {h[at]:E6}, reference {g[at]:E6})";
            log(line);
            if (scale < 1e-10)
            {
                failures.Add($"{name}: the reference gradient is zero everywhere, so the comparison proves nothing");
            }
            else if (!(rel < tolerance))
            {
                failures.Add(line.Trim());
            }

            worst = Math.Max(worst, rel);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} tensor(s) beyond relative tolerance {tolerance:E1}:\n" + string.Join("\n", failures));
        return worst;
    }
}
