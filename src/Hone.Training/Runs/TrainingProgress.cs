namespace Hone.Training.Runs;

/// <summary>What a trainer reports after each step (and at phase changes), for the CLI's progress bar.</summary>
/// <param name="Phase">"plan" (before the first step), "train", "estimate" (once, after the first steady steps), "valid" (full validation at epoch end), "checkpoint" or "done".</param>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="Step">Optimiser steps done.</param>
/// <param name="TotalSteps">Optimiser steps in the run.</param>
/// <param name="Loss">The last step's training loss.</param>
/// <param name="Accuracy">The last step's mean token accuracy (SFT), reward accuracy (DPO) or mean reward (RFT).</param>
/// <param name="TokensPerSecond">Training tokens (non-padding positions) per second since the run (re)started.</param>
/// <param name="Eta">Estimated time left, from the pace since the run (re)started.</param>
public readonly record struct TrainingProgress(string Phase, int Epoch, int Epochs, long Step, long TotalSteps, double Loss, double Accuracy,
    double TokensPerSecond, TimeSpan Eta)
{
    /// <summary>What <see cref="Accuracy"/> is, as the progress line names it: "acc" (SFT token accuracy), "reward acc"
    /// (DPO) or "reward" (RFT mean reward).</summary>
    public string AccuracyName { get; init; } = "acc";

    /// <summary>The run's plan: set on the "plan" report, before the first step.</summary>
    public Loop.RunPlan? Plan { get; init; }

    /// <summary>The run's wall-time estimate: set on the one "estimate" report, after the first steady steps.</summary>
    public Loop.RunEstimate? Estimate { get; init; }
}
