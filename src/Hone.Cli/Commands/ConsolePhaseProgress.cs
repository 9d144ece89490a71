using Hone.App;
using Hone.Evals.Runs;
using Hone.Training.Runs;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// The console's view of a use case's long phases: a live bar per evaluation and the training line of
/// <see cref="TrainProgressView"/> when attached to a terminal; training log lines otherwise; nothing with --json.
/// </summary>
internal sealed class ConsolePhaseProgress(CliContext ctx) : IPhaseProgress
{
    public T Train<T>(string what, Func<IProgress<TrainingProgress>, T> work) => TrainProgressView.Run(ctx, work);

    public async Task<T> EvalAsync<T>(string what, Func<IProgress<EvalProgress>?, Task<T>> work)
    {
        if (!ctx.Interactive) return await work(null).ConfigureAwait(false);
        T result = default!;
        await ctx.Console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async pc =>
            {
                var task = pc.AddTask(Markup.Escape(what));
                var progress = new Progress<EvalProgress>(e =>
                {
                    task.MaxValue = Math.Max(1, e.Total);
                    task.Value = e.Done;
                    task.Description = Markup.Escape($"{what} · {e.Passed}/{e.Done} passed");
                });
                result = await work(progress).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return result;
    }
}
