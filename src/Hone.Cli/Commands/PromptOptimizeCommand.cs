using System.CommandLine;
using System.Globalization;
using Hone.App.Prompts;
using Hone.Prompting.Techniques;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone prompt optimize</c>: propose, evaluate, keep the best, repeat; a verdict and the next step.</summary>
internal static class PromptOptimizeCommand
{
    public static Command Create(CliHost host)
    {
        var common = new PromptTechniqueCli();
        var prompt = PromptCli.PromptArgument();
        var target = new Option<double>("--target") { Description = "Select-part accuracy that ends the search (0-1).", DefaultValueFactory = _ => 1.0 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds of proposals at most.", DefaultValueFactory = _ => 4 };
        var proposals = new Option<int>("--proposals") { Description = "Proposals per round.", DefaultValueFactory = _ => 2 };
        var patience = new Option<int>("--patience") { Description = "Rounds without a better prompt before prompting is judged at its limit.", DefaultValueFactory = _ => 2 };
        var maxCalls = new Option<long?>("--max-calls") { Description = "Paid model calls at most (the final test evaluation is reserved within it)." };
        var maxUsd = new Option<decimal?>("--max-usd") { Description = "Dollars at most." };
        var meta = PromptRewriteCommands.MetaModel();
        var cmd = new Command("optimize", "Propose prompts from the failures on a fit part, evaluate them on fit and select, keep the best, repeat within a budget; " +
            "the test part (sealed, seeded) is read once at the end. Verdict: target reached, budget exhausted, or prompting has reached its limit; prints the next step.")
        { prompt, target, rounds, proposals, patience, maxCalls, maxUsd, meta };
        common.AddTo(cmd);
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var response = await PromptTechniques.OptimizeAsync(new PromptOptimizeRequest(common.Request(p, ctx), p.GetValue(prompt)!)
            {
                Target = p.GetValue(target), Rounds = p.GetValue(rounds), Proposals = p.GetValue(proposals), Patience = p.GetValue(patience),
                MaxCalls = p.GetValue(maxCalls), MaxUsd = p.GetValue(maxUsd), MetaModel = p.GetValue(meta),
            }, PromptTechniqueCli.ShowEstimate(ctx), PromptTechniqueCli.Progress(ctx), ct).ConfigureAwait(false);
            ctx.WriteJson(response);
            var (r, written) = (response.Result, response.Written);
            var t = new Table().Title($"{Markup.Escape(r.Prompt)}: fit {r.SplitSizes[0]} / select {r.SplitSizes[1]} / test {r.SplitSizes[2]} cases (seal {r.Seal[..12]})")
                .AddColumns("candidate", "round", "fit", "select", "kept");
            foreach (var c in r.Candidates)
                t.AddRow(Markup.Escape(c.Name) + (c.Name == r.Best ? " [green]◀ best[/]" : ""), c.Round.ToString(CultureInfo.InvariantCulture),
                    PromptTechniqueCli.Pct(c.FitAccuracy), PromptTechniqueCli.Pct(c.SelectAccuracy), c.Kept ? "yes" : "");
            ctx.Console.Write(t);
            foreach (var x in r.Rejected) ctx.Console.MarkupLine($"[yellow]rejected[/] {Markup.Escape(x.Name)} ({x.Reason}): {Markup.Escape(x.Detail)}");
            var test = r.Test;
            ctx.Console.MarkupLine($"test part (read once): start {PromptTechniqueCli.Pct(test.AccuracyA)} → best [bold]{PromptTechniqueCli.Pct(test.AccuracyB)}[/] " +
                $"({test.WrongToRight.Count} fixed, {test.RightToWrong.Count} broken, McNemar p {PromptTechniqueCli.P(test.McNemarP)})");
            ctx.Console.MarkupLine($"[bold]{Markup.Escape(r.VerdictText)}[/]");
            if (written is not null) ctx.Console.MarkupLine($"best prompt written: {Markup.Escape(written)}");
            ctx.Console.MarkupLine($"next: {Markup.Escape(response.Next!)}");
            PromptTechniqueCli.Spent(ctx, r.Spent, response.RunId);
            return ExitCodes.Success;
        });
        return cmd;
    }
}
