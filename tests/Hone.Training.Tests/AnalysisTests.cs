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

    [Fact]
    public void Svg_is_valid_xml_with_one_polyline_per_non_empty_series_and_axis_labels()
    {
        var rows = Rows(s => 2.0 / s, s => s % 10 == 0 ? 1.0 / s : null, n: 30);
        var path = Path.Combine(Hone.Testing.TestAssets.NewTempDir(), "chart.svg");
        SvgChart.WriteTrainingChart(path, rows, [new(1, 30, 0.2, 0.7)]);
        var doc = XDocument.Load(path);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var lines = doc.Descendants(ns + "polyline").ToList();
        Assert.Equal(6, lines.Count);
        Assert.Contains(lines, l => (string?)l.Attribute("data-series") == "valid_loss" && l.Attribute("points")!.Value.Split(' ').Length == 3);
        var texts = doc.Descendants(ns + "text").Select(t => t.Value).ToList();
        Assert.Contains("step", texts);
        Assert.Contains("loss", texts);
        Assert.Contains("token accuracy", texts);

        // Without validation, only the training series are drawn.
        var svg = XDocument.Parse(SvgChart.Render("t <&>", [new ChartPanel("loss", [new("a", [(1, 2), (2, 1)], "red"), new("empty", [], "blue")])]));
        Assert.Single(svg.Descendants(ns + "polyline"));
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
