using System.CommandLine;
using System.Globalization;
using Hone.Evals.Compare;
using Hone.Evals.Runs;
using Hone.Store;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone eval compare A B</c>: paired case-by-case comparison. A may be <c>baseline</c> (the baseline of B's spec).
/// Exit 1 when B regresses significantly: more cases regressed than fixed and McNemar's exact p &lt; 0.05.
/// </summary>
public static class EvalCompareCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var a = new Argument<string>("A") { Description = "The reference run id, or 'baseline' for the baseline of B's spec." };
        var b = new Argument<string>("B") { Description = "The run to judge." };
        var seed = new Option<int>("--seed") { Description = "Seed of the paired bootstrap.", DefaultValueFactory = _ => 0 };
        var show = new Option<int>("--show") { Description = "Changed cases shown side by side.", DefaultValueFactory = _ => 20 };
        var cmd = new Command("compare", "Compare two eval runs case by case: fixed, regressed, accuracy difference with a paired-bootstrap 95% " +
            "interval and McNemar's exact p, per-tag accuracy. Exit 1 when B regresses significantly (more regressed than fixed, p < 0.05).")
        {
            a, b, seed, show,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            if (p.GetValue(show) < 0) throw new CliUsageException("--show must be 0 or more.");
            var ws = ctx.RequireWorkspace();
            using var store = ws.OpenStore();
            var runB = EvalRuns.Load(store, p.GetValue(b)!);
            var aId = p.GetValue(a)!;
            if (aId == "baseline")
                aId = EvalRuns.FindBaseline(store, runB.Run.Name)?.Id
                    ?? throw new WorkspaceException($"The spec '{runB.Run.Name}' has no baseline; mark one with 'hone eval baseline RUN'.");
            var runA = EvalRuns.Load(store, aId);
            var cmp = RunComparison.Compute(runA, runB, p.GetValue(seed));
            ctx.WriteJson(new
            {
                run_a = cmp.RunA,
                run_b = cmp.RunB,
                cases = cmp.Cases.Count,
                accuracy_a = cmp.AccuracyA,
                accuracy_b = cmp.AccuracyB,
                difference = cmp.Difference,
                difference_low = cmp.DifferenceInterval.Low,
                difference_high = cmp.DifferenceInterval.High,
                mcnemar_p = cmp.McNemarP,
                seed = cmp.Seed,
                @fixed = cmp.Fixed,
                regressed = cmp.Regressed,
                both_pass = cmp.BothPass,
                both_fail = cmp.BothFail,
                only_in_a = cmp.OnlyInA,
                only_in_b = cmp.OnlyInB,
                tags = cmp.Tags,
                significant_regression = cmp.SignificantRegression,
            });
            Report(ctx, cmp, p.GetValue(show));
            return cmp.SignificantRegression ? ExitCodes.ProblemsFound : ExitCodes.Success;
        });
        return cmd;
    }

    private static void Report(CliContext ctx, RunComparison cmp, int show)
    {
        var c = ctx.Console;
        c.MarkupLine($"A {Markup.Escape(cmp.RunA)}: {EvalCommands.Pct(cmp.AccuracyA)}   B {Markup.Escape(cmp.RunB)}: {EvalCommands.Pct(cmp.AccuracyB)}   over {cmp.Cases.Count} shared cases");
        var sign = cmp.Difference >= 0 ? "+" : "";
        c.MarkupLine($"difference B − A {sign}{EvalCommands.Pct(cmp.Difference)} (95% paired bootstrap {EvalCommands.Pct(cmp.DifferenceInterval.Low)} to {EvalCommands.Pct(cmp.DifferenceInterval.High)}), " +
            $"McNemar exact p = {cmp.McNemarP.ToString("0.0000", CultureInfo.InvariantCulture)}");
        c.MarkupLine($"[green]fixed {cmp.Fixed.Count}[/], [red]regressed {cmp.Regressed.Count}[/], both pass {cmp.BothPass}, both fail {cmp.BothFail}");
        if (cmp.OnlyInA.Count + cmp.OnlyInB.Count > 0) c.MarkupLine($"[yellow]not paired[/]: {cmp.OnlyInA.Count} cases only in A, {cmp.OnlyInB.Count} only in B");
        if (cmp.Tags.Count > 0)
        {
            var t = new Table().AddColumns("tag", "cases", "A", "B", "fixed", "regressed");
            foreach (var g in cmp.Tags)
                t.AddRow(Markup.Escape(g.Tag), g.Cases.ToString(CultureInfo.InvariantCulture), EvalCommands.Pct(g.AccuracyA), EvalCommands.Pct(g.AccuracyB),
                    g.Fixed.ToString(CultureInfo.InvariantCulture), g.Regressed.ToString(CultureInfo.InvariantCulture));
            c.Write(t);
        }
        var changed = cmp.Cases.Where(x => x.Change is CaseChange.Fixed or CaseChange.Regressed).Take(show).ToList();
        if (changed.Count > 0)
        {
            var t = new Table().AddColumns("case", "change", "A output", "B output");
            foreach (var x in changed)
                t.AddRow(Markup.Escape(x.CaseId), x.Change == CaseChange.Fixed ? "[green]fixed[/]" : "[red]regressed[/]", EvalCommands.Cell(x.OutputA), EvalCommands.Cell(x.OutputB));
            c.Write(t);
        }
        c.MarkupLine(cmp.SignificantRegression ? "[red]B regresses significantly[/] (more regressed than fixed, p < 0.05)." : "No significant regression.");
    }
}
