using System.CommandLine;
using Hone.App.Prompts;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone prompt induce</c> and <c>hone prompt debug</c>: a meta-model writes or rewrites the prompt; the result is judged on held-out cases.</summary>
internal static class PromptRewriteCommands
{
    public static Option<string?> MetaModel() => new("--meta-model") { Description = "The model that writes prompts (provider:model or local:DIR); default: --model." };

    public static Command InduceCommand(CliHost host)
    {
        var common = new PromptTechniqueCli();
        var conversations = new Option<string>("--golden-conversations") { Description = "Golden conversations (OpenAI chat JSONL) showing ideal answers.", Required = true };
        var start = new Option<string?>("--prompt") { Description = "The starting prompt (its user template is kept); default: the cases' own messages, no system prompt." };
        var meta = MetaModel();
        var cmd = new Command("induce", "A meta-model writes a system prompt from golden conversations; it is validated on held-out golden cases against the " +
            "starting prompt (paired) and written to prompts/NAME.induced.yaml.") { conversations, start, meta };
        common.AddTo(cmd);
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var response = await PromptTechniques.InduceAsync(new PromptInduceRequest(common.Request(p, ctx), p.GetValue(conversations)!, p.GetValue(start), p.GetValue(meta)),
                PromptTechniqueCli.ShowEstimate(ctx), ct).ConfigureAwait(false);
            ctx.WriteJson(response);
            var (r, written) = (response.Result, response.Written);
            ctx.Console.MarkupLine($"{r.Conversations} conversations, {r.LeakingExcluded} left out as duplicates of held-out golden cases, {r.Shown} shown to the meta-model.");
            if (r.Rejected is { } rej) ctx.Console.MarkupLine($"[red]rejected[/] ({rej.Reason}): {Markup.Escape(rej.Detail)}");
            if (r.Validation is { } v)
                ctx.Console.MarkupLine($"held-out validation on {v.Cases} cases: start {PromptTechniqueCli.Pct(v.AccuracyA)} → induced [bold]{PromptTechniqueCli.Pct(v.AccuracyB)}[/] " +
                    $"(McNemar p {PromptTechniqueCli.P(v.McNemarP)}, CI {PromptTechniqueCli.Pct(v.DifferenceLow)} to {PromptTechniqueCli.Pct(v.DifferenceHigh)}): [bold]{r.Verdict}[/]");
            if (written is not null) ctx.Console.MarkupLine($"written: {Markup.Escape(written)}");
            return r.Verdict == "better" ? ExitCodes.Success : ExitCodes.ProblemsFound;
        });
        return cmd;
    }

    public static Command DebugCommand(CliHost host)
    {
        var common = new PromptTechniqueCli();
        var prompt = PromptCli.PromptArgument();
        var run = new Option<string>("--run") { Description = "The eval run whose failing cases are debugged (id or unique prefix).", Required = true };
        var heldOut = new Option<double>("--held-out") { Description = "Share of cases held out to judge the rewrite.", DefaultValueFactory = _ => 0.5 };
        var mustPass = new Option<string>("--must-pass-tag") { Description = "Cases with this tag must not regress.", DefaultValueFactory = _ => "must-pass" };
        var meta = MetaModel();
        var cmd = new Command("debug", "The failing cases of an eval run go to a meta-model that explains them and rewrites the prompt; the rewrite is adopted " +
            "(written to prompts/NAME.debugged.yaml) only with a significant paired gain on held-out cases and no must-pass regression. Exit 1 when not adopted.")
        { prompt, run, heldOut, mustPass, meta };
        common.AddTo(cmd);
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var response = await PromptTechniques.DebugAsync(new PromptDebugRequest(common.Request(p, ctx), p.GetValue(prompt)!, p.GetValue(run)!, p.GetValue(heldOut),
                p.GetValue(mustPass)!, p.GetValue(meta)), PromptTechniqueCli.ShowEstimate(ctx), PromptTechniqueCli.Progress(ctx), ct).ConfigureAwait(false);
            ctx.WriteJson(response);
            var (r, written) = (response.Result, response.Written);
            ctx.Console.MarkupLine($"{r.FailuresShown} failures of run {Markup.Escape(r.RunId)} shown to the meta-model; {r.HeldOutCases} cases held out.");
            if (r.Explanation.Length > 0) ctx.Console.MarkupLine($"explanation: {Markup.Escape(r.Explanation)}");
            if (r.HeldOut is { } h)
                ctx.Console.MarkupLine($"held out: {PromptTechniqueCli.Pct(h.AccuracyA)} → {PromptTechniqueCli.Pct(h.AccuracyB)}, {h.WrongToRight.Count} fixed, {h.RightToWrong.Count} broken, " +
                    $"McNemar p {PromptTechniqueCli.P(h.McNemarP)}; must-pass cases {r.MustPassCases.Count}, regressed {r.MustPassRegressions.Count}");
            ctx.Console.MarkupLine((r.Adopted ? "[green]" : "[yellow]") + Markup.Escape(r.Why) + "[/]");
            if (written is not null) ctx.Console.MarkupLine($"written: {Markup.Escape(written)}; next: {Markup.Escape(response.Next!)}");
            return r.Adopted ? ExitCodes.Success : ExitCodes.ProblemsFound;
        });
        return cmd;
    }
}
