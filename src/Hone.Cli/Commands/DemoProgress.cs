using System.Globalization;
using Hone.Evals.Runs;
using Hone.Training.Runs;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>Progress display for the demo's long phases (bar when interactive, a few log lines otherwise, nothing with --json).</summary>
internal static class DemoProgress
{
    public static T Run<T>(CliContext ctx, string what, Func<IProgress<TrainingProgress>, T> work)
    {
        if (ctx.Json) return work(new Sync(_ => { }));
        if (!ctx.Interactive)
        {
            long next = 0;
            return work(new Sync(pr =>
            {
                if (pr.Phase != "train" || (pr.Step < next && pr.Step != pr.TotalSteps)) return;
                next = pr.Step + Math.Max(1, pr.TotalSteps / 5);
                ctx.Console.MarkupLine(Markup.Escape($"    {what}: " + Line(pr)));
            }));
        }
        T result = default!;
        ctx.Console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(p =>
            {
                var task = p.AddTask(Markup.Escape(what), maxValue: 1);
                result = work(new Sync(pr =>
                {
                    task.MaxValue = Math.Max(1, pr.TotalSteps);
                    task.Value = pr.Step;
                    task.Description = Markup.Escape($"{what}: {Line(pr)}");
                }));
            });
        return result;
    }

    public static async Task<T> CountAsync<T>(CliContext ctx, string what, Func<IProgress<EvalProgress>?, Task<T>> work)
    {
        if (ctx.Json || !ctx.Interactive) return await work(null).ConfigureAwait(false);
        T result = default!;
        await ctx.Console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
            .StartAsync(async p =>
            {
                var task = p.AddTask(Markup.Escape(what), maxValue: 1);
                result = await work(new Progress<EvalProgress>(e =>
                {
                    task.MaxValue = Math.Max(1, e.Total);
                    task.Value = e.Done;
                })).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return result;
    }

    private static string Line(TrainingProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:0.000} acc {p.Accuracy:0.000} {p.TokensPerSecond:N0} tok/s");

    private sealed class Sync(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
