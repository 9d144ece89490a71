namespace Hone.Evals.Graders;

/// <summary>Conveniences over <see cref="IGrader"/>.</summary>
public static class GraderExtensions
{
    /// <summary>
    /// The grader's score used as a reinforcement-fine-tuning reward: <see cref="GradeResult.Score"/>, always in [0, 1],
    /// and 0 for any result carrying an error (a parse failure never earns reward).
    /// </summary>
    public static async ValueTask<double> RewardAsync(this IGrader grader, GradeContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(grader);
        var r = await grader.GradeAsync(ctx, ct).ConfigureAwait(false);
        return r.IsError ? 0 : GraderSupport.Clamp01(r.Score);
    }
}
