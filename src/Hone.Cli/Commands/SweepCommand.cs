using Hone.App.Training;
using System.CommandLine;
using System.Globalization;
using Hone.Training.Improve;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone sweep --data FILE --spec SPEC --epochs 1,2,3 --lr-multiplier 0.5,1,2 [--lora-rank 4,8] [--halving] [--time-budget 10m]</c>:
/// trains each setting, judges it by the golden-set score with its interval, marks the trials not significantly different
/// from the best (paired McNemar test), and writes the winner's settings to train-defaults.json for the next
/// <c>hone train sft</c>. Resumable. Exit 0, 1 when no trial fit the budget, 2 usage.
/// </summary>
public static class SweepCommand
{
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var cli = new StudyCli();
        var epochs = new Option<string>("--epochs") { Description = "Epochs to try, comma-separated.", DefaultValueFactory = _ => "1,2,3" };
        var lr = new Option<string>("--lr-multiplier") { Description = "Learning-rate multipliers to try, comma-separated.", DefaultValueFactory = _ => "0.5,1,2" };
        var ranks = new Option<string?>("--lora-rank") { Description = "LoRA ranks to try, comma-separated (default 8)." };
        var halving = new Option<bool>("--halving") { Description = "Successive halving: all settings on a quarter of the data, the better half on half of it, the better half of those on all." };
        var budget = new Option<string?>("--time-budget") { Description = "Wall-time budget (e.g. 90s, 20m, 1h): a trial expected to overrun it is not started." };
        var noWrite = new Option<bool>("--no-write-defaults") { Description = "Do not write the winner's settings to train-defaults.json." };
        var cmd = new Command("sweep", "Tune epochs and the learning-rate multiplier (and LoRA rank) by the golden-set metric, not by loss: a grid or successive halving, " +
            "each trial scored with its interval; the winner's settings are written back for the next 'hone train sft'. Estimates the time first; resumable.\n" +
            "Exit codes: 0 done, 1 no trial could run within the budget, 2 usage or input error.")
        {
            epochs, lr, ranks, halving, budget, noWrite,
        };
        cli.AddTo(cmd, rank: false);
        host.SetHandler(cmd, (p, ctx, ct) =>
        {
            var request = new SweepRequest(cli.Request(p, ctx, null, 1.0), Ints(p.GetValue(epochs)!, "--epochs"), Doubles(p.GetValue(lr)!, "--lr-multiplier"),
                p.GetValue(ranks) is { } r ? Ints(r, "--lora-rank") : null)
            {
                Halving = p.GetValue(halving), TimeBudgetSeconds = p.GetValue(budget) is { } b ? ParseDuration(b) : null, WriteDefaults = !p.GetValue(noWrite),
            };
            StudyPlan? plan = null;
            var estimate = SweepUseCase.Estimate(request, x =>
            {
                plan = x;
                StudyCli.PrintPlan(ctx, "sweep", x, $"{x.Trials.Count} settings{(request.Halving ? " (successive halving over ¼, ½, all of the data)" : "")}");
            }, ct);
            StudyCli.PrintEstimate(ctx, plan!.Trials.Count - plan.DoneBefore, estimate.Estimate);
            if (p.GetValue(cli.EstimateOnly))
            {
                ctx.WriteJson(estimate);
                return Task.FromResult(ExitCodes.Success);
            }

            var response = SweepUseCase.Run(request, estimate, t =>
            {
                if (ctx.Json) return;
                ctx.Console.MarkupLine(t.Trial is { } x
                    ? $"  {t.Setting.Name} on {t.Examples}: {EvalCommands.Pct(x.Score.Value)} ({StudyCli.Ci(x.Score)})" +
                        (x.Reused ? " (done before)" : string.Create(CultureInfo.InvariantCulture, $", {x.TrainSeconds + x.ScoreSeconds:0.0} s"))
                    : $"  {t.Setting.Name}: {Markup.Escape(t.Status)}");
            }, ct);
            var result = response.Result;
            Print(ctx, result, response.DefaultsFile);
            StudyCli.PrintTiming(ctx, response.Timing);
            ctx.WriteJson(response);
            return Task.FromResult(result.Winner is null ? ExitCodes.ProblemsFound : ExitCodes.Success);
        });
        return cmd;
    }

    private static void Print(CliContext ctx, SweepResult r, string? defaults)
    {
        if (ctx.Json) return;
        var t = new Table().AddColumns("setting", "examples", "golden accuracy", "95% CI", "p vs best", "", "seconds");
        foreach (var x in r.Trials.Where(x => x.Trial is not null))
            t.AddRow(x.Setting.Name, x.Examples.ToString(CultureInfo.InvariantCulture), EvalCommands.Pct(x.Trial!.Score.Value), StudyCli.Ci(x.Trial.Score),
                x.PValueVsBest is { } pv ? pv.ToString("0.000", CultureInfo.InvariantCulture) : "",
                ReferenceEquals(x, r.Winner) ? "[green]best[/]" : x.TiedWithBest ? "≈ best (n.s.)" : x.PValueVsBest is null ? "" : "worse",
                x.Trial.Reused ? "(before)" : (x.Trial.TrainSeconds + x.Trial.ScoreSeconds).ToString("0.0", CultureInfo.InvariantCulture));
        ctx.Console.Write(t);
        foreach (var x in r.Trials.Where(x => x.Trial is null)) ctx.Console.MarkupLine($"  {x.Setting.Name}: {Markup.Escape(x.Status)}");
        if (r.Winner is { } w)
            ctx.Console.MarkupLine($"[bold]winner[/] {w.Setting.Name} (epochs {w.Setting.Epochs}, lr-multiplier {w.Setting.LrMultiplier.ToString(CultureInfo.InvariantCulture)}, lora-rank {w.Setting.LoraRank})" +
                (defaults is null ? "" : $"; written to {Markup.Escape(defaults)} for the next 'hone train sft'"));
        ctx.Console.MarkupLine($"sweep took {StudyCli.Duration(r.Seconds)}");
    }

    private static List<int> Ints(string text, string option) => [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new CliUsageException($"{option} {text}: '{s}' is not a whole number."))];

    private static List<double> Doubles(string text, string option) => [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new CliUsageException($"{option} {text}: '{s}' is not a number."))];

    /// <summary>90, 90s, 20m, 1.5h.</summary>
    internal static double ParseDuration(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        double scale = t.EndsWith('h') ? 3600 : t.EndsWith('m') ? 60 : 1;
        var number = t.TrimEnd('h', 'm', 's');
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v * scale
            : throw new CliUsageException($"--time-budget {text}: give a duration such as 90s, 20m or 1h.");
    }
}
