using Hone.Core;
using Hone.Training.Analysis;
using Hone.Training.Loop;
using ScottPlot;
using SkiaSharp;

namespace Hone.Training.Improve;

/// <summary>
/// The scaling plot, drawn with ScottPlot like the training charts: golden-set accuracy per rung with its 95% interval
/// against log2(training examples), the fitted line, and the extrapolated point at twice the largest set; SVG and PNG.
/// </summary>
public static class ScalingChart
{
    /// <summary>Writes the plot to <paramref name="svgPath"/> and its PNG beside it (atomically).</summary>
    public static void Write(string svgPath, ScalingFitResult fit, IReadOnlyList<(int Size, CheckpointScore Score)> rungs)
    {
        ArgumentNullException.ThrowIfNull(fit);
        ArgumentNullException.ThrowIfNull(rungs);
        var plot = new Plot();
        plot.Title("Golden-set accuracy against training-set size");
        plot.XLabel("log2(training examples)");
        plot.YLabel("golden accuracy");
        var xs = rungs.Select(r => Math.Log2(r.Size)).ToArray();
        var ys = rungs.Select(r => r.Score.Value).ToArray();
        var bars = plot.Add.ErrorBar(xs, ys, rungs.Select(r => (r.Score.High - r.Score.Low) / 2).ToArray());
        bars.Color = Color.FromHex("#1f77b4");
        var points = plot.Add.ScatterPoints(xs, ys, Color.FromHex("#1f77b4"));
        points.MarkerSize = 7;
        points.LegendText = "measured (95% CI)";
        double x0 = xs.Min(), x1 = Math.Log2(2.0 * fit.LargestSize);
        var line = plot.Add.Line(x0, fit.Intercept + fit.GainPerDoubling * x0, x1, fit.Intercept + fit.GainPerDoubling * x1);
        line.Color = Color.FromHex("#ff7f0e");
        line.LegendText = $"fit: {fit.GainPerDoubling * 100:+0.0;-0.0} points per doubling";
        var next = plot.Add.ScatterPoints(new[] { x1 }, new[] { fit.PredictedAtDouble }, Color.FromHex("#ff7f0e"));
        next.MarkerSize = 7;
        next.LegendText = $"2× data: {fit.PredictedAtDouble * 100:0.0}% (extrapolated)";
        plot.Axes.SetLimitsY(0, 1.05);
        plot.ShowLegend(Alignment.LowerRight);
        int width = TrainingChart.Width, height = TrainingChart.PanelHeight * 2;
        AtomicFile.Write(svgPath, stream =>
        {
            using var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), stream);
            canvas.Clear(SKColors.White);
            plot.Render(canvas, new PixelRect(0, width, height, 0));
        });
        AtomicFile.WriteAllBytes(TrainingChart.PngPath(svgPath), plot.GetImageBytes(width, height, ImageFormat.Png));
    }
}
