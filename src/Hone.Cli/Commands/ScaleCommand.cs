using Hone.App.Evals;
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
            var ws = ctx.RequireWorkspace();
            using var store = ws.OpenStore();
            var specPath = EvalWorkspace.FindSpec(ws, p.GetValue(cli.Spec)!, ctx.WorkingDirectory);
            var spec = EvalWorkspace.LoadSpec(specPath, EvalWorkspace.Resolver(ws, null, store));
            var options = new ScaleOptions
            {
                Run = cli.RunOptions(p, ctx, DataCheckCommand.ParseEpochs(p.GetValue(epochs)!), p.GetValue(lr)),
                Sizes = ParseSizes(p.GetValue(sizes)!),
                Seed = p.GetValue(cli.Seed),
                Judge = StudyCli.Judge(specPath, spec),
            };
            options.Validate();
            var folder = cli.Folder(p, ctx, ws, "scale", ScaleStudy.Settings(options));
            var scorer = GoldenSetScorer.For(ws, store, specPath);
            var golden = StudyCli.GoldenCases(spec);

            // The estimate: the rungs not yet recorded in the study folder.
            var ladder = ScaleStudy.Ladder(options, folder);
            var study = new StudyFolder(folder, "scale", ScaleStudy.Settings(options));
            var todo = ladder.Rungs.Where(r => study.Find(ScaleStudy.RungName(r.Size)) is null)
                .Select(r => new PlannedTrial(r.Size, options.Run.Trainer.Epochs ?? Hone.Data.Cost.EpochRule.AutoEpochs(r.Size))).ToList();
            if (!ctx.Json) ctx.Console.MarkupLine($"scale study {Markup.Escape(folder)}: rungs {string.Join(", ", ladder.Rungs.Select(r => r.Size))}" +
                (todo.Count < ladder.Rungs.Count ? $" ({ladder.Rungs.Count - todo.Count} done before, not retrained)" : ""));
            var estimate = todo.Count == 0 ? null : cli.Estimate(p, ctx, ws, store, specPath, folder, options.Run, todo, golden, ct);
            if (p.GetValue(cli.EstimateOnly))
            {
                ctx.WriteJson(new { folder, estimate, rungs = ladder.Rungs.Select(r => r.Size) });
                return Task.FromResult(ExitCodes.Success);
            }

            var result = ScaleStudy.Run(options, folder, scorer, store, r =>
            {
                if (!ctx.Json) ctx.Console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"  rung {r.Size}: {EvalCommands.Pct(r.Trial.Score.Value)} ({StudyCli.Ci(r.Trial.Score)}){(r.Trial.Reused ? " (done before)" : $", trained {r.Trial.TrainSeconds:0.0} s, scored {r.Trial.ScoreSeconds:0.0} s")}"));
            }, null, ct);
            Print(ctx, result);
            ctx.WriteJson(new
            {
                folder = result.Folder,
                estimate,
                rungs = result.Rungs.Select(r => new
                {
                    size = r.Size, folder = r.Trial.Folder, epochs = r.Trial.Epochs, score = StudyCli.ScoreJson(r.Trial.Score),
                    train_seconds = r.Trial.TrainSeconds, score_seconds = r.Trial.ScoreSeconds, reused = r.Trial.Reused,
                }),
                fit = new
                {
                    intercept = result.Fit.Intercept, gain_per_doubling = result.Fit.GainPerDoubling, gain_low = result.Fit.GainLow, gain_high = result.Fit.GainHigh,
                    largest_size = result.Fit.LargestSize, predicted_at_double = result.Fit.PredictedAtDouble, method = result.Fit.Method,
                },
                chart = result.ChartSvg,
                chart_png = Hone.Training.Analysis.TrainingChart.PngPath(result.ChartSvg),
            });
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
