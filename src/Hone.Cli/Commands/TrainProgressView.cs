using System.Diagnostics;
using Hone.Training.Runs;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// The training progress display shared by every training command: one live line (a bar, the step, one ETA, loss, ...)
/// fitted to the terminal when interactive, log lines every 5% otherwise (see <see cref="TrainProgressLine"/>).
/// </summary>
internal static class TrainProgressView
{
    public static T Run<T>(CliContext ctx, Func<IProgress<TrainingProgress>, T> run)
    {
        if (ctx.Json) return run(new SyncProgress(_ => { }));
        var clock = Stopwatch.StartNew();
        var line = new TrainProgressLine(() => clock.Elapsed);
        if (!ctx.Interactive)
        {
            long next = 0;
            return run(new SyncProgress(pr =>
            {
                var text = line.Update(pr, ctx.Console.Profile.Width, bar: false);
                if (pr.Step < next && pr.Step != pr.TotalSteps) return;
                next = pr.Step + Math.Max(1, pr.TotalSteps / 20);
                ctx.Console.WriteLine(text);
            }));
        }
        T result = default!;
        // The last column is left free: a line as wide as the terminal makes some terminals wrap it.
        ctx.Console.Live(new Text("")).AutoClear(false).Start(live =>
        {
            result = run(new SyncProgress(pr =>
            {
                live.UpdateTarget(new Text(line.Update(pr, ctx.Console.Profile.Width - 1, bar: true)));
                live.Refresh();
            }));
        });
        return result;
    }

    private sealed class SyncProgress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
