using System.Globalization;
using System.Text;

namespace Hone.Ui;

/// <summary>One series of a line chart.</summary>
/// <param name="Name">Its name (the metric), shown in the legend and in <c>data-series</c>.</param>
/// <param name="Points">(x, y) points, ascending in x.</param>
/// <param name="Css">The CSS class giving its colour and dash (s1..s6, plus <c>faint</c> for raw under smoothed).</param>
/// <param name="Total">How many points the series had before downsampling.</param>
internal sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points, string Css, int Total);

/// <summary>
/// Server-rendered SVG charts: no script and no charting library in the browser, so the pages work offline, print, and
/// export as they are. Curves are downsampled on the server (<see cref="Downsample"/>) so 100,000 steps cost the browser
/// a few hundred points.
/// </summary>
internal static class Svg
{
    /// <summary>The most points drawn per series.</summary>
    public const int MaxPoints = 600;

    /// <summary>
    /// Largest-triangle-three-buckets downsampling: keeps the first and last points and, in each bucket between, the
    /// point making the largest triangle with its neighbours' picks, so spikes survive (a plain stride would drop them).
    /// </summary>
    public static IReadOnlyList<(double X, double Y)> Downsample(IReadOnlyList<(double X, double Y)> data, int threshold = MaxPoints)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (threshold < 3 || data.Count <= threshold) return data;
        var sampled = new List<(double, double)>(threshold) { data[0] };
        double every = (double)(data.Count - 2) / (threshold - 2);
        int a = 0;
        for (int i = 0; i < threshold - 2; i++)
        {
            int avgStart = (int)Math.Floor((i + 1) * every) + 1, avgEnd = Math.Min((int)Math.Floor((i + 2) * every) + 1, data.Count);
            double avgX = 0, avgY = 0;
            for (int j = avgStart; j < avgEnd; j++) { avgX += data[j].X; avgY += data[j].Y; }
            int len = Math.Max(1, avgEnd - avgStart);
            avgX /= len;
            avgY /= len;
            int start = (int)Math.Floor(i * every) + 1, end = (int)Math.Floor((i + 1) * every) + 1;
            double maxArea = -1;
            int pick = start;
            for (int j = start; j < end; j++)
            {
                double area = Math.Abs((data[a].X - avgX) * (data[j].Y - data[a].Y) - (data[a].X - data[j].X) * (avgY - data[a].Y));
                if (area > maxArea) { maxArea = area; pick = j; }
            }
            sampled.Add(data[pick]);
            a = pick;
        }
        sampled.Add(data[^1]);
        return sampled;
    }

    /// <summary>
    /// Exponential moving average (the smoothed twin of a noisy training curve); by default its window is about a
    /// twentieth of the curve (α = 20/n, within 0.02..0.5), so short runs are not drowned in lag.
    /// </summary>
    public static IReadOnlyList<(double X, double Y)> Smooth(IReadOnlyList<(double X, double Y)> data, double? alpha = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        double a = alpha ?? Math.Clamp(20.0 / Math.Max(1, data.Count), 0.02, 0.5);
        var list = new List<(double, double)>(data.Count);
        double? ema = null;
        foreach (var (x, y) in data)
        {
            ema = ema is { } e ? e + a * (y - e) : y;
            list.Add((x, ema.Value));
        }
        return list;
    }

    /// <summary>A small inline line of values (the runs table's sparklines).</summary>
    public static string Sparkline(IReadOnlyList<double> values, string label, int width = 120, int height = 24)
    {
        ArgumentNullException.ThrowIfNull(values);
        var finite = values.Where(double.IsFinite).ToList();
        if (finite.Count == 0) return "";
        var pts = Downsample([.. finite.Select((v, i) => ((double)i, v))], width);
        double min = pts.Min(p => p.Y), max = pts.Max(p => p.Y), xmax = Math.Max(1, pts[^1].X);
        var sb = new StringBuilder($"<svg class=\"spark\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Html.E(label)}\"><polyline points=\"");
        foreach (var (x, y) in pts)
            sb.Append(F(x / xmax * (width - 2) + 1)).Append(',').Append(F(max > min ? (height - 2) - (y - min) / (max - min) * (height - 4) : height / 2.0)).Append(' ');
        return sb.Append("\"/></svg>").ToString();
    }

    /// <summary>
    /// A line chart of several series with axes, ticks, a legend and optional vertical markers (epoch ends, checkpoints).
    /// Each series' polyline carries <c>data-series</c> and <c>data-points</c> (points drawn) for tools and tests.
    /// </summary>
    public static string LineChart(string title, IReadOnlyList<Series> series, IReadOnlyList<(double X, string Label)>? markers = null,
        int width = 720, int height = 260, bool logY = false)
    {
        ArgumentNullException.ThrowIfNull(series);
        var drawn = series.Where(s => s.Points.Count > 0).ToList();
        var sb = new StringBuilder();
        sb.Append($"<figure class=\"chart\"><figcaption>{Html.E(title)}</figcaption>");
        if (drawn.Count == 0) return sb.Append("<p class=\"muted\">no points yet</p></figure>").ToString();
        double Y(double v) => logY ? Math.Log10(Math.Max(v, 1e-12)) : v;
        const int left = 56, right = 12, top = 10, bottom = 28;
        double xmin = drawn.Min(s => s.Points[0].X), xmax = drawn.Max(s => s.Points[^1].X);
        double ymin = drawn.Min(s => s.Points.Min(p => Y(p.Y))), ymax = drawn.Max(s => s.Points.Max(p => Y(p.Y)));
        if (xmax <= xmin) xmax = xmin + 1;
        if (ymax <= ymin) { ymax += 0.5; ymin -= 0.5; }
        double pad = (ymax - ymin) * 0.05;
        ymin -= pad;
        ymax += pad;
        double W = width - left - right, H = height - top - bottom;
        string PX(double x) => F(left + (x - xmin) / (xmax - xmin) * W);
        string PY(double y) => F(top + H - (Y(y) - ymin) / (ymax - ymin) * H);
        sb.Append($"<svg viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" aria-label=\"{Html.E(title)}: {Html.E(string.Join(", ", drawn.Select(s => s.Name)))}\">");
        sb.Append($"<rect class=\"plot\" x=\"{left}\" y=\"{top}\" width=\"{F(W)}\" height=\"{F(H)}\"/>");
        for (int i = 0; i <= 4; i++)
        {
            double yv = ymin + (ymax - ymin) * i / 4, yp = top + H - H * i / 4;
            var label = logY ? Math.Pow(10, yv).ToString("0.###", CultureInfo.InvariantCulture) : yv.ToString(Math.Abs(ymax - ymin) < 0.01 ? "0.####e0" : "0.###", CultureInfo.InvariantCulture);
            sb.Append($"<line class=\"grid\" x1=\"{left}\" x2=\"{F(left + W)}\" y1=\"{F(yp)}\" y2=\"{F(yp)}\"/><text class=\"tick\" x=\"{left - 4}\" y=\"{F(yp + 4)}\" text-anchor=\"end\">{Html.E(label)}</text>");
            double xv = xmin + (xmax - xmin) * i / 4;
            sb.Append($"<text class=\"tick\" x=\"{PX(xv)}\" y=\"{height - 8}\" text-anchor=\"middle\">{Html.E(xv.ToString("0.##", CultureInfo.InvariantCulture))}</text>");
        }
        foreach (var (x, label) in markers ?? [])
        {
            if (x < xmin || x > xmax) continue;
            sb.Append($"<line class=\"marker\" x1=\"{PX(x)}\" x2=\"{PX(x)}\" y1=\"{top}\" y2=\"{F(top + H)}\"><title>{Html.E(label)}</title></line>");
        }
        foreach (var s in drawn)
        {
            sb.Append($"<polyline class=\"{Html.E(s.Css)}\" data-series=\"{Html.E(s.Name)}\" data-points=\"{s.Points.Count}\" data-total=\"{s.Total}\" points=\"");
            foreach (var (x, y) in s.Points) sb.Append(PX(x)).Append(',').Append(PY(y)).Append(' ');
            sb.Append("\"/>");
            if (s.Points.Count == 1) sb.Append($"<circle class=\"{Html.E(s.Css)}\" cx=\"{PX(s.Points[0].X)}\" cy=\"{PY(s.Points[0].Y)}\" r=\"3\"/>");
        }
        sb.Append("</svg><ul class=\"legend\">");
        foreach (var s in drawn)
            sb.Append($"<li><span class=\"swatch {Html.E(s.Css)}\"></span>{Html.E(s.Name)} <span class=\"muted\">({s.Total} points{(s.Total > s.Points.Count ? $", {s.Points.Count} drawn" : "")}; last {Html.E(s.Points[^1].Y.ToString("G4", CultureInfo.InvariantCulture))})</span></li>");
        return sb.Append("</ul></figure>").ToString();
    }

    /// <summary>
    /// A scaling plot: accuracy per rung with its interval (error bars) against training-set size on a log2 axis, the fitted
    /// line accuracy = intercept + gain · log2(size), extended (dashed) to twice the largest size where the extrapolated point sits.
    /// Points carry <c>data-size</c> and <c>data-accuracy</c>; the fit line carries <c>data-gain</c>.
    /// </summary>
    public static string ScalingChart(string title, IReadOnlyList<(int Size, double Accuracy, double Low, double High)> points, double intercept, double gain,
        int largest, double predictedAtDouble, int width = 720, int height = 280)
    {
        ArgumentNullException.ThrowIfNull(points);
        var sb = new StringBuilder($"<figure class=\"chart scaling\"><figcaption>{Html.E(title)}</figcaption>");
        if (points.Count == 0) return sb.Append("<p class=\"muted\">no rungs yet</p></figure>").ToString();
        const int left = 56, right = 16, top = 10, bottom = 30;
        double xmin = Math.Log2(points.Min(p => p.Size)) - 0.25, xmax = Math.Log2(2.0 * largest) + 0.25;
        double ymin = Math.Min(points.Min(p => p.Low), predictedAtDouble), ymax = Math.Max(points.Max(p => p.High), predictedAtDouble);
        if (ymax - ymin < 0.05) { ymin -= 0.025; ymax += 0.025; }
        ymin = Math.Max(0, ymin - 0.02);
        ymax = Math.Min(1, ymax + 0.02);
        double W = width - left - right, H = height - top - bottom;
        string PX(double log2) => F(left + (log2 - xmin) / (xmax - xmin) * W);
        string PY(double y) => F(top + H - (Math.Clamp(y, ymin, ymax) - ymin) / (ymax - ymin) * H);
        sb.Append($"<svg viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" aria-label=\"{Html.E(title)}\">");
        sb.Append($"<rect class=\"plot\" x=\"{left}\" y=\"{top}\" width=\"{F(W)}\" height=\"{F(H)}\"/>");
        for (int i = 0; i <= 4; i++)
        {
            double yv = ymin + (ymax - ymin) * i / 4, yp = top + H - H * i / 4;
            sb.Append($"<line class=\"grid\" x1=\"{left}\" x2=\"{F(left + W)}\" y1=\"{F(yp)}\" y2=\"{F(yp)}\"/><text class=\"tick\" x=\"{left - 4}\" y=\"{F(yp + 4)}\" text-anchor=\"end\">{Html.E((yv * 100).ToString("0.#", CultureInfo.InvariantCulture))}%</text>");
        }
        for (int e = (int)Math.Ceiling(xmin); e <= (int)Math.Floor(xmax); e++)
            sb.Append($"<text class=\"tick\" x=\"{PX(e)}\" y=\"{height - 10}\" text-anchor=\"middle\">{Html.E(Math.Pow(2, e).ToString("0", CultureInfo.InvariantCulture))}</text>");
        double x0 = Math.Log2(points.Min(p => p.Size)), x1 = Math.Log2(largest), x2 = Math.Log2(2.0 * largest);
        string gainText = gain.ToString("R", CultureInfo.InvariantCulture);
        sb.Append($"<line class=\"s2 fit\" data-gain=\"{gainText}\" x1=\"{PX(x0)}\" y1=\"{PY(intercept + gain * x0)}\" x2=\"{PX(x1)}\" y2=\"{PY(intercept + gain * x1)}\"/>");
        sb.Append($"<line class=\"s2 fit extrapolated\" stroke-dasharray=\"4 4\" x1=\"{PX(x1)}\" y1=\"{PY(intercept + gain * x1)}\" x2=\"{PX(x2)}\" y2=\"{PY(predictedAtDouble)}\"/>");
        sb.Append($"<circle class=\"s1 predicted\" cx=\"{PX(x2)}\" cy=\"{PY(predictedAtDouble)}\" r=\"4\" fill=\"none\"><title>{Html.E($"extrapolated at {2 * largest}: {predictedAtDouble * 100:0.0}%")}</title></circle>");
        foreach (var p in points)
        {
            var x = PX(Math.Log2(p.Size));
            sb.Append($"<line class=\"s1 interval\" x1=\"{x}\" x2=\"{x}\" y1=\"{PY(p.Low)}\" y2=\"{PY(p.High)}\"/>");
            sb.Append($"<circle class=\"s1 rung\" data-size=\"{p.Size}\" data-accuracy=\"{p.Accuracy.ToString("R", CultureInfo.InvariantCulture)}\" cx=\"{x}\" cy=\"{PY(p.Accuracy)}\" r=\"3.5\">")
              .Append($"<title>{Html.E(string.Create(CultureInfo.InvariantCulture, $"{p.Size} examples: {p.Accuracy * 100:0.0}% ({p.Low * 100:0.0}–{p.High * 100:0.0}%)"))}</title></circle>");
        }
        sb.Append("</svg><ul class=\"legend\"><li><span class=\"swatch s1\"></span>golden accuracy per rung, 95% interval</li><li><span class=\"swatch s2\"></span>fit (dashed: extrapolated to twice the data)</li></ul>");
        return sb.Append("</figure>").ToString();
    }

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
}
