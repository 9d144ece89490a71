namespace Hone.Evals.Graders;

/// <summary>
/// Grades one model sample against one golden-set item.
/// </summary>
/// <remarks>
/// Implementations never throw for bad model output: a parse failure, a missing field or a failed judge call is returned
/// as a <see cref="GradeResult"/> with an error kind, score 0 and pass false. They throw only for cancellation.
/// Scores are in [0, 1], so any grader can be used as a reinforcement-fine-tuning reward.
/// </remarks>
public interface IGrader
{
    /// <summary>The grader's name (unique within a multi grader or an eval spec).</summary>
    string Name { get; }

    /// <summary>The score at or above which a sample passes, in [0, 1].</summary>
    double PassThreshold { get; }

    /// <summary>Grades one sample.</summary>
    ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct);
}
