using System.CommandLine;
using System.Globalization;
using Hone.Prompting.Evaluation;
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
            using var s = common.Open(p, ctx, new SpendLimit(p.GetValue(maxCalls), p.GetValue(maxUsd)));
            var file = PromptCli.LoadPrompt(ctx, s.Workspace, p.GetValue(prompt)!, s.Resolver);
            var request = new OptimizeRequest
            {
                Prompt = file, Cases = s.Cases, Seed = p.GetValue(common.Seed), Target = p.GetValue(target), MaxRounds = p.GetValue(rounds),
                ProposalsPerRound = p.GetValue(proposals), Patience = p.GetValue(patience), MaxCalls = p.GetValue(maxCalls), MaxUsd = p.GetValue(maxUsd),
            };
            request.Validate();
            var estimate = Optimize.Estimate(request, s.Evaluator);
            common.Confirm(p, ctx, s, estimate);
            using var metaClient = p.GetValue(meta) is { } mm ? s.Resolver.Resolve(mm) : null;
            var r = await Optimize.RunAsync(request, s.Evaluator, s.Evaluator.Wrap(metaClient ?? s.ModelClient), PromptTechniqueCli.Progress(ctx), ct).ConfigureAwait(false);
            var written = r.BestYaml is { } y ? PromptRewriteCommands.WritePrompt(s.Workspace, file.Name + ".optimized", y) : null;
            var runId = PromptTechniqueCli.Record(s, "optimize", file.Name, r);
            ctx.WriteJson(new PromptTechniqueJson<OptimizeResult>("optimize", runId, s.ModelName, estimate, r));
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
            var best = written ?? file.SourcePath;
            var next = r.Verdict switch
            {
                OptimizeVerdict.TargetReached => $"hone eval {s.Golden.Spec!.Name} --prompt {best}",
                OptimizeVerdict.LimitReached => $"hone data bake {best} --data data/train.jsonl, then hone data check and hone train sft on the baked file",
                _ => "run the same command with a larger --max-calls/--max-usd/--rounds (answers so far come from the cache), or hone data bake " + best,
            };
            ctx.Console.MarkupLine($"next: {Markup.Escape(next)}");
            ctx.Console.MarkupLine($"[dim]spent {r.Spent.Calls} model calls, {PromptTechniqueCli.Money(r.Spent.Usd)}, {PromptTechniqueCli.Duration(r.Spent.Seconds)}; run {Markup.Escape(runId)}[/]");
            return ExitCodes.Success;
        });
        return cmd;
    }
}
