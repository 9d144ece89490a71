using System.CommandLine;
using System.Globalization;
using Hone.App.Evals;
using Hone.Evals.Compare;
using Hone.Evals.Runs;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone compare RUN_A RUN_B [--seed N] [--show N] [--html FILE]</c> (also <c>hone eval compare</c>, the same
/// command): paired case-by-case comparison of two eval runs: fixed, regressed, both pass, both fail; the accuracy
/// difference with its paired-bootstrap 95% interval and McNemar's exact p; per-tag accuracy side by side; the changed
/// cases side by side with a word-level diff (removed words red and struck through, added words green); <c>--html</c>
/// writes a self-contained report. A may be <c>baseline</c> (the baseline of B's spec).
/// Exit 1 when B regresses significantly (the rule of <see cref="RunComparison"/>: more cases regressed than fixed and
/// McNemar's exact p &lt; 0.05), 0 otherwise, 2 for bad input.
/// </summary>
public static class CompareCommand
{
    /// <summary>Builds the command under <paramref name="name"/> (<c>compare</c> at the top level and under <c>eval</c>).</summary>
    public static Command Create(CliHost host, string name = "compare")
    {
        ArgumentNullException.ThrowIfNull(host);
        var a = new Argument<string>("RUN_A") { Description = "The reference run id (or unique prefix), or 'baseline' for the baseline of B's spec." };
        var b = new Argument<string>("RUN_B") { Description = "The run to judge." };
        var seed = new Option<int>("--seed") { Description = "Seed of the paired bootstrap.", DefaultValueFactory = _ => 0 };
        var show = new Option<int>("--show") { Description = "Changed cases shown side by side.", DefaultValueFactory = _ => 20 };
        var html = new Option<string?>("--html") { Description = "Also write a self-contained HTML report to this file." };
        var cmd = new Command(name, "Compare two eval runs case by case: fixed, regressed, accuracy difference with a paired-bootstrap 95% " +
            "interval and McNemar's exact p, per-tag accuracy, changed outputs with their differences highlighted; --html writes a report.\n" +
            "Exit 1 when B regresses significantly (more regressed than fixed and McNemar p < 0.05).")
        {
            a, b, seed, show, html,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            if (p.GetValue(show) < 0) throw new CliUsageException("--show must be 0 or more.");
            var r = CompareRuns.Run(new CompareRequest(p.GetValue(a)!, p.GetValue(b)!, ctx.WorkingDirectory, p.GetValue(seed), p.GetValue(html)));
            var cmp = r.Comparison!;
            ctx.WriteJson(r);
            Report(ctx, cmp, p.GetValue(show));
            if (r.Html is not null) ctx.Console.MarkupLine($"report: {Markup.Escape(r.Html)}");
            return cmp.SignificantRegression ? ExitCodes.ProblemsFound : ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>
    /// Spectre markup of the two sides of a word-level diff: A's text with removed words in red strikethrough, and B's
    /// text with added words in green. All text is markup-escaped.
    /// </summary>
    public static (string A, string B) DiffMarkup(string outputA, string outputB)
    {
        ArgumentNullException.ThrowIfNull(outputA);
        ArgumentNullException.ThrowIfNull(outputB);
        var sa = new System.Text.StringBuilder();
        var sb = new System.Text.StringBuilder();
        foreach (var s in WordDiff.Diff(outputA, outputB))
        {
            var text = Markup.Escape(s.Text);
            switch (s.Kind)
            {
                case DiffKind.Same:
                    sa.Append(text);
                    sb.Append(text);
                    break;
                case DiffKind.Removed:
                    sa.Append("[red strikethrough]").Append(text).Append("[/]");
                    break;
                default:
                    sb.Append("[green]").Append(text).Append("[/]");
                    break;
            }
        }
        return (sa.ToString(), sb.ToString());
    }

    private static void Report(CliContext ctx, RunComparison cmp, int show)
    {
        var c = ctx.Console;
        c.MarkupLine($"A {Markup.Escape(cmp.RunA)} ({Markup.Escape(cmp.ModelA)}): {EvalCommands.Pct(cmp.AccuracyA)}   " +
            $"B {Markup.Escape(cmp.RunB)} ({Markup.Escape(cmp.ModelB)}): {EvalCommands.Pct(cmp.AccuracyB)}   over {cmp.Cases.Count} shared cases");
        var sign = cmp.Difference >= 0 ? "+" : "";
        c.MarkupLine($"difference B − A {sign}{EvalCommands.Pct(cmp.Difference)} (95% paired bootstrap {EvalCommands.Pct(cmp.DifferenceInterval.Low)} to {EvalCommands.Pct(cmp.DifferenceInterval.High)}), " +
            $"McNemar exact p = {cmp.McNemarP.ToString("0.0000", CultureInfo.InvariantCulture)}");
        c.MarkupLine($"[green]fixed {cmp.Fixed.Count}[/], [red]regressed {cmp.Regressed.Count}[/], both pass {cmp.BothPass}, both fail {cmp.BothFail}");
        if (cmp.OnlyInA.Count + cmp.OnlyInB.Count > 0) c.MarkupLine($"[yellow]not paired[/]: {cmp.OnlyInA.Count} cases only in A, {cmp.OnlyInB.Count} only in B");
        if (cmp.NotComparable.Count > 0)
            c.MarkupLine($"[yellow]not comparable[/]: {cmp.NotComparable.Count} cases skipped as longer than the model's context in A or B, left out of every figure");
        if (cmp.Tags.Count > 0)
        {
            var t = new Table().AddColumns("edge case (tag)", "cases", "A", "B", "fixed", "regressed");
            foreach (var g in cmp.Tags)
                t.AddRow(Markup.Escape(g.Tag), g.Cases.ToString(CultureInfo.InvariantCulture), EvalCommands.Pct(g.AccuracyA), EvalCommands.Pct(g.AccuracyB),
                    g.Fixed.ToString(CultureInfo.InvariantCulture), g.Regressed.ToString(CultureInfo.InvariantCulture));
            c.Write(t);
        }
        var changed = cmp.Cases.Where(x => x.Change is CaseChange.Fixed or CaseChange.Regressed).ToList();
        if (changed.Count > 0 && show > 0)
        {
            var t = new Table().AddColumns("case", "change", "A output", "B output");
            foreach (var x in changed.Take(show))
            {
                var (ma, mb) = DiffMarkup(Clip(x.OutputA), Clip(x.OutputB));
                t.AddRow(new Markup(Markup.Escape(x.CaseId)), new Markup(x.Change == CaseChange.Fixed ? "[green]fixed[/]" : "[red]regressed[/]"), new Markup(ma), new Markup(mb));
            }
            c.Write(t);
            if (changed.Count > show) c.MarkupLine($"… {changed.Count - show} more changed cases (--show N, --json or --html).");
        }
        c.MarkupLine(cmp.SignificantRegression ? "[red]B regresses significantly[/] (more regressed than fixed, p < 0.05)." : "No significant regression.");
    }

    private static string Clip(string s, int max = 400) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
