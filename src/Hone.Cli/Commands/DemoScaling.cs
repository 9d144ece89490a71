using System.Globalization;
using Hone.Data.Samples;
using Hone.Store;
using Hone.Training.Improve;
using Hone.Training.Sft;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// The demo's last step: the golden set as an eval spec (<c>evals/orders.yaml</c>, json_field_match over the five fields),
/// then <see cref="ScaleStudy"/> on half of the training split and all of it with the fine-tune's settings, and the
/// measured gain of doubling the data with its interval.
/// </summary>
internal static class DemoScaling
{
    public static ScaleResult Run(CliContext ctx, Workspace ws, RunStore store, string goldenPath, SftRunOptions run, long seed, CancellationToken ct)
    {
        var specPath = Path.Combine(ws.EvalsDir, "orders.yaml");
        Hone.Store.AtomicFile.WriteAllText(specPath, """
            # The demo's golden set: an order passes when all five fields match the reference.
            name: orders
            golden_set: GOLDEN
            graders:
              - name: order_fields
                type: json_field_match
                input: "{{sample.output_text}}"
                reference: "{{item.reference}}"
                fields: [FIELDS]
                pass_threshold: 1
            temperature: 0
            max_tokens: MAX
            seed: 1

            """.Replace("GOLDEN", Path.GetRelativePath(ws.EvalsDir, goldenPath).Replace('\\', '/'), StringComparison.Ordinal)
            .Replace("FIELDS", string.Join(", ", OrderExtractionTask.Fields), StringComparison.Ordinal)
            .Replace("MAX", DemoEvaluation.MaxOutputTokens.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        int n = File.ReadLines(run.TrainFile).Count(l => !string.IsNullOrWhiteSpace(l));
        var options = new ScaleOptions { Run = run with { ValidFile = null }, Sizes = [n / 2, n], Seed = seed };
        var folder = Path.Combine(ws.RunsDir, "demo-scale");
        var scorer = GoldenSetScorer.For(ws, store, specPath);
        var result = DemoProgress.Run(ctx, "scaling: half the data, then all of it", _ => ScaleStudy.Run(options, folder, scorer, store, null, null, ct));
        var (half, all) = (result.Rungs[0], result.Rungs[^1]);
        var f = result.Fit;
        ctx.Console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[green]9[/] doubling the data ({half.Size} → {all.Size} examples, same settings): golden accuracy {EvalCommands.Pct(half.Trial.Score.Value)} → " +
            $"{EvalCommands.Pct(all.Trial.Score.Value)}, measured gain {f.GainPerDoubling * 100:+0.0;-0.0} points (95% CI {f.GainLow * 100:+0.0;-0.0} to {f.GainHigh * 100:+0.0;-0.0}); " +
            $"extrapolated at {2 * all.Size}: {f.PredictedAtDouble * 100:0.0}% → {Markup.Escape(Path.GetRelativePath(ws.Root, result.ChartSvg))}"));
        return result;
    }

    public static object Json(ScaleResult r) => new
    {
        folder = r.Folder,
        rungs = r.Rungs.Select(x => new { size = x.Size, score = StudyCli.ScoreJson(x.Trial.Score), train_seconds = x.Trial.TrainSeconds, score_seconds = x.Trial.ScoreSeconds, reused = x.Trial.Reused }),
        gain_per_doubling = r.Fit.GainPerDoubling, gain_low = r.Fit.GainLow, gain_high = r.Fit.GainHigh, predicted_at_double = r.Fit.PredictedAtDouble,
        chart = r.ChartSvg,
    };
}
