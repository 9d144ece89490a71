using System.CommandLine;
using Hone.App.Prompts;
using Hone.Prompting.Lint;
using Hone.Prompting.Rendering;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone prompt …</c>: prompts as files (show, lint) and the techniques that find the best prompt (variants, best-of,
/// induce, debug, optimize). The logic lives in Hone.App.Prompts (over Hone.Prompting); these commands parse and print.
/// </summary>
public static class PromptCommands
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var cmd = new Command("prompt", "Find the best prompt before training: prompt files, chains, variants, best-of-N, induced and debugged prompts, optimization.\n" +
            "Exit codes: 0 success, 1 a check found problems (lint findings, no better prompt), 2 usage or input error.");
        cmd.Subcommands.Add(Show(host));
        cmd.Subcommands.Add(LintCommand(host));
        foreach (var c in PromptTechniqueCommands.Create(host)) cmd.Subcommands.Add(c);
        return cmd;
    }

    private static Command Show(CliHost host)
    {
        var prompt = PromptCli.PromptArgument();
        var golden = PromptCli.GoldenOption();
        var caseOpt = new Option<string>("--case") { Description = "The case: its id, or its position (1-based) in the golden set.", DefaultValueFactory = _ => "1" };
        var cmd = new Command("show", "Render a prompt or chain for one golden case: the messages, sampling, response format and tools.") { prompt, golden, caseOpt };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var r = PromptFiles.Show(new PromptShowRequest(p.GetValue(prompt)!, ctx.WorkingDirectory, p.GetValue(golden), p.GetValue(caseOpt)!));
            ctx.WriteJson(r);
            foreach (var s in r.Steps)
            {
                ctx.Console.MarkupLine($"[bold]{Markup.Escape(r.IsChain ? "step " + s.Step : r.Prompt)}[/] · case {Markup.Escape(r.CaseId)} · temperature {s.Temperature}" +
                    (s.MaxTokens is { } mt ? $" · max_tokens {mt}" : "") + (s.ResponseFormat is { } f ? $" · json schema {Markup.Escape(f)}" : "") +
                    (s.Tools.Count > 0 ? $" · tools {Markup.Escape(string.Join(", ", s.Tools))}" : "") + (s.Gate is { } gate ? $" · gate {Markup.Escape(gate)}" : ""));
                foreach (var m in s.Messages) ctx.Console.Write(new Panel(new Text(m.Content)).Header(m.Role).Expand());
            }
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command LintCommand(CliHost host)
    {
        var prompt = PromptCli.PromptArgument();
        var golden = PromptCli.GoldenOption();
        var cmd = new Command("lint", "Check a prompt or chain: undefined and unused variables, empty sections, few-shot examples that leak golden cases " +
            "(exact and near-duplicate). Exit 1 when it finds a warning or an error.") { prompt, golden };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var r = PromptFiles.Lint(new PromptLintRequest(p.GetValue(prompt)!, ctx.WorkingDirectory, p.GetValue(golden)));
            ctx.WriteJson(r);
            foreach (var f in r.Findings)
            {
                var color = f.Severity switch { LintSeverity.Error => "red", LintSeverity.Warning => "yellow", _ => "dim" };
                ctx.Console.MarkupLine($"[{color}]{f.Severity.ToString().ToLowerInvariant()}[/] {Markup.Escape(f.File)}{(f.Line > 0 ? ":" + f.Line : "")}: " +
                    $"{Markup.Escape(f.Message)} [dim]({f.Code})[/]");
            }
            ctx.Console.MarkupLine(r.Findings.Count == 0 ? $"{Markup.Escape(r.Prompt)}: no findings ({r.CasesChecked} golden cases checked)."
                : $"{Markup.Escape(r.Prompt)}: {r.Findings.Count(f => f.Severity == LintSeverity.Error)} errors, {r.Findings.Count(f => f.Severity == LintSeverity.Warning)} warnings ({r.CasesChecked} golden cases checked).");
            return r.HasProblems ? ExitCodes.ProblemsFound : ExitCodes.Success;
        });
        return cmd;
    }
}
