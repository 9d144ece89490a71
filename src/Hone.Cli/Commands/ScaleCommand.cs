using Hone.App.Training;
using System.CommandLine;
using System.Globalization;
using Hone.Data.Splitting;
using Hone.Training.Improve;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone scale --data FILE --sizes auto|N,N,... --spec SPEC --model M</c>: trains on each ladder rung with the same
/// settings, scores each on the golden set, fits accuracy against log2(size) and prints the gain of doubling the data
/// with its interval; writes scaling.svg/png. Resumable (the same command, or --out the same folder). Exit 0, 2 usage.
/// </summary>
public static class ScaleCommand
{
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var cli = new StudyCli();
        var sizes = new Option<string>("--sizes") { Description = "auto (25, 50, 100, … then all) or sizes such as 50,100,200.", DefaultValueFactory = _ => "auto" };
        var epochs = new Option<string>("--epochs") { Description = "auto or N epochs for every rung.", DefaultValueFactory = _ => "auto" };
        var lr = new Option<double>("--lr-multiplier") { Description = "Learning-rate multiplier for every rung.", DefaultValueFactory = _ => 1.0 };
        var cmd = new Command("scale", "Measure the gain of more data: train on nested subsets (the data ladder), score each on the golden set, fit accuracy against log2(size), " +
            "extrapolate the gain of doubling with its interval. Estimates the time first; resumable.\nExit codes: 0 done, 2 usage or input error.") { sizes, epochs, lr };
        cli.AddTo(cmd);
        host.SetHandler(cmd, (p, ctx, ct) =>
        {
            var request = new ScaleRequest(cli.Request(p, ctx, TrainText.AutoCount(p.GetValue(epochs)!, "--epochs"), p.GetValue(lr)), ParseSizes(p.GetValue(sizes)!));
            StudyPlan? plan = null;
            var estimate = ScaleUseCase.Estimate(request, x =>
            {
                plan = x;
                StudyCli.PrintPlan(ctx, "scale study", x, $"rungs {string.Join(", ", x.Trials)}" + (x.DoneBefore > 0 ? $" ({x.DoneBefore} done before, not retrained)" : ""));
            }, ct);
            StudyCli.PrintEstimate(ctx, plan!.Trials.Count - plan.DoneBefore, estimate.Estimate);
            if (p.GetValue(cli.EstimateOnly))
            {
                ctx.WriteJson(estimate);
                return Task.FromResult(ExitCodes.Success);
            }

            var result = ScaleUseCase.Run(request, estimate, r =>
            {
                if (!ctx.Json) ctx.Console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"  rung {r.Size}: {EvalCommands.Pct(r.Trial.Score.Value)} ({StudyCli.Ci(r.Trial.Score)}){(r.Trial.Reused ? " (done before)" : $", trained {r.Trial.TrainSeconds:0.0} s, scored {r.Trial.ScoreSeconds:0.0} s")}"));
            }, ct);
            Print(ctx, result.Result);
            ctx.WriteJson(result);
            return Task.FromResult(ExitCodes.Success);
        });
        return cmd;
    }

    private static IReadOnlyList<int>? ParseSizes(string text)
    {
        try
        {
            return LadderOptions.ParseSizes(text);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException($"--sizes {text}: {e.Message}");
        }
    }

    private static void Print(CliContext ctx, ScaleResult r)
    {
        if (ctx.Json) return;
        var t = new Table().AddColumns("examples", "epochs", "golden accuracy", "95% CI", "train s", "score s");
        foreach (var x in r.Rungs)
            t.AddRow(x.Size.ToString(CultureInfo.InvariantCulture), x.Trial.Epochs.ToString(CultureInfo.InvariantCulture), EvalCommands.Pct(x.Trial.Score.Value),
                StudyCli.Ci(x.Trial.Score), x.Trial.Reused ? "(before)" : x.Trial.TrainSeconds.ToString("0.0", CultureInfo.InvariantCulture),
                x.Trial.Reused ? "(before)" : x.Trial.ScoreSeconds.ToString("0.0", CultureInfo.InvariantCulture));
        ctx.Console.Write(t);
        var f = r.Fit;
        ctx.Console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[bold]doubling the data[/] ({f.LargestSize} → {2 * f.LargestSize} examples): {f.GainPerDoubling * 100:+0.0;-0.0} points per doubling " +
            $"(95% CI {f.GainLow * 100:+0.0;-0.0} to {f.GainHigh * 100:+0.0;-0.0}), extrapolated accuracy {f.PredictedAtDouble * 100:0.0}%"));
        ctx.Console.MarkupLine($"  fit: {Markup.Escape(f.Method)}");
        ctx.Console.MarkupLine($"plot {Markup.Escape(r.ChartSvg)} (and .png)");
    }
}
