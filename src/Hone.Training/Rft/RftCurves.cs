using System.Globalization;
using Hone.Store;
using Hone.Training.Analysis;
using Hone.Training.Runs;

namespace Hone.Training.Rft;

/// <summary>
/// The chart and the diagnosis of an RFT run, read from its reward curves (the GRPO loss is not a convergence signal:
/// with normalised advantages its mean is near zero whatever the policy does). Rules (windows are a fifth of the steps,
/// at least one):
/// not converging — the last window's mean <c>train_reward_mean</c> is not above the first window's by 0.05, with a
/// hint when most groups had equal rewards (no signal to learn from);
/// under-fitting — otherwise, the last window is still more than 0.05 above the window before it and below 0.95;
/// over-fitting — the last epoch's <c>full_valid_mean_reward</c> is more than 0.1 below the best epoch's (the best
/// checkpoints are kept).
/// </summary>
public static class RftCurves
{
    /// <summary>Writes the reward and KL panels atomically to <paramref name="path"/> (SVG) and its PNG.</summary>
    public static void WriteChart(string path, IReadOnlyList<RftStepRow> history, IReadOnlyList<RftEpochRow> epochs) =>
        TrainingChart.Write(path, "RFT curves", Panels(history, epochs));

    /// <summary>The chart's panels: reward (train, valid batch, full valid), and KL with the zero-variance group share.</summary>
    public static IReadOnlyList<ChartPanel> Panels(IReadOnlyList<RftStepRow> history, IReadOnlyList<RftEpochRow> epochs)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(epochs);
        var reward = new ChartPanel("reward",
        [
            new(MetricNames.TrainRewardMean, history.Select(r => ((double)r.Step, r.RewardMean)).ToList(), "#1f77b4"),
            new(MetricNames.ValidRewardMean, history.Where(r => r.ValidRewardMean is not null).Select(r => ((double)r.Step, r.ValidRewardMean!.Value)).ToList(), "#ff7f0e"),
            new(MetricNames.FullValidMeanReward, epochs.Select(e => ((double)e.Step, e.MeanReward)).ToList(), "#d62728"),
        ]);
        var signal = new ChartPanel("KL, zero-variance share",
        [
            new(MetricNames.Kl, history.Select(r => ((double)r.Step, r.Kl)).ToList(), "#2ca02c"),
            new(MetricNames.ZeroVarianceGroupShare, history.Select(r => ((double)r.Step, r.ZeroVarianceShare)).ToList(), "#9467bd"),
        ]);
        return [reward, signal];
    }

    /// <summary>The findings the curves support (none when the run looks healthy or is too short to judge).</summary>
    public static IReadOnlyList<CurveFinding> Diagnose(IReadOnlyList<RftStepRow> history, IReadOnlyList<RftEpochRow> epochs)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(epochs);
        var findings = new List<CurveFinding>();
        if (history.Count >= 2)
        {
            int w = Math.Max(1, history.Count / 5);
            double first = history.Take(w).Average(r => r.RewardMean), last = history.TakeLast(w).Average(r => r.RewardMean);
            double zeroShare = history.Average(r => r.ZeroVarianceShare);
            if (last < first + 0.05 && first < 0.95)
            {
                var hint = zeroShare >= 0.8
                    ? $" {F(zeroShare * 100)}% of the groups had equal rewards for every sample, so they carried no signal."
                    : "";
                findings.Add(new(CurveFindingKind.NotConverging,
                    $"The mean reward did not rise: {F(first)} over the first steps, {F(last)} over the last.{hint}",
                    zeroShare >= 0.8
                        ? "Make rewards differ within a group: raise --samples-per-prompt or --temperature, give the grader partial credit, or SFT first so the model sometimes succeeds."
                        : "Raise the learning rate (--lr-multiplier), train longer (--epochs), or lower --kl."));
            }
            else if (history.Count >= 2 * w + 1)
            {
                double before = history.Skip(history.Count - 2 * w).Take(w).Average(r => r.RewardMean);
                if (last > before + 0.05 && last < 0.95)
                    findings.Add(new(CurveFindingKind.UnderFitting,
                        $"The mean reward was still rising at the end: {F(before)} → {F(last)} over the last two windows.", "Train for more epochs (--epochs)."));
            }
        }
        if (epochs.Count >= 2)
        {
            var best = epochs.MaxBy(e => e.MeanReward)!;
            if (epochs[^1].MeanReward < best.MeanReward - 0.1)
                findings.Add(new(CurveFindingKind.OverFitting,
                    $"full_valid_mean_reward fell from {F(best.MeanReward)} (epoch {best.Epoch}) to {F(epochs[^1].MeanReward)} at the end.",
                    $"Export the kept checkpoint of epoch {best.Epoch} (`hone export RUN --epoch {best.Epoch}`), train fewer epochs, raise --kl, or add more varied prompts."));
        }
        return findings;
    }

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
