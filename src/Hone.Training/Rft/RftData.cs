using System.Text.Json;
using Hone.Training.Dpo;

namespace Hone.Training.Rft;

/// <summary>One RFT prompt: the rendered prompt ids (ending with the generation prompt), the item the grader reads, and where it came from.</summary>
/// <param name="PromptIds">Chat-template rendering of the messages with the assistant generation prompt.</param>
/// <param name="Item">The example as JSON (its messages and every extra field, e.g. a reference answer).</param>
/// <param name="Where">file:line, for findings.</param>
public sealed record RftPrompt(int[] PromptIds, JsonElement Item, string Where);

/// <summary>One optimiser step of an RFT run.</summary>
/// <param name="Step">1-based step.</param>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Loss">GRPO loss.</param>
/// <param name="RewardMean">Mean reward of the step's samples (<c>train_reward_mean</c>).</param>
/// <param name="Components">Per-grader mean scores of the step's samples.</param>
/// <param name="Kl">Mean per-token k3 KL to the reference.</param>
/// <param name="ZeroVarianceShare">Share of groups whose rewards were all equal.</param>
/// <param name="MeanCompletionTokens">Mean sampled tokens per output.</param>
/// <param name="ValidRewardMean">Mean reward on a validation batch (greedy), when measured at this step.</param>
public sealed record RftStepRow(long Step, int Epoch, double Loss, double RewardMean, IReadOnlyDictionary<string, double> Components,
    double Kl, double ZeroVarianceShare, double MeanCompletionTokens, double? ValidRewardMean);

/// <summary>Whole-validation-set results at an epoch end.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Step">Steps done.</param>
/// <param name="MeanReward"><c>full_valid_mean_reward</c>.</param>
/// <param name="MeanParseError"><c>full_valid_mean_parse_error</c>: share of outputs the grader could not parse.</param>
/// <param name="Components">Per-grader means.</param>
public sealed record RftEpochRow(int Epoch, long Step, double MeanReward, double MeanParseError, IReadOnlyDictionary<string, double> Components);

/// <summary>The outcome of an RFT run.</summary>
/// <param name="Epochs">Epochs run.</param>
/// <param name="Steps">Optimiser steps in total.</param>
/// <param name="LearningRate">Learning rate.</param>
/// <param name="History">Per-step metrics.</param>
/// <param name="EpochHistory">Epoch-end full-validation results.</param>
/// <param name="Findings">Grader failures (where + message).</param>
/// <param name="ResultsCsvPath">The results CSV.</param>
/// <param name="KeptCheckpoints">The checkpoint folders kept (best by full_valid_mean_reward, plus the newest).</param>
/// <param name="ResumedFromEpoch">Epochs already done when this call started.</param>
public sealed record RftResult(int Epochs, long Steps, double LearningRate, IReadOnlyList<RftStepRow> History, IReadOnlyList<RftEpochRow> EpochHistory,
    IReadOnlyList<DataFinding> Findings, string ResultsCsvPath, IReadOnlyList<string> KeptCheckpoints, int ResumedFromEpoch)
{
    /// <summary>The chart of the reward, KL and zero-variance curves (chart.svg).</summary>
    public string? ChartPath { get; init; }

    /// <summary>What the reward curves say (see <see cref="RftCurves"/>).</summary>
    public IReadOnlyList<Analysis.CurveFinding> Diagnosis { get; init; } = [];

    /// <summary>The checkpoint that scored best on the golden set (runs with an eval spec), else null.</summary>
    public Runs.BestCheckpoint? Best { get; init; }

    /// <summary>Each scored epoch's golden-set score (runs with an eval spec), else empty.</summary>
    public IReadOnlyList<Loop.GoldenScore> GoldenScores { get; init; } = [];

    /// <summary>The train_reward_mean curve as a one-line terminal chart.</summary>
    public string RewardSparkline => Analysis.Sparkline.Render(History.Select(h => h.RewardMean).ToArray(), 40);
}
