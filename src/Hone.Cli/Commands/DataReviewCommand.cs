using System.CommandLine;
using Hone.App.Data;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>The <c>--json</c> document of <c>hone data review</c>: the review, and the fixed copy when <c>--apply</c> wrote one.</summary>
/// <param name="Review">The review.</param>
/// <param name="Apply">The fixed copy, or null.</param>
public sealed record DataReviewJson(DataReviewResult Review, DataReviewApplyResult? Apply);

/// <summary>
/// <c>hone data review FILE --reviewer P:M [--apply --out NEW] [--accept all|none|LINES]</c>: rule checks plus a reviewer
/// model's flags with reasons and proposed fixes (<see cref="DataReview"/>); with <c>--apply</c> the accepted fixes go
/// to a new file (asked per flag at a terminal, else from <c>--accept</c>). Exit 0 nothing left to fix, 1 rule errors or
/// flags remain, 2 bad input.
/// </summary>
public static class DataReviewCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var file = new Argument<string>("FILE") { Description = "The SFT training file (JSONL); only read." };
        var reviewer = new Option<string>("--reviewer") { Description = "The reviewing model: provider:model (hone.yaml) or local:DIR.", Required = true };
        var apply = new Option<bool>("--apply") { Description = "Write the accepted fixes to --out (a new file; never the input)." };
        var output = new Option<string?>("--out") { Description = "The new file --apply writes." };
        var accept = new Option<string?>("--accept") { Description = "Which fixes to accept without asking: all, none, or flagged line numbers (3,7)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the estimate and stop: no model is called." };
        var yes = new Option<bool>("--yes") { Description = "Run even when the estimate is above the prompting budget of hone.yaml." };
        var cmd = new Command("review", "Double-check a training set: the data check's rules, and a reviewer model that flags wrong, inconsistent or " +
            "incomplete answers with a reason and a proposed fix; accepted fixes go to a new file with --apply. A killed review resumes.\n" +
            "Exit codes: 0 nothing left to fix, 1 rule errors or flags remain, 2 usage or input error.")
        {
            file, reviewer, apply, output, accept, dryRun, yes,
        };
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            if (p.GetValue(apply) && p.GetValue(output) is null) throw new CliUsageException("--apply needs --out NEW (the fixed copy is a new file; the input is never changed).");
            if (!p.GetValue(apply) && (p.GetValue(output) is not null || p.GetValue(accept) is not null)) throw new CliUsageException("--out and --accept go with --apply.");
            if (p.GetValue(apply) && p.GetValue(accept) is null && (!ctx.Interactive || ctx.Json))
                throw new CliUsageException("Not at a terminal: give --accept all, none or line numbers (3,7) with --apply.");
            var request = new DataReviewRequest
            {
                WorkingDirectory = ctx.WorkingDirectory, File = p.GetValue(file)!, Reviewer = p.GetValue(reviewer)!, DryRun = p.GetValue(dryRun), Yes = p.GetValue(yes),
            };
            var review = await DataReview.RunAsync(request, e => ctx.Console.MarkupLine($"[dim]{Markup.Escape(DataSynthCommand.EstimateLine(e))}[/]"),
                ctx.Interactive ? new Progress<string>(m => ctx.Stderr.WriteLine("… " + m)) : null, ct).ConfigureAwait(false);
            Print(ctx.Console, review);
            DataReviewApplyResult? applied = null;
            if (p.GetValue(apply) && !review.DryRun)
            {
                var lines = p.GetValue(accept) is { } a ? DataReview.ParseAccept(a, review) : Ask(ctx.Console, review);
                applied = DataReview.Apply(new DataReviewApplyRequest(ctx.WorkingDirectory, review, lines, p.GetValue(output)!));
                ctx.Console.MarkupLine($"applied {applied.Applied.Count} fixes, left {applied.Rejected.Count} flags → {Markup.Escape(applied.Output)}");
            }
            ctx.WriteJson(new DataReviewJson(review, applied));
            var open = review.Flags.Count - (applied?.Applied.Count ?? 0);
            return review.DryRun || (review.RuleErrors == 0 && open == 0) ? ExitCodes.Success : ExitCodes.ProblemsFound;
        });
        return cmd;
    }

    private static void Print(IAnsiConsole c, DataReviewResult r)
    {
        if (r.DryRun)
        {
            c.MarkupLine($"dry run: {r.Examples} examples; nothing was sent.");
            return;
        }
        c.MarkupLine($"{Markup.Escape(r.File)}: {r.Examples} examples, {r.RuleErrors} rule errors, {r.RuleWarnings} warnings; {r.Reviewed} reviewed by {Markup.Escape(r.Reviewer)}, " +
            $"{r.Flags.Count} flagged ({r.ReplayedCalls} answers from the progress file)");
        foreach (var f in r.Rules.Take(20)) c.MarkupLine($"  [yellow]{Markup.Escape(f.ToString())}[/]");
        foreach (var f in r.Flags)
        {
            c.MarkupLine($"  line {f.Line}: [red]{Markup.Escape(f.Verdict)}[/] {Markup.Escape(f.Reason)}");
            if (f.Fix is { } fix) c.MarkupLine($"    answer: {Markup.Escape(f.Answer)}\n    fix:    [green]{Markup.Escape(fix)}[/]");
        }
    }

    private static List<long> Ask(IAnsiConsole c, DataReviewResult r)
    {
        var accepted = new List<long>();
        foreach (var f in r.Flags.Where(f => f.Fix is not null))
        {
            c.Markup($"accept the fix of line {f.Line}? [[y/n]] ");
            var answer = Console.In.ReadLine();
            c.WriteLine();
            if (answer is null) break;
            if (answer.Trim().Equals("y", StringComparison.OrdinalIgnoreCase)) accepted.Add(f.Line);
        }
        return accepted;
    }
}
