using System.Xml.Linq;
using Hone.Training.Analysis;
using Hone.Training.Runs;

namespace Hone.Training.Tests;

public class AnalysisTests
{
    private static List<MetricRow> Rows(Func<int, double> train, Func<int, double?>? valid = null, int n = 50) =>
        Enumerable.Range(1, n).Select(s => new MetricRow(s, 1, train(s), 0.5, valid?.Invoke(s), valid?.Invoke(s) is null ? null : 0.5)).ToList();

    [Fact]
    public void A_flat_training_loss_is_not_converging()
    {
        var f = CurveDiagnosis.Diagnose(Rows(s => 2.0 + (0.01 * Math.Sin(s))), []);
        Assert.Equal([CurveFindingKind.NotConverging], f.Select(x => x.Kind));
        Assert.Contains("lr-multiplier", f[0].Suggestion, StringComparison.Ordinal);
    }

    [Fact]
    public void A_loss_still_falling_steeply_is_under_fitting()
    {
        var f = CurveDiagnosis.Diagnose(Rows(s => 3.0 - (0.05 * s)), []);
        Assert.Equal([CurveFindingKind.UnderFitting], f.Select(x => x.Kind));
        Assert.Contains("epochs", f[0].Suggestion, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_loss_rising_while_train_falls_is_over_fitting()
    {
        var rows = Rows(s => 3.0 * Math.Exp(-s / 10.0), s => s % 10 == 0 ? 1.0 + Math.Pow((s - 20) / 20.0, 2) : null);
        var f = CurveDiagnosis.Diagnose(rows, []);
        Assert.Contains(f, x => x.Kind == CurveFindingKind.OverFitting);
        Assert.DoesNotContain(f, x => x.Kind == CurveFindingKind.UnderFitting);
        // The epoch-end curve takes precedence when there are three epochs or more.
        var epochs = new List<EpochMetrics> { new(1, 10, 1.5, 0.5), new(2, 20, 1.2, 0.6), new(3, 30, 1.4, 0.6), new(4, 40, 1.7, 0.6) };
        Assert.Contains(CurveDiagnosis.Diagnose(Rows(s => 3.0 * Math.Exp(-s / 10.0)), epochs), x => x.Kind == CurveFindingKind.OverFitting);
    }

    [Fact]
    public void A_converged_run_gets_no_finding()
    {
        var rows = Rows(s => 0.3 + (2.0 * Math.Exp(-s / 3.0)), s => s % 10 == 0 ? 0.5 - (0.001 * s) : null);
        Assert.Empty(CurveDiagnosis.Diagnose(rows, []));
    }

    /// <summary>The panels of a chart, top to bottom.</summary>
    internal static ScottPlot.Plot[] Plots(ScottPlot.Multiplot chart) => [.. ScottPlot.IMultiplotExtensions.GetPlots(chart)];

    /// <summary>Each line of a plot by its legend text, with its number of points.</summary>
    internal static Dictionary<string, int> Lines(ScottPlot.Plot plot) =>
        plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().ToDictionary(s => s.LegendText, s => s.Data.GetScatterPoints().Count);

    /// <summary>The width and height of a PNG file, from its IHDR chunk (after checking the signature).</summary>
    internal static (int Width, int Height) PngSize(string path)
    {
        var b = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, b[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(b, 12, 4));
        return (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(20)));
    }

    [Fact]
    public void The_sft_chart_plots_every_point_of_each_non_empty_series_in_two_panels()
    {
        var rows = Rows(s => 2.0 / s, s => s % 10 == 0 ? 1.0 / s : null, n: 30);
        var plots = AnalysisTests.Plots(TrainingChart.Build("Training curves", TrainingChart.SftPanels(rows, [new(1, 30, 0.2, 0.7)])));
        Assert.Equal(2, plots.Length);
        Assert.Equal(new Dictionary<string, int> { ["train_loss"] = 30, ["valid_loss"] = 3, ["full_valid_loss"] = 1 }, Lines(plots[0]));
        Assert.Equal(new Dictionary<string, int> { ["train_mean_token_accuracy"] = 30, ["valid_mean_token_accuracy"] = 3, ["full_valid_mean_token_accuracy"] = 1 },
            Lines(plots[1]));
        Assert.Equal("loss", plots[0].Axes.Left.Label.Text);
        Assert.Equal("token accuracy", plots[1].Axes.Left.Label.Text);
        Assert.Equal("step", plots[1].Axes.Bottom.Label.Text);

        // Without validation only the training series are drawn; non-finite points are left out.
        var bare = Plots(TrainingChart.Build("t", [new ChartPanel("loss", [new("a", [(1, 2), (2, double.NaN), (3, 1)], "#ff0000"), new("empty", [], "#0000ff")])]));
        Assert.Equal(new Dictionary<string, int> { ["a"] = 2 }, Lines(Assert.Single(bare)));
    }

    [Fact]
    public void The_sft_chart_is_written_as_an_svg_and_a_png_of_the_same_size()
    {
        var rows = Rows(s => 2.0 / s, s => s % 10 == 0 ? 1.0 / s : null, n: 30);
        var path = Path.Combine(Hone.Testing.TestAssets.NewTempDir(), "chart.svg");
        TrainingChart.WriteTrainingChart(path, rows, [new(1, 30, 0.2, 0.7)]);
        var svg = XDocument.Load(path).Root!;
        Assert.Equal(XName.Get("svg", "http://www.w3.org/2000/svg"), svg.Name);
        Assert.Equal("640", (string?)svg.Attribute("width"));
        Assert.Equal("480", (string?)svg.Attribute("height"));
        var text = string.Concat(svg.Descendants().Where(e => e.Name.LocalName == "text").Select(t => t.Value));
        foreach (var label in new[] { "Training curves", "step", "loss", "token accuracy", "train_loss", "valid_loss", "full_valid_mean_token_accuracy" })
            Assert.Contains(label, text, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(Path.GetDirectoryName(path)!, "chart.png"), TrainingChart.PngPath(path));
        Assert.Equal((640, 480), PngSize(TrainingChart.PngPath(path)));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Fact]
    public void Sparkline_maps_min_to_lowest_and_max_to_highest_block()
    {
        Assert.Equal("▁▂▃▄▅▆▇█", Sparkline.Render([0, 1, 2, 3, 4, 5, 6, 7]));
        Assert.Equal("█▁", Sparkline.Render([5, 5, 1, 1], width: 2));
        Assert.Equal("", Sparkline.Render([]));
        Assert.Equal("▁▁", Sparkline.Render([3, double.NaN, 3]));
    }
}
