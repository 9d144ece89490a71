namespace Hone.Training.Runs;

/// <summary>The metric names the issues fix; the run store, the results CSVs and the CLI use exactly these.</summary>
public static class MetricNames
{
    /// <summary>Mean NLL over the step's trained tokens (SFT); the step's mean pair loss (DPO); the GRPO loss (RFT).</summary>
    public const string TrainLoss = "train_loss";

    /// <summary>The golden-set score of an epoch's checkpoint (<see cref="Loop.ICheckpointScorer"/>).</summary>
    public const string GoldenAccuracy = "golden_accuracy";

    /// <summary>Lower end of the golden-set score's 95% interval.</summary>
    public const string GoldenAccuracyLow = "golden_accuracy_low";

    /// <summary>Upper end of the golden-set score's 95% interval.</summary>
    public const string GoldenAccuracyHigh = "golden_accuracy_high";

    /// <summary>Share of the step's trained tokens whose argmax equals the target.</summary>
    public const string TrainMeanTokenAccuracy = "train_mean_token_accuracy";

    /// <summary>Loss on a validation batch (every N steps).</summary>
    public const string ValidLoss = "valid_loss";

    /// <summary>Token accuracy on a validation batch (every N steps).</summary>
    public const string ValidMeanTokenAccuracy = "valid_mean_token_accuracy";

    /// <summary>Loss on the whole validation set (each epoch end).</summary>
    public const string FullValidLoss = "full_valid_loss";

    /// <summary>Token accuracy on the whole validation set (each epoch end).</summary>
    public const string FullValidMeanTokenAccuracy = "full_valid_mean_token_accuracy";

    /// <summary>Learning rate used by the step.</summary>
    public const string LearningRate = "learning_rate";

    /// <summary>Global gradient norm before clipping.</summary>
    public const string GradNorm = "grad_norm";

    /// <summary>Prefix of validation-batch metrics (DPO's rewards).</summary>
    public const string ValidPrefix = "valid_";

    /// <summary>Prefix of whole-validation-set metrics (DPO's rewards).</summary>
    public const string FullValidPrefix = "full_valid_";

    /// <summary>DPO: mean β·(log π − log π_ref) of the chosen completions.</summary>
    public const string RewardsChosen = "rewards/chosen";

    /// <summary>DPO: mean β·(log π − log π_ref) of the rejected completions.</summary>
    public const string RewardsRejected = "rewards/rejected";

    /// <summary>DPO: mean chosen minus rejected reward.</summary>
    public const string RewardsMargins = "rewards/margins";

    /// <summary>DPO: share of pairs whose chosen reward is above the rejected one.</summary>
    public const string RewardsAccuracies = "rewards/accuracies";

    /// <summary>RFT: mean reward of the step's samples.</summary>
    public const string TrainRewardMean = "train_reward_mean";

    /// <summary>RFT: prefix of the per-grader mean scores of the step's samples (<c>train_reward/NAME</c>).</summary>
    public const string TrainRewardPrefix = "train_reward/";

    /// <summary>RFT: mean per-token k3 KL to the reference.</summary>
    public const string Kl = "kl";

    /// <summary>RFT: share of groups whose rewards were all equal (no signal).</summary>
    public const string ZeroVarianceGroupShare = "zero_variance_group_share";

    /// <summary>RFT: mean sampled tokens per output.</summary>
    public const string MeanCompletionTokens = "mean_completion_tokens";

    /// <summary>RFT: mean reward on a validation batch (greedy decoding).</summary>
    public const string ValidRewardMean = "valid_reward_mean";

    /// <summary>RFT: mean reward on the whole validation set (each epoch end).</summary>
    public const string FullValidMeanReward = "full_valid_mean_reward";

    /// <summary>RFT: share of the whole validation set's outputs the grader could not parse.</summary>
    public const string FullValidMeanParseError = "full_valid_mean_parse_error";

    /// <summary>RFT: prefix of the per-grader means on the whole validation set (<c>full_valid_reward/NAME</c>).</summary>
    public const string FullValidRewardPrefix = "full_valid_reward/";
}

/// <summary>One row of the SFT results CSV: the step's training metrics and, when measured at that step, the validation batch's.</summary>
public sealed record MetricRow(long Step, int Epoch, double TrainLoss, double TrainAccuracy, double? ValidLoss, double? ValidAccuracy);

/// <summary>Whole-validation-set metrics at the end of an epoch.</summary>
public sealed record EpochMetrics(int Epoch, long Step, double FullValidLoss, double FullValidAccuracy);
