using Hone.Training.Analysis;
using Hone.Training.Loop;
using Hone.Training.Runs;

namespace Hone.Training.Sft;

/// <summary>The outcome of an SFT run.</summary>
/// <param name="Epochs">Epochs run (resolved from auto).</param>
/// <param name="BatchSize">Examples per step (resolved from auto).</param>
/// <param name="Steps">Optimiser steps run in total.</param>
/// <param name="LearningRate">Peak learning rate.</param>
/// <param name="History">Per-step metrics.</param>
/// <param name="EpochHistory">Epoch-end full-validation metrics (empty without a validation set).</param>
/// <param name="Findings">Diagnosis from the curves.</param>
/// <param name="ResultsCsvPath">The results CSV.</param>
/// <param name="ChartPath">The loss/accuracy chart (SVG).</param>
/// <param name="LossSparkline">The training loss as a terminal sparkline.</param>
/// <param name="ResumedFromEpoch">Epochs already done when this call started (0 for a fresh run).</param>
public sealed record SftResult(int Epochs, int BatchSize, long Steps, double LearningRate, IReadOnlyList<MetricRow> History,
    IReadOnlyList<EpochMetrics> EpochHistory, IReadOnlyList<CurveFinding> Findings, string ResultsCsvPath, string ChartPath,
    string LossSparkline, int ResumedFromEpoch)
{
    /// <summary>The checkpoint that scored best on the golden set (runs with an eval spec), else null.</summary>
    public BestCheckpoint? Best { get; init; }

    /// <summary>Each scored epoch's golden-set score (runs with an eval spec), else empty.</summary>
    public IReadOnlyList<GoldenScore> GoldenScores { get; init; } = [];
}
