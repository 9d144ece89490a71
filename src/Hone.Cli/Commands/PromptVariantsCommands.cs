using System.CommandLine;
using System.Globalization;
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
            using var s = common.Open(p, ctx);
            var file = PromptCli.LoadPrompt(ctx, s.Workspace, p.GetValue(prompt)!, s.Resolver);
            var builtIns = p.GetValue(only) is { Length: > 0 } o ? o : null;
            foreach (var name in builtIns ?? []) if (!VariantBuilder.Names.Contains(name)) throw new CliUsageException($"--only {name}: built-in variants are {string.Join(", ", VariantBuilder.Names)}.");
            var request = new VariantsRequest(file, s.Cases, [.. (p.GetValue(variant) ?? []).Select(v => PromptCli.LoadPrompt(ctx, s.Workspace, v, s.Resolver))], builtIns, p.GetValue(common.Seed));
            var estimate = Hone.Prompting.Techniques.Variants.Estimate(request, s.Evaluator);
            common.Confirm(p, ctx, s, estimate);
            var r = await Hone.Prompting.Techniques.Variants.RunAsync(request, s.Evaluator, PromptTechniqueCli.Progress(ctx), ct).ConfigureAwait(false);
            var runId = PromptTechniqueCli.Record(s, "variants", file.Name, r);
            ctx.WriteJson(new PromptTechniqueJson<VariantsResult>("variants", runId, s.ModelName, estimate, r));
            static string N(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture);
            var t = new Table().Title($"{Markup.Escape(r.Prompt)}: {r.Cases} cases, model {Markup.Escape(s.ModelName)} (in %; Δ vs direct with its bootstrap 95% CI, McNemar exact p)")
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
            ctx.Console.MarkupLine($"[dim]spent {r.Spent.Calls} model calls, {PromptTechniqueCli.Money(r.Spent.Usd)}, {PromptTechniqueCli.Duration(r.Spent.Seconds)}; run {Markup.Escape(runId)}[/]");
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
            using var s = common.Open(p, ctx);
            var file = PromptCli.LoadPrompt(ctx, s.Workspace, p.GetValue(prompt)!, s.Resolver);
            var request = new BestOfRequest(file, s.Cases, p.GetValue(n), p.GetValue(temperature), p.GetValue(common.Seed));
            request.Validate();
            var estimate = BestOf.Estimate(request, s.Evaluator);
            common.Confirm(p, ctx, s, estimate);
            var r = await BestOf.RunAsync(request, s.Evaluator, PromptTechniqueCli.Progress(ctx), ct).ConfigureAwait(false);
            var runId = PromptTechniqueCli.Record(s, "best-of", file.Name, r);
            ctx.WriteJson(new PromptTechniqueJson<BestOfResult>("best-of", runId, s.ModelName, estimate, r));
            var t = new Table().Title($"{Markup.Escape(r.Prompt)}: best of {r.N}, {r.Cases} cases, model {Markup.Escape(s.ModelName)}").AddColumns("measure", "value");
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
            ctx.Console.MarkupLine($"[dim]spent {r.Spent.Calls} model calls, {PromptTechniqueCli.Money(r.Spent.Usd)}, {PromptTechniqueCli.Duration(r.Spent.Seconds)}; run {Markup.Escape(runId)}[/]");
            return ExitCodes.Success;
        });
        return cmd;
    }
}
