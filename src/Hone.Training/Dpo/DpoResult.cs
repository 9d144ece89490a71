using Hone.Training.Analysis;
using Hone.Training.Objectives;

namespace Hone.Training.Dpo;

/// <summary>One optimiser step of a DPO run: the step's training metrics and, when measured, a validation batch's.</summary>
/// <param name="Step">1-based optimiser step.</param>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Train">Loss and rewards of the step's pairs.</param>
/// <param name="Valid">Loss and rewards of a validation batch (every <see cref="DpoOptions.EvalEvery"/> steps), else null.</param>
/// <param name="LearningRate">Learning rate the step used.</param>
/// <param name="GradNorm">Global gradient norm before clipping.</param>
public sealed record DpoStepRow(long Step, int Epoch, DpoMetrics Train, DpoMetrics? Valid, double LearningRate, double GradNorm);

/// <summary>Whole-validation-set DPO metrics at the end of an epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Step">Optimiser steps done.</param>
/// <param name="FullValid">Loss and rewards over every validation pair.</param>
public sealed record DpoEpochRow(int Epoch, long Step, DpoMetrics FullValid);

/// <summary>The outcome of a DPO run.</summary>
/// <param name="Epochs">Epochs run (resolved from auto).</param>
/// <param name="BatchSize">Pairs per step (resolved from auto).</param>
/// <param name="Steps">Optimiser steps run in total.</param>
/// <param name="LearningRate">Peak learning rate.</param>
/// <param name="History">Per-step metrics.</param>
/// <param name="EpochHistory">Epoch-end full-validation metrics (empty without a validation set).</param>
/// <param name="Findings">Diagnosis from the loss curves.</param>
/// <param name="ResultsCsvPath">The results CSV.</param>
/// <param name="ChartPath">The loss / reward chart (SVG).</param>
/// <param name="LossSparkline">The training loss as a terminal sparkline.</param>
/// <param name="ResumedFromEpoch">Epochs already done when this call started (0 for a fresh run).</param>
public sealed record DpoResult(int Epochs, int BatchSize, long Steps, double LearningRate, IReadOnlyList<DpoStepRow> History,
    IReadOnlyList<DpoEpochRow> EpochHistory, IReadOnlyList<CurveFinding> Findings, string ResultsCsvPath, string ChartPath,
    string LossSparkline, int ResumedFromEpoch)
{
    /// <summary>The checkpoint that scored best on the golden set (runs with an eval spec), else null.</summary>
    public Runs.BestCheckpoint? Best { get; init; }

    /// <summary>Each scored epoch's golden-set score (runs with an eval spec), else empty.</summary>
    public IReadOnlyList<Loop.GoldenScore> GoldenScores { get; init; } = [];
}
