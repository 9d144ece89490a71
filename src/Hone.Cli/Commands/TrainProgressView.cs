using System.Globalization;
using Hone.Training.Runs;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>The training progress display shared by every training command (a bar when interactive, log lines otherwise).</summary>
internal static class TrainProgressView
{
    public static T Run<T>(CliContext ctx, Func<IProgress<TrainingProgress>, T> run) where T : class
    {
        if (ctx.Json) return run(new SyncProgress(_ => { }));
        if (!ctx.Interactive)
        {
            long next = 0;
            return run(new SyncProgress(pr =>
            {
                if (pr.Step < next && pr.Step != pr.TotalSteps) return;
                next = pr.Step + Math.Max(1, pr.TotalSteps / 20);
                ctx.Console.MarkupLine(Markup.Escape(Line(pr)));
            }));
        }
        T? result = null;
        ctx.Console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(p =>
            {
                var task = p.AddTask("training", maxValue: 1);
                result = run(new SyncProgress(pr =>
                {
                    task.MaxValue = Math.Max(1, pr.TotalSteps);
                    task.Value = pr.Step;
                    task.Description = Markup.Escape(Line(pr));
                }));
            });
        return result!;
    }

    private static string Line(TrainingProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"{p.Phase} epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:0.0000} {p.AccuracyName ?? "acc"} {p.Accuracy:0.000} {p.TokensPerSecond:N0} tok/s ETA {p.Eta:hh\\:mm\\:ss}");

    private sealed class SyncProgress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
