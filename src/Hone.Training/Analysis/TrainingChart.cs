using Hone.Core;
using Hone.Store;
using Hone.Training.Runs;
using ScottPlot;
using SkiaSharp;

namespace Hone.Training.Analysis;

/// <summary>
/// Training curves drawn with ScottPlot: panels stacked vertically (one <see cref="Plot"/> each in a
/// <see cref="Multiplot"/>), each with its y label, "step" on the x axis, one line with markers per non-empty series and a
/// legend; written as SVG (<c>chart.svg</c>) and PNG (<c>chart.png</c> beside it). Rendering needs no display (SkiaSharp's
/// self-contained native library) and a font on the machine (Debian's fonts-dejavu-core).
/// </summary>
public static class TrainingChart
{
    /// <summary>The image width in pixels.</summary>
    public const int Width = 640;

    /// <summary>The height of one panel in pixels.</summary>
    public const int PanelHeight = 240;

    /// <summary>The PNG written beside the SVG at <paramref name="svgPath"/>.</summary>
    public static string PngPath(string svgPath) => Path.ChangeExtension(svgPath, ".png");

    /// <summary>The chart of <paramref name="panels"/> under <paramref name="title"/>, before rendering (one plot per panel).</summary>
    public static Multiplot Build(string title, IReadOnlyList<ChartPanel> panels)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(panels);
        var chart = new Multiplot { Layout = new ScottPlot.MultiplotLayouts.Rows() };
        chart.AddPlots(Math.Max(1, panels.Count));
        for (int p = 0; p < panels.Count; p++)
        {
            var plot = chart.GetPlot(p);
            if (p == 0) plot.Title(title);
            plot.XLabel("step");
            plot.YLabel(panels[p].YLabel);
            foreach (var s in panels[p].Series)
            {
                var points = s.Points.Where(q => double.IsFinite(q.X) && double.IsFinite(q.Y)).ToArray();
                if (points.Length == 0) continue;
                var line = plot.Add.Scatter(points.Select(q => q.X).ToArray(), points.Select(q => q.Y).ToArray(), Color.FromHex(s.Color));
                line.LegendText = s.Name;
                line.LineWidth = 1.5f;
                line.MarkerSize = points.Length == 1 ? 6 : 3;
            }
            plot.ShowLegend(Alignment.UpperRight);
        }
        return chart;
    }

    /// <summary>Draws the chart and writes it atomically as SVG to <paramref name="svgPath"/> and as PNG beside it.</summary>
    public static void Write(string svgPath, string title, IReadOnlyList<ChartPanel> panels)
    {
        ArgumentNullException.ThrowIfNull(svgPath);
        var chart = Build(title, panels);
        int height = Math.Max(1, panels.Count) * PanelHeight;
        AtomicFile.Write(svgPath, stream =>
        {
            using var canvas = SKSvgCanvas.Create(new SKRect(0, 0, Width, height), stream);
            canvas.Clear(SKColors.White);
            chart.Render(canvas, new PixelRect(0, Width, height, 0));
        });
        AtomicFile.WriteAllBytes(PngPath(svgPath), chart.Render(Width, height).GetImageBytes(ImageFormat.Png));
    }

    /// <summary>Writes the standard SFT chart (loss panel, token-accuracy panel) to <paramref name="path"/> and its PNG.</summary>
    public static void WriteTrainingChart(string path, IReadOnlyList<MetricRow> history, IReadOnlyList<EpochMetrics> epochs)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(epochs);
        Write(path, "Training curves", SftPanels(history, epochs));
    }

    /// <summary>The SFT chart's panels: loss, and token accuracy (train, valid batch, full valid).</summary>
    public static IReadOnlyList<ChartPanel> SftPanels(IReadOnlyList<MetricRow> history, IReadOnlyList<EpochMetrics> epochs)
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
        return [loss, acc];
    }
}
