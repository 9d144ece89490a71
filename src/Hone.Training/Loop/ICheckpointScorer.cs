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
}
