using Hone.Training.Analysis;
using Hone.Training.Rft;

namespace Hone.Training.Tests.Rft;

public class RftCurvesTests
{
    private static List<RftStepRow> Rows(params double[] rewards) => rewards.Select((r, i) =>
        new RftStepRow(i + 1, 1, 0, r, new Dictionary<string, double>(), 0.01, r is 0 or 1 ? 1 : 0.2, 4, null)).ToList();

    private static RftEpochRow Epoch(int e, double reward) => new(e, e * 5, reward, 0, new Dictionary<string, double>());

    [Fact]
    public void A_rising_reward_that_holds_on_validation_gives_no_finding()
    {
        Assert.Empty(RftCurves.Diagnose(Rows(0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 1, 1, 1, 1), [Epoch(1, 0.5), Epoch(2, 1)]));
        Assert.Empty(RftCurves.Diagnose(Rows(0.5), []));
    }

    [Fact]
    public void A_flat_zero_reward_is_not_converging_with_the_no_signal_hint()
    {
        var f = Assert.Single(RftCurves.Diagnose(Rows(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), []));
        Assert.Equal(CurveFindingKind.NotConverging, f.Kind);
        Assert.Contains("100% of the groups", f.Message, StringComparison.Ordinal);
        Assert.Contains("--samples-per-prompt", f.Suggestion, StringComparison.Ordinal);
        var plain = Assert.Single(RftCurves.Diagnose(Rows(0.4, 0.5, 0.4, 0.5, 0.4, 0.5, 0.4, 0.5, 0.4, 0.45), []));
        Assert.Contains("--lr-multiplier", plain.Suggestion, StringComparison.Ordinal);
    }

    [Fact]
    public void Still_rising_is_under_fitting_and_a_falling_validation_reward_is_over_fitting()
    {
        var f = Assert.Single(RftCurves.Diagnose(Rows(0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4, 0.6, 0.7), []));
        Assert.Equal(CurveFindingKind.UnderFitting, f.Kind);
        Assert.Contains("0.4 → 0.65", f.Message, StringComparison.Ordinal);
        var o = Assert.Single(RftCurves.Diagnose(Rows(0.1, 0.5, 1, 1, 1), [Epoch(1, 0.4), Epoch(2, 0.9), Epoch(3, 0.6)]));
        Assert.Equal(CurveFindingKind.OverFitting, o.Kind);
        Assert.Contains("epoch 2", o.Suggestion, StringComparison.Ordinal);
    }

    [Fact]
    public void The_chart_has_both_panels()
    {
        var path = Path.Combine(Hone.Testing.TestAssets.NewTempDir(), "chart.svg");
        RftCurves.WriteChart(path, Rows(0.1, 0.5, 1), [Epoch(1, 0.5)]);
        var svg = File.ReadAllText(path);
        foreach (var name in new[] { "train_reward_mean", "full_valid_mean_reward", "kl", "zero_variance_group_share" })
            Assert.Contains(name, svg, StringComparison.Ordinal);
        Assert.Equal((640, 480), AnalysisTests.PngSize(TrainingChart.PngPath(path)));
        var plots = AnalysisTests.Plots(TrainingChart.Build("RFT curves", RftCurves.Panels(Rows(0.1, 0.5, 1), [Epoch(1, 0.5)])));
        Assert.Equal(new Dictionary<string, int> { ["train_reward_mean"] = 3, ["full_valid_mean_reward"] = 1 }, AnalysisTests.Lines(plots[0]));
        Assert.Equal(new Dictionary<string, int> { ["kl"] = 3, ["zero_variance_group_share"] = 3 }, AnalysisTests.Lines(plots[1]));
    }
}
