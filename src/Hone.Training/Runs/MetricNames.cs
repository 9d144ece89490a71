namespace Hone.Training.Runs;

/// <summary>The metric names the issues fix; the run store and the CLI use exactly these.</summary>
public static class MetricNames
{
    /// <summary>Mean NLL over the step's trained tokens.</summary>
    public const string TrainLoss = "train_loss";

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
}

/// <summary>One row of the results CSV: the step's training metrics and, when measured at that step, the validation batch's.</summary>
public sealed record MetricRow(long Step, int Epoch, double TrainLoss, double TrainAccuracy, double? ValidLoss, double? ValidAccuracy);

/// <summary>Whole-validation-set metrics at the end of an epoch.</summary>
public sealed record EpochMetrics(int Epoch, long Step, double FullValidLoss, double FullValidAccuracy);
