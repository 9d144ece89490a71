using System.CommandLine;
using System.Globalization;
using Hone.App.Prompts;
using Hone.Prompting.Techniques;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone prompt variants</c> and <c>hone prompt best-of</c>.</summary>
internal static class PromptVariantsCommands
{
    public static Command Variants(CliHost host)
    {
        var common = new PromptTechniqueCli();
        var prompt = PromptCli.PromptArgument();
        var variant = new Option<string[]>("--variant") { Description = "A prompt or chain file of your own to compare too (repeatable).", AllowMultipleArgumentsPerToken = true };
        var only = new Option<string[]>("--only") { Description = $"Built-in variants to run besides direct ({string.Join(", ", VariantBuilder.Names.Skip(1))}); default all.", AllowMultipleArgumentsPerToken = true };
        var cmd = new Command("variants", "Run the prompt directly, step by step, plan-and-solve, critique-and-revise and your own variants on the golden set; " +
            "paired comparison with direct (McNemar exact p, bootstrap CI, flips, cost per case); names the cheapest variant not worse than the best.") { prompt, variant, only };
        common.AddTo(cmd);
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var response = await PromptTechniques.VariantsAsync(new PromptVariantsRequest(common.Request(p, ctx), p.GetValue(prompt)!)
            {
                Variants = p.GetValue(variant) ?? [], Only = p.GetValue(only) is { Length: > 0 } o ? o : null,
            }, PromptTechniqueCli.ShowEstimate(ctx), PromptTechniqueCli.Progress(ctx), ct).ConfigureAwait(false);
            ctx.WriteJson(response);
            var r = response.Result;
            static string N(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture);
            var t = new Table().Title($"{Markup.Escape(r.Prompt)}: {r.Cases} cases, model {Markup.Escape(response.Model)} (in %; Δ vs direct with its bootstrap 95% CI, McNemar exact p)")
                .Border(TableBorder.Simple).AddColumns("variant", "calls", "accuracy", "Wilson 95%", "Δ [[95% CI]]", "McNemar p", "fixed/broken", "tokens/case", "$/1k cases");
            foreach (var v in r.Variants)
                t.AddRow(Markup.Escape(v.Name) + (v.Name == r.Recommended ? " [green]◀[/]" : ""), v.CallsPerCase.ToString(CultureInfo.InvariantCulture),
                    $"{N(v.Accuracy)} ({v.Passed}/{v.Graded})", $"{N(v.Wilson.Low)}–{N(v.Wilson.High)}",
                    v.VsDirect is { } d ? $"{(d.Difference >= 0 ? "+" : "")}{N(d.Difference)} [[{N(d.DifferenceLow)}, {N(d.DifferenceHigh)}]]" : "–",
                    v.VsDirect is { } d2 ? PromptTechniqueCli.P(d2.McNemarP) : "–",
                    v.VsDirect is { } d3 ? $"{d3.WrongToRight.Count}/{d3.RightToWrong.Count}" : "–",
                    (v.InputTokensPerCase + v.OutputTokensPerCase).ToString("0", CultureInfo.InvariantCulture),
                    v.CostPerCase is { } c ? (c * 1000).ToString("0.000", CultureInfo.InvariantCulture) : "–");
            ctx.Console.Write(t);
            ctx.Console.MarkupLine($"[green]◀[/] recommended: [bold]{Markup.Escape(r.Recommended)}[/]. {Markup.Escape(r.Reason)} (cost compared: {r.CostMeasure}; fixed/broken: " +
                "cases direct got wrong and the variant right, and the reverse)");
            PromptTechniqueCli.Spent(ctx, r.Spent, response.RunId);
            return ExitCodes.Success;
        });
        return cmd;
    }

    public static Command BestOfCommand(CliHost host)
    {
        var common = new PromptTechniqueCli();
        var prompt = PromptCli.PromptArgument();
        var n = new Option<int>("--n") { Description = "Samples per case (2-16).", DefaultValueFactory = _ => 4 };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature of the samples.", DefaultValueFactory = _ => 0.8 };
        var cmd = new Command("best-of", "N samples per case, then the model picks one from a shuffled list: pick accuracy, oracle pass@N, random-pick and " +
            "first-sample baselines, the picker's position bias, and the gain over one sample.") { prompt, n, temperature };
        common.AddTo(cmd);
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var response = await PromptTechniques.BestOfAsync(new PromptBestOfRequest(common.Request(p, ctx), p.GetValue(prompt)!, p.GetValue(n), p.GetValue(temperature)),
                PromptTechniqueCli.ShowEstimate(ctx), PromptTechniqueCli.Progress(ctx), ct).ConfigureAwait(false);
            ctx.WriteJson(response);
            var r = response.Result;
            var t = new Table().Title($"{Markup.Escape(r.Prompt)}: best of {r.N}, {r.Cases} cases, model {Markup.Escape(response.Model)}").AddColumns("measure", "value");
            t.AddRow("first sample (one call)", PromptTechniqueCli.Pct(r.FirstSample));
            t.AddRow("random pick of N (expected)", PromptTechniqueCli.Pct(r.RandomPick));
            t.AddRow("self-selected pick", $"[bold]{PromptTechniqueCli.Pct(r.SelectedAccuracy)}[/]");
            t.AddRow($"oracle pass@{r.N} (a perfect picker)", PromptTechniqueCli.Pct(r.OraclePassAtN));
            t.AddRow("pick accuracy (pick passes when one could)", $"{PromptTechniqueCli.Pct(r.PickAccuracy)} of {r.CasesWithAPass} cases");
            t.AddRow("gain over one sample", $"{(r.Gain.Difference >= 0 ? "+" : "")}{PromptTechniqueCli.Pct(r.Gain.Difference)}, McNemar p {PromptTechniqueCli.P(r.Gain.McNemarP)}, " +
                $"CI {PromptTechniqueCli.Pct(r.Gain.DifferenceLow)} to {PromptTechniqueCli.Pct(r.Gain.DifferenceHigh)}");
            t.AddRow("picks by shown position", $"{string.Join(" / ", r.PicksByPosition)} (χ² {r.PositionChiSquare:0.00}, p {PromptTechniqueCli.P(r.PositionP)})" +
                (r.PositionP < 0.05 ? " [yellow]position bias[/]" : ""));
            if (r.InvalidPicks > 0) t.AddRow("picker replies naming no candidate", r.InvalidPicks.ToString(CultureInfo.InvariantCulture));
            ctx.Console.Write(t);
            PromptTechniqueCli.Spent(ctx, r.Spent, response.RunId);
            return ExitCodes.Success;
        });
        return cmd;
    }
}
