using Hone.Training.Improve;

namespace Hone.Training.Loop;

/// <summary>What a training run will do, said before its first step.</summary>
/// <param name="Kind">The run kind (sft, dpo, rft).</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="Steps">Optimiser steps in the run.</param>
/// <param name="StepsLeft">Optimiser steps still to run (all of them unless the run resumes).</param>
/// <param name="EpochsLeft">Epochs still to run, each ending in a checkpoint.</param>
/// <param name="Items">Training items (examples, pairs, prompts).</param>
/// <param name="ItemsPerStep">Training items per optimiser step.</param>
/// <param name="TrainingTokens">Training tokens: the tokens of the items laid out, times the epochs (null where they are sampled during the run, as RFT's completions).</param>
/// <param name="ScoredCheckpoints">Checkpoints still to score on the golden set (0 without <c>--eval-spec</c>).</param>
/// <param name="GoldenCases">Golden cases each scored checkpoint is generated and graded on.</param>
public sealed record RunPlan(string Kind, int Epochs, long Steps, long StepsLeft, int EpochsLeft, int Items, int ItemsPerStep, long? TrainingTokens,
    int ScoredCheckpoints, int GoldenCases)
{
    /// <summary>
    /// The plan of a run of <paramref name="kind"/> cut as <paramref name="plan"/> over <paramref name="items"/> items of
    /// <paramref name="tokensPerEpoch"/> laid-out tokens, from <paramref name="startEpoch"/> and <paramref name="step"/> on
    /// (a fresh run: 0, 0); <paramref name="scorer"/> scores checkpoints on a golden set, or null.
    /// </summary>
    public static RunPlan Of(string kind, TrainingPlan plan, int items, long? tokensPerEpoch, ICheckpointScorer? scorer, int startEpoch = 0, long step = 0)
    {
        ArgumentNullException.ThrowIfNull(plan);
        int scored = 0;
        if (scorer is not null)
            for (int e = startEpoch + 1; e <= plan.Epochs; e++) if (scorer.Scores(e, plan.Epochs)) scored++;
        return new RunPlan(kind, plan.Epochs, plan.TotalSteps, Math.Max(0, plan.TotalSteps - step), Math.Max(0, plan.Epochs - startEpoch), items,
            plan.ItemsPerStep, tokensPerEpoch * plan.Epochs, scored, scorer?.Cases ?? 0);
    }
}

/// <summary>A run's expected wall time on this machine, from its own steady steps.</summary>
/// <param name="Seconds">Expected wall time of what is left of the run, from the start of its first step: training, checkpoints, scoring.</param>
/// <param name="StepSeconds">The steady time of one step (<see cref="StudyEstimate.SteadyStepSeconds"/> over the measured steps).</param>
/// <param name="Steps">Steps the estimate covers (the steps left when the run started or resumed).</param>
/// <param name="FromStep">First step measured.</param>
/// <param name="ToStep">Last step measured.</param>
/// <param name="CheckpointSeconds">Time per epoch-end checkpoint (validation and save), or null: none written yet, so not counted.</param>
/// <param name="ScoringSeconds">Time per golden-set scoring of a checkpoint, or null: none scored yet (or no scoring), so not counted.</param>
public sealed record RunEstimate(double Seconds, double StepSeconds, long Steps, long FromStep, long ToStep, double? CheckpointSeconds, double? ScoringSeconds)
{
    /// <summary>Steps the loop times before it estimates: the warm-up ones and one steady window (<see cref="StudyEstimate"/>).</summary>
    public const int MeasuredSteps = StudyEstimate.WarmUpSteps + StudyEstimate.Window;

    /// <summary>
    /// The estimate of <paramref name="plan"/> from the times of its first steps (<paramref name="stepSeconds"/>, the first being
    /// step <paramref name="firstStep"/>): steps × the steady step time, plus the checkpoints and scorings left at their measured
    /// times when one was measured. Arithmetic only.
    /// </summary>
    public static RunEstimate From(RunPlan plan, IReadOnlyList<double> stepSeconds, long firstStep, double? checkpointSeconds = null, double? scoringSeconds = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(stepSeconds);
        double step = StudyEstimate.SteadyStepSeconds(stepSeconds);
        double seconds = plan.StepsLeft * step + plan.EpochsLeft * (checkpointSeconds ?? 0) + plan.ScoredCheckpoints * (scoringSeconds ?? 0);
        return new RunEstimate(seconds, step, plan.StepsLeft, firstStep, firstStep + stepSeconds.Count - 1, checkpointSeconds,
            plan.ScoredCheckpoints > 0 ? scoringSeconds : null);
    }
}
