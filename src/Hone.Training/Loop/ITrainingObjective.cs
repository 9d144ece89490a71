using Hone.Models.Train;
using Hone.Training.Analysis;
using Hone.Training.Runs;

namespace Hone.Training.Loop;

/// <summary>What the loop is doing when it asks the objective for a pass over some items.</summary>
public enum TrainingPhase
{
    /// <summary>An optimiser step over training items: forward, coefficients, backward per micro-batch.</summary>
    Train,

    /// <summary>A validation batch every <see cref="TrainerOptions.EvalEvery"/> steps (no gradients kept).</summary>
    ValidBatch,

    /// <summary>The whole validation set at an epoch end (no gradients kept).</summary>
    FullValid,
}

/// <summary>How an objective's runs are reported.</summary>
/// <param name="Kind">The run kind (sft, dpo, rft): names the shape of checkpoints written before the loop was shared.</param>
/// <param name="Results">The results CSV's columns.</param>
/// <param name="LossMetric">The training metric the progress line calls the loss.</param>
/// <param name="AccuracyMetric">The training metric the progress line shows beside it.</param>
/// <param name="AccuracyName">What the progress line calls that metric ("acc", "reward acc", "reward").</param>
/// <param name="EvaluateWithoutDropout">Whether validation passes switch dropout off.</param>
/// <param name="KeepBestBy">An epoch-end metric (higher is better) by which the best checkpoints are kept (plus the newest); null keeps the newest.</param>
public sealed record ObjectiveReport(string Kind, ResultsTable Results, string LossMetric, string AccuracyMetric, string AccuracyName,
    bool EvaluateWithoutDropout, string? KeepBestBy = null);

/// <summary>
/// A training objective as <see cref="TrainingLoop"/> drives it: for a pass over some items it lays out micro-batches
/// (<see cref="Layout"/>), turns the model's per-position log-probabilities into gradient coefficients and metrics
/// (<see cref="Score"/>), and names the pass's metrics (<see cref="End"/>). The loop owns everything else: epochs,
/// shuffling, the steps, the schedule, the optimiser, clipping, metrics logging, the results CSV, checkpoints and
/// resume, progress, the chart and the diagnosis. SFT, DPO and RFT are one objective each; RFT's rollouts happen in
/// <see cref="Begin"/>, which may do all the pass's work itself (an evaluation by sampling has no micro-batches).
/// </summary>
public interface ITrainingObjective
{
    /// <summary>The validated options.</summary>
    TrainerOptions Options { get; }

    /// <summary>Epochs, items per step and steps.</summary>
    TrainingPlan Plan { get; }

    /// <summary>Training items (examples, pairs, prompts).</summary>
    int TrainCount { get; }

    /// <summary>Validation items (0: no validation).</summary>
    int ValidCount { get; }

    /// <summary>Tokens of the training items as laid out in one epoch, or null where they are sampled during the run (RFT's completions).</summary>
    long? TrainTokens { get; }

    /// <summary>Rows × length of the largest micro-batch <see cref="Layout"/> returns (the loop's buffers hold that many positions).</summary>
    int MaxPositions { get; }

    /// <summary>How runs of this objective are reported.</summary>
    ObjectiveReport Report { get; }

    /// <summary>Work before the run starts or resumes (e.g. DPO's reference log-probabilities from the starting model).</summary>
    void Prepare(RunFolder run);

    /// <summary>
    /// Starts a pass over <paramref name="items"/> (indices into the training set for <see cref="TrainingPhase.Train"/>,
    /// else into the validation set) at optimiser step <paramref name="step"/>; returns its number of micro-batches.
    /// </summary>
    int Begin(TrainingPhase phase, ReadOnlySpan<int> items, long step, CancellationToken cancellationToken);

    /// <summary>Lays out micro-batch <paramref name="index"/> of the pass (and scores whatever reference it needs first).</summary>
    TokenBatch Layout(int index);

    /// <summary>
    /// From the forward pass over <paramref name="batch"/>: writes dLoss/d log p(target) per position into
    /// <paramref name="coefficients"/> (used for a training pass) and accumulates the pass's metrics.
    /// </summary>
    void Score(TokenBatch batch, ReadOnlySpan<float> logProbs, ReadOnlySpan<bool> correct, Span<float> coefficients);

    /// <summary>The pass's metrics under their fixed names, in the order they are logged.</summary>
    IReadOnlyList<KeyValuePair<string, double>> End();

    /// <summary>Writes the run's chart to <paramref name="path"/> (SVG) and its PNG beside it (<see cref="Analysis.TrainingChart"/>).</summary>
    void WriteChart(string path, IReadOnlyList<StepRecord> history, IReadOnlyList<EpochRecord> epochs);

    /// <summary>What the curves say (possibly nothing).</summary>
    IReadOnlyList<CurveFinding> Diagnose(IReadOnlyList<StepRecord> history, IReadOnlyList<EpochRecord> epochs);
}
