using Hone.Store;
using Hone.Training.Analysis;
using Hone.Training.Objectives;
using Hone.Training.Runs;

namespace Hone.Training.Dpo;

/// <summary>How a DPO run reads: its results CSV's header, the chart (loss, reward accuracy, reward margin) and the rows in the shape the shared curve diagnosis reads.</summary>
public static class DpoReport
{
    /// <summary>Header of the DPO results CSV.</summary>
    public static string CsvHeader => DpoTrainer.Results.Header;

    /// <summary>The rows in the shape the shared curve diagnosis and chart read (loss, reward accuracy).</summary>
    public static List<MetricRow> AsMetricRows(IEnumerable<DpoStepRow> rows) =>
        rows.Select(r => new MetricRow(r.Step, r.Epoch, r.Train.Loss, r.Train.RewardAccuracy, r.Valid?.Loss, r.Valid?.RewardAccuracy)).ToList();

    /// <summary>Epoch rows in the shape the shared curve diagnosis reads.</summary>
    public static List<EpochMetrics> AsEpochMetrics(IEnumerable<DpoEpochRow> rows) =>
        rows.Select(e => new EpochMetrics(e.Epoch, e.Step, e.FullValid.Loss, e.FullValid.RewardAccuracy)).ToList();

    /// <summary>Writes the chart (loss; reward accuracy; reward margin — train, valid batch, full valid) atomically, SVG and PNG.</summary>
    public static void WriteChart(string path, IReadOnlyList<DpoStepRow> history, IReadOnlyList<DpoEpochRow> epochs) =>
        TrainingChart.Write(path, "DPO curves", Panels(history, epochs));

    /// <summary>The chart's panels: loss, reward accuracy and reward margin, each train, valid batch and full valid.</summary>
    public static IReadOnlyList<ChartPanel> Panels(IReadOnlyList<DpoStepRow> history, IReadOnlyList<DpoEpochRow> epochs)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(epochs);
        ChartPanel Panel(string label, Func<DpoMetrics, double> f) => new(label,
        [
            new("train", history.Select(r => ((double)r.Step, f(r.Train))).ToList(), "#1f77b4"),
            new("valid", history.Where(r => r.Valid is not null).Select(r => ((double)r.Step, f(r.Valid!.Value))).ToList(), "#ff7f0e"),
            new("full_valid", epochs.Select(e => ((double)e.Step, f(e.FullValid))).ToList(), "#d62728"),
        ]);
        return [Panel("loss", m => m.Loss), Panel(MetricNames.RewardsAccuracies, m => m.RewardAccuracy), Panel(MetricNames.RewardsMargins, m => m.RewardMargin)];
    }
}
