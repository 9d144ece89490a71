using System.Globalization;
using Hone.Core;
using Hone.Store;
using Hone.Training.Analysis;

namespace Hone.Training.Loop;

/// <summary>One optimiser step of a run: its metrics under their fixed names (<see cref="Runs.MetricNames"/>), as logged.</summary>
/// <param name="Step">1-based optimiser step.</param>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Items">Training items (examples, pairs, prompts) the step took.</param>
/// <param name="Metrics">The step's training metrics, learning rate, gradient norm and, when measured, a validation batch's.</param>
public sealed record StepRecord(long Step, int Epoch, int Items, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>The value of <paramref name="name"/>, or null when the step did not measure it.</summary>
    public double? Get(string name) => Metrics.TryGetValue(name, out var v) ? v : null;

    /// <summary>The value of <paramref name="name"/>, or NaN when the step did not measure it.</summary>
    public double this[string name] => Metrics.TryGetValue(name, out var v) ? v : double.NaN;
}

/// <summary>Whole-validation-set metrics at the end of an epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Step">Optimiser steps done.</param>
/// <param name="Metrics">The metrics under their fixed names (<c>full_valid_</c>…).</param>
public sealed record EpochRecord(int Epoch, long Step, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>The value of <paramref name="name"/>, or NaN when the epoch did not measure it.</summary>
    public double this[string name] => Metrics.TryGetValue(name, out var v) ? v : double.NaN;
}

/// <summary>One column of a results CSV.</summary>
/// <param name="Header">The column's header.</param>
/// <param name="Metric">The metric it shows (an empty cell on steps that did not measure it).</param>
public sealed record ResultsColumn(string Header, string Metric);

/// <summary>The columns of a trainer's results CSV: step, optionally epoch, then the metrics.</summary>
/// <param name="EpochColumn">Whether an epoch column follows the step.</param>
/// <param name="Columns">The metric columns.</param>
public sealed record ResultsTable(bool EpochColumn, IReadOnlyList<ResultsColumn> Columns)
{
    /// <summary>The header line.</summary>
    public string Header => "step," + (EpochColumn ? "epoch," : "") + string.Join(',', Columns.Select(c => c.Header));

    /// <summary>Writes the CSV of <paramref name="rows"/> atomically to <paramref name="path"/> (values round-trip: "R").</summary>
    public string Write(string path, IReadOnlyList<StepRecord> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        AtomicFile.WriteText(path, w =>
        {
            w.Write(Header);
            w.Write('\n');
            foreach (var r in rows)
            {
                w.Write(r.Step.ToString(CultureInfo.InvariantCulture));
                if (EpochColumn) w.Write(string.Create(CultureInfo.InvariantCulture, $",{r.Epoch}"));
                foreach (var c in Columns)
                {
                    w.Write(',');
                    if (r.Metrics.TryGetValue(c.Metric, out var v)) w.Write(v.ToString("R", CultureInfo.InvariantCulture));
                }
                w.Write('\n');
            }
        });
        return path;
    }
}

/// <summary>What the training loop reports when a run (or the rest of a resumed one) is done.</summary>
/// <param name="Plan">Epochs, items per step and steps.</param>
/// <param name="Steps">Optimiser steps run in total.</param>
/// <param name="LearningRate">Peak learning rate.</param>
/// <param name="History">Per-step metrics (those before a resume included).</param>
/// <param name="EpochHistory">Epoch-end full-validation metrics (empty without a validation set).</param>
/// <param name="Findings">What the objective reads from the curves.</param>
/// <param name="ResultsCsvPath">The results CSV.</param>
/// <param name="ChartPath">The chart (SVG).</param>
/// <param name="KeptCheckpoints">The checkpoint folders kept.</param>
/// <param name="ResumedFromEpoch">Epochs already done when this call started (0 for a fresh run).</param>
public sealed record TrainingOutcome(TrainingPlan Plan, long Steps, double LearningRate, IReadOnlyList<StepRecord> History,
    IReadOnlyList<EpochRecord> EpochHistory, IReadOnlyList<CurveFinding> Findings, string ResultsCsvPath, string ChartPath,
    IReadOnlyList<string> KeptCheckpoints, int ResumedFromEpoch)
{
    /// <summary>The checkpoint that scored best on the golden set, when the run had a <see cref="ICheckpointScorer"/>.</summary>
    public Runs.BestCheckpoint? Best { get; init; }

    /// <summary>Each scored epoch's golden-set score (runs with a <see cref="ICheckpointScorer"/>), else empty.</summary>
    public IReadOnlyList<GoldenScore> GoldenScores { get; init; } = [];
}

/// <summary>An epoch checkpoint's golden-set score.</summary>
/// <param name="Epoch">The epoch.</param>
/// <param name="Step">Optimiser steps done.</param>
/// <param name="Accuracy">The score.</param>
/// <param name="Low">Lower end of its 95% interval.</param>
/// <param name="High">Upper end of its 95% interval.</param>
public sealed record GoldenScore(int Epoch, long Step, double Accuracy, double Low, double High);

/// <summary>How a run is cut into steps.</summary>
/// <param name="Epochs">Epochs (auto resolved).</param>
/// <param name="ItemsPerStep">Training items per optimiser step.</param>
/// <param name="StepsPerEpoch">Optimiser steps per epoch.</param>
/// <param name="TotalSteps">Optimiser steps in the run.</param>
public sealed record TrainingPlan(int Epochs, int ItemsPerStep, int StepsPerEpoch, long TotalSteps)
{
    /// <summary>The plan for <paramref name="items"/> training items taken <paramref name="itemsPerStep"/> at a time.</summary>
    public static TrainingPlan For(TrainerOptions options, int items, int itemsPerStep)
    {
        ArgumentNullException.ThrowIfNull(options);
        int epochs = options.Epochs ?? Hone.Data.Cost.EpochRule.AutoEpochs(items);
        int steps = (items + itemsPerStep - 1) / itemsPerStep;
        return new TrainingPlan(epochs, itemsPerStep, steps, (long)steps * epochs);
    }
}
