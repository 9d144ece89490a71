using System.Globalization;
using System.Text.Json;
using Hone.Store;
using Hone.Training.Analysis;
using Hone.Training.Objectives;
using Hone.Training.Runs;

namespace Hone.Training.Dpo;

/// <summary>
/// What a DPO run writes besides checkpoints: the results CSV (one row per step, fixed metric names), the SVG chart
/// (loss, reward accuracy, reward margin) and the per-step history kept beside each checkpoint for resume.
/// </summary>
public static class DpoReport
{
    /// <summary>Header of the DPO results CSV.</summary>
    public const string CsvHeader = "step,epoch,train_loss,rewards/chosen,rewards/rejected,rewards/margins,rewards/accuracies," +
        "valid_loss,valid_rewards/chosen,valid_rewards/rejected,valid_rewards/margins,valid_rewards/accuracies";

    /// <summary>History file written into each checkpoint folder.</summary>
    public const string HistoryFile = "dpo_history.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes <c>results.csv</c> in <paramref name="runPath"/> atomically; absent validation values are empty cells.</summary>
    public static string WriteCsv(string runPath, IReadOnlyList<DpoStepRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var path = Path.Combine(runPath, RunFolder.ResultsFile);
        AtomicFile.WriteText(path, w =>
        {
            w.Write(CsvHeader);
            w.Write('\n');
            foreach (var r in rows)
            {
                w.Write(string.Create(CultureInfo.InvariantCulture, $"{r.Step},{r.Epoch},{Cells(r.Train)},{Cells(r.Valid)}\n"));
            }
        });
        return path;
    }

    private static string Cells(DpoMetrics? m) => m is DpoMetrics v
        ? string.Join(',', new[] { v.Loss, v.RewardChosen, v.RewardRejected, v.RewardMargin, v.RewardAccuracy }.Select(F))
        : ",,,,";

    private static string F(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The rows in the shape the shared curve diagnosis and chart read (loss, reward accuracy).</summary>
    public static List<MetricRow> AsMetricRows(IEnumerable<DpoStepRow> rows) =>
        rows.Select(r => new MetricRow(r.Step, r.Epoch, r.Train.Loss, r.Train.RewardAccuracy, r.Valid?.Loss, r.Valid?.RewardAccuracy)).ToList();

    /// <summary>Epoch rows in the shape the shared curve diagnosis reads.</summary>
    public static List<EpochMetrics> AsEpochMetrics(IEnumerable<DpoEpochRow> rows) =>
        rows.Select(e => new EpochMetrics(e.Epoch, e.Step, e.FullValid.Loss, e.FullValid.RewardAccuracy)).ToList();

    /// <summary>Writes the chart (loss; reward accuracy; reward margin — train, valid batch, full valid) atomically.</summary>
    public static void WriteChart(string path, IReadOnlyList<DpoStepRow> history, IReadOnlyList<DpoEpochRow> epochs)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(epochs);
        ChartPanel Panel(string label, Func<DpoMetrics, double> f) => new(label,
        [
            new("train", history.Select(r => ((double)r.Step, f(r.Train))).ToList(), "#1f77b4"),
            new("valid", history.Where(r => r.Valid is not null).Select(r => ((double)r.Step, f(r.Valid!.Value))).ToList(), "#ff7f0e"),
            new("full_valid", epochs.Select(e => ((double)e.Step, f(e.FullValid))).ToList(), "#d62728"),
        ]);
        AtomicFile.WriteAllText(path, SvgChart.Render("DPO curves",
            [Panel("loss", m => m.Loss), Panel("rewards/accuracies", m => m.RewardAccuracy), Panel("rewards/margins", m => m.RewardMargin)]));
    }

    /// <summary>Stores the per-step and epoch history beside a checkpoint.</summary>
    public static void SaveHistory(string checkpointFolder, IReadOnlyList<DpoStepRow> history, IReadOnlyList<DpoEpochRow> epochs) =>
        AtomicFile.WriteAllText(Path.Combine(checkpointFolder, HistoryFile), JsonSerializer.Serialize(new Saved([.. history], [.. epochs]), Json));

    /// <summary>Reads the history stored beside a checkpoint, or null when the file is missing or unreadable.</summary>
    public static (List<DpoStepRow> History, List<DpoEpochRow> Epochs)? LoadHistory(string checkpointFolder)
    {
        var path = Path.Combine(checkpointFolder, HistoryFile);
        if (!File.Exists(path)) return null;
        try
        {
            var s = JsonSerializer.Deserialize<Saved>(File.ReadAllText(path), Json);
            return s is null ? null : (s.History, s.Epochs);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record Saved(List<DpoStepRow> History, List<DpoEpochRow> Epochs);
}
