using System.Globalization;
using System.Security;
using System.Text;
using Hone.Store;
using Hone.Training.Runs;

namespace Hone.Training.Analysis;

/// <summary>One line of a chart.</summary>
/// <param name="Name">Legend text (the metric name).</param>
/// <param name="Points">(x, y) points in order; non-finite ones are skipped.</param>
/// <param name="Color">SVG colour.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points, string Color);

/// <summary>One panel: a y-axis label and its series (sharing the x axis, "step").</summary>
public sealed record ChartPanel(string YLabel, IReadOnlyList<ChartSeries> Series);

/// <summary>
/// A small self-contained SVG writer for training curves: panels stacked vertically, each with axes, min/max tick
/// labels, an x label, a y label, one polyline per non-empty series and a legend.
/// </summary>
public static class SvgChart
{
    private const int Width = 640, PanelHeight = 240, Left = 70, Right = 170, Top = 36, Bottom = 40;

    /// <summary>The SVG text of <paramref name="panels"/> under <paramref name="title"/>.</summary>
    public static string Render(string title, IReadOnlyList<ChartPanel> panels)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(panels);
        int height = Math.Max(1, panels.Count) * PanelHeight;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<title>{Esc(title)}</title>\n<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>\n");
        for (int p = 0; p < panels.Count; p++) RenderPanel(sb, panels[p], p * PanelHeight, p == 0 ? title : null);
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>Writes the standard SFT chart (loss panel, token-accuracy panel) atomically to <paramref name="path"/>.</summary>
    public static void WriteTrainingChart(string path, IReadOnlyList<MetricRow> history, IReadOnlyList<EpochMetrics> epochs)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(epochs);
        var loss = new ChartPanel("loss",
        [
            new(MetricNames.TrainLoss, history.Select(r => ((double)r.Step, r.TrainLoss)).ToList(), "#1f77b4"),
            new(MetricNames.ValidLoss, history.Where(r => r.ValidLoss is not null).Select(r => ((double)r.Step, r.ValidLoss!.Value)).ToList(), "#ff7f0e"),
            new(MetricNames.FullValidLoss, epochs.Select(e => ((double)e.Step, e.FullValidLoss)).ToList(), "#d62728"),
        ]);
        var acc = new ChartPanel("token accuracy",
        [
            new(MetricNames.TrainMeanTokenAccuracy, history.Select(r => ((double)r.Step, r.TrainAccuracy)).ToList(), "#1f77b4"),
            new(MetricNames.ValidMeanTokenAccuracy, history.Where(r => r.ValidAccuracy is not null).Select(r => ((double)r.Step, r.ValidAccuracy!.Value)).ToList(), "#ff7f0e"),
            new(MetricNames.FullValidMeanTokenAccuracy, epochs.Select(e => ((double)e.Step, e.FullValidAccuracy)).ToList(), "#d62728"),
        ]);
        AtomicFile.WriteAllText(path, Render("Training curves", [loss, acc]));
    }

    private static void RenderPanel(StringBuilder sb, ChartPanel panel, int y0, string? title)
    {
        var series = panel.Series.Select(s => s with { Points = s.Points.Where(q => double.IsFinite(q.X) && double.IsFinite(q.Y)).ToList() })
            .Where(s => s.Points.Count > 0).ToList();
        var all = series.SelectMany(s => s.Points).ToList();
        double xMin = all.Count == 0 ? 0 : all.Min(q => q.X), xMax = all.Count == 0 ? 1 : all.Max(q => q.X);
        double yMin = all.Count == 0 ? 0 : all.Min(q => q.Y), yMax = all.Count == 0 ? 1 : all.Max(q => q.Y);
        if (xMax <= xMin) xMax = xMin + 1;
        if (yMax <= yMin) { yMax = yMin + 0.5; yMin -= 0.5; }
        int plotW = Width - Left - Right, plotH = PanelHeight - Top - Bottom;
        int top = y0 + Top, bottom = top + plotH, right = Left + plotW;
        string X(double x) => F(Left + ((x - xMin) / (xMax - xMin) * plotW));
        string Y(double y) => F(bottom - ((y - yMin) / (yMax - yMin) * plotH));

        if (title is not null) sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{y0 + 20}\" font-size=\"14\">{Esc(title)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{bottom}\" x2=\"{right}\" y2=\"{bottom}\" stroke=\"black\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{top}\" x2=\"{Left}\" y2=\"{bottom}\" stroke=\"black\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{Left}\" y=\"{bottom + 14}\" text-anchor=\"middle\">{F(xMin)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{right}\" y=\"{bottom + 14}\" text-anchor=\"middle\">{F(xMax)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{Left - 4}\" y=\"{bottom}\" text-anchor=\"end\">{G(yMin)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{Left - 4}\" y=\"{top + 4}\" text-anchor=\"end\">{G(yMax)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text class=\"xlabel\" x=\"{Left + (plotW / 2)}\" y=\"{bottom + 30}\" text-anchor=\"middle\">step</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text class=\"ylabel\" transform=\"translate({Left - 50},{top + (plotH / 2)}) rotate(-90)\" text-anchor=\"middle\">{Esc(panel.YLabel)}</text>\n");
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var pts = string.Join(' ', s.Points.Select(q => X(q.X) + "," + Y(q.Y)));
            sb.Append(CultureInfo.InvariantCulture, $"<polyline data-series=\"{Esc(s.Name)}\" fill=\"none\" stroke=\"{Esc(s.Color)}\" stroke-width=\"1.5\" points=\"{pts}\"/>\n");
            int ly = top + 10 + (i * 16);
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{right + 10}\" y1=\"{ly - 4}\" x2=\"{right + 26}\" y2=\"{ly - 4}\" stroke=\"{Esc(s.Color)}\" stroke-width=\"2\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text class=\"legend\" x=\"{right + 30}\" y=\"{ly}\">{Esc(s.Name)}</text>\n");
        }
    }

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string G(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Esc(string s) => SecurityElement.Escape(s) ?? "";
}
