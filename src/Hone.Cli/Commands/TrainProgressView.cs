using System.Diagnostics;
using System.Globalization;
using Hone.Training.Loop;
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
                if (Said(pr) is { } said)
                {
                    ctx.Console.WriteLine(said);
                    return;
                }
                var text = line.Update(pr, ctx.Console.Profile.Width, bar: false);
                if (pr.Step < next && pr.Step != pr.TotalSteps) return;
                next = pr.Step + Math.Max(1, pr.TotalSteps / 20);
                ctx.Console.WriteLine(text);
            }));
        }
        T result = default!;
        var header = new List<string>();
        string last = "";
        // The last column is left free: a line as wide as the terminal makes some terminals wrap it.
        ctx.Console.Live(new Text("")).AutoClear(false).Start(live =>
        {
            result = run(new SyncProgress(pr =>
            {
                if (Said(pr) is { } said) header.Add(said);
                else last = line.Update(pr, ctx.Console.Profile.Width - 1, bar: true);
                live.UpdateTarget(new Text(string.Join("\n", header.Append(last).Where(l => l.Length > 0))));
                live.Refresh();
            }));
        });
        return result;
    }

    /// <summary>The line a plan or estimate report says once (null for other reports).</summary>
    internal static string? Said(TrainingProgress p) =>
        p.Plan is { } plan ? PlanLine(plan) : p.Estimate is { } estimate ? EstimateLine(estimate) : null;

    /// <summary>"plan: ..." — what the run will do, before its first step.</summary>
    internal static string PlanLine(RunPlan p)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = string.Create(inv, $"plan: {p.Kind}, {p.Epochs} epoch(s) × {p.Steps / Math.Max(1, p.Epochs)} steps = {p.Steps} steps")
            + (p.StepsLeft != p.Steps ? string.Create(inv, $" ({p.StepsLeft} left)") : "")
            + string.Create(inv, $", {p.Items} items, {p.ItemsPerStep} per step")
            + (p.TrainingTokens is { } t ? string.Create(inv, $", {t:N0} training tokens") : ", training tokens sampled during the run");
        return p.ScoredCheckpoints > 0 ? text + string.Create(inv, $", {p.ScoredCheckpoints} checkpoint(s) × {p.GoldenCases} golden cases to score") : text;
    }

    /// <summary>"estimate: ~X for N steps (from steps a..b)" — the run's wall time, once, from its steady steps.</summary>
    internal static string EstimateLine(RunEstimate e)
    {
        var inv = CultureInfo.InvariantCulture;
        var time = e.Seconds < 60 ? string.Create(inv, $"{e.Seconds:0.#} s") : TrainProgressLine.Duration(TimeSpan.FromSeconds(Math.Min(e.Seconds, TimeSpan.MaxValue.TotalSeconds / 2)));
        var text = string.Create(inv, $"estimate: ~{time} for {e.Steps} steps (from steps {e.FromStep}..{e.ToStep}, {e.StepSeconds:0.###} s/step");
        if (e.CheckpointSeconds is { } c) text += string.Create(inv, $", checkpoints {c:0.##} s each");
        if (e.ScoringSeconds is { } s) text += string.Create(inv, $", scoring {s:0.##} s each");
        return text + (e.CheckpointSeconds is null ? "; checkpoints and scoring not measured yet, not counted)" : ")");
    }

    private sealed class SyncProgress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
