using Hone.Evals.Runs;
using Hone.Training.Runs;

namespace Hone.App;

/// <summary>
/// How a caller shows the long phases of a use case (a progress bar, log lines, a dashboard's events, or nothing): the
/// use case hands each phase's work to it and the work reports through the progress it is given.
/// </summary>
public interface IPhaseProgress
{
    /// <summary>Runs a training phase named <paramref name="what"/>, showing its steps.</summary>
    T Train<T>(string what, Func<IProgress<TrainingProgress>, T> work);

    /// <summary>Runs an evaluation phase named <paramref name="what"/>, showing the samples done and passed.</summary>
    Task<T> EvalAsync<T>(string what, Func<IProgress<EvalProgress>?, Task<T>> work);
}

/// <summary>Shows nothing: what a use case gets when its caller does not watch.</summary>
public sealed class NoPhaseProgress : IPhaseProgress
{
    /// <summary>The one instance.</summary>
    public static readonly NoPhaseProgress Instance = new();

    private NoPhaseProgress() { }

    /// <inheritdoc />
    public T Train<T>(string what, Func<IProgress<TrainingProgress>, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return work(new Progress<TrainingProgress>());
    }

    /// <inheritdoc />
    public Task<T> EvalAsync<T>(string what, Func<IProgress<EvalProgress>?, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return work(null);
    }
}
