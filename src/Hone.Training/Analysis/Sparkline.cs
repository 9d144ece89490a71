using System.Text;

namespace Hone.Training.Analysis;

/// <summary>A series as a one-line terminal chart of block characters (▁ lowest … █ highest).</summary>
public static class Sparkline
{
    private const string Blocks = "▁▂▃▄▅▆▇█";

    /// <summary>
    /// Renders <paramref name="values"/> in at most <paramref name="width"/> characters (longer series are averaged
    /// into buckets). Non-finite values are skipped; an empty series gives "".
    /// </summary>
    public static string Render(IReadOnlyList<double> values, int width = 40)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0) return "";
        int n = Math.Min(width, finite.Length);
        var buckets = new double[n];
        for (int b = 0; b < n; b++)
        {
            int from = (int)((long)b * finite.Length / n), to = (int)((long)(b + 1) * finite.Length / n);
            double s = 0;
            for (int i = from; i < to; i++) s += finite[i];
            buckets[b] = s / (to - from);
        }
        double min = buckets.Min(), max = buckets.Max();
        var sb = new StringBuilder(n);
        foreach (var v in buckets)
        {
            int level = max > min ? (int)Math.Round((v - min) / (max - min) * (Blocks.Length - 1)) : 0;
            sb.Append(Blocks[level]);
        }
        return sb.ToString();
    }
}
