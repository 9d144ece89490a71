namespace Hone.Training.Loop;

/// <summary>A checkpoint's score on the task (e.g. accuracy on a golden set), with its 95% interval.</summary>
/// <param name="Value">The score (higher is better, 0..1 for an accuracy).</param>
/// <param name="Low">Lower end of the 95% interval.</param>
/// <param name="High">Upper end of the 95% interval.</param>
/// <param name="Cases">Cases scored (the interval's n).</param>
/// <param name="EvalRunId">The evaluation run that produced it, when one was recorded.</param>
public sealed record CheckpointScore(double Value, double Low, double High, int Cases, string? EvalRunId = null);

/// <summary>
/// Scores a run's checkpoint on the task, from above the training layer (the CLI or application layer evaluates a golden
/// set through the run's model): <see cref="TrainingLoop"/> calls it after each epoch's checkpoint is on disk, records
/// the score under <see cref="Runs.MetricNames.GoldenAccuracy"/> beside the losses, and keeps the best checkpoint by it.
/// Training never references the evaluation layer: the scorer is passed in.
/// </summary>
public interface ICheckpointScorer
{
    /// <summary>What the score is (e.g. "golden accuracy on orders.yaml"), for messages.</summary>
    string Description { get; }

    /// <summary>Scores the checkpoint of <paramref name="epoch"/> in the run folder <paramref name="runFolder"/>.</summary>
    CheckpointScore Score(string runFolder, int epoch, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the checkpoint of <paramref name="epoch"/> (of <paramref name="epochs"/>) is scored: every one by default;
    /// a scorer may skip some to save time (the last is always scored). An unscored checkpoint is kept only while it is
    /// among the newest.
    /// </summary>
    bool Scores(int epoch, int epochs) => true;

    /// <summary>Golden cases one scoring generates and grades (0: not known), for the run's plan.</summary>
    int Cases => 0;
}

/// <summary>
/// A scorer that scores every <paramref name="every"/>-th epoch's checkpoint and the last one, through <paramref name="inner"/>
/// (e.g. a long run whose golden set is too slow to run after every epoch).
/// </summary>
public sealed class EveryNthEpochScorer(ICheckpointScorer inner, int every) : ICheckpointScorer
{
    /// <summary>A scorer that scores about <paramref name="times"/> evenly spaced checkpoints of <paramref name="epochs"/>, the last among them.</summary>
    public static EveryNthEpochScorer Spread(ICheckpointScorer inner, int epochs, int times) =>
        new(inner, Math.Max(1, (int)Math.Ceiling(epochs / (double)Math.Max(1, times))));

    /// <inheritdoc />
    public string Description => inner.Description;

    /// <inheritdoc />
    public CheckpointScore Score(string runFolder, int epoch, CancellationToken cancellationToken) => inner.Score(runFolder, epoch, cancellationToken);

    /// <inheritdoc />
    public bool Scores(int epoch, int epochs) => epoch == epochs || epoch % Math.Max(1, every) == 0;

    /// <inheritdoc />
    public int Cases => inner.Cases;
}
