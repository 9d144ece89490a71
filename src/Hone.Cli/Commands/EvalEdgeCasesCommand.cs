using Hone.App.Evals;
using System.CommandLine;
using System.Globalization;
using Hone.Evals.EdgeCases;
using Hone.Evals.Runs;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone eval edge-cases RUN [--against RUN] [--export FILE]</c>: a run's failing cases grouped by tag, tracked
/// against an earlier run (default: the spec's baseline), optionally exported as training examples.
/// Exit 1 when the run has failing cases, 0 when it has none.
/// </summary>
public static class EvalEdgeCasesCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var run = new Argument<string>("RUN") { Description = "The eval run id (or a unique prefix)." };
        var against = new Option<string?>("--against") { Description = "An earlier run to track against (default: the spec's baseline, when it is another run)." };
        var export = new Option<string?>("--export") { Description = "Write the failing cases as chat training examples (JSONL) to this file." };
        var referenceField = new Option<string?>("--reference-field") { Description = "The golden-set field holding the reference answer (default: a trailing assistant message)." };
        var tag = new Option<string?>("--tag") { Description = "Export only the failing cases with this tag." };
        var allowLeak = EdgeExportCommand.AllowGoldenLeakOption();
        var cmd = new Command("edge-cases", "The failing cases of a run grouped by tag into named edge cases, which were fixed and which regressed; " +
            "--export writes them as training examples (with --allow-golden-leak: it leaks the golden set). Exit 1 when some cases fail.")
        {
            run, against, export, referenceField, tag, allowLeak,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            if (p.GetValue(export) is not null) EdgeExportCommand.GuardGoldenLeak(ctx, p.GetValue(allowLeak));
            var ws = ctx.RequireWorkspace();
            using var store = ws.OpenStore();
            var loaded = EvalRuns.Load(store, p.GetValue(run)!);
            LoadedEvalRun? earlier = null;
            if (p.GetValue(against) is { } other) earlier = EvalRuns.Load(store, other);
            else if (EvalRuns.FindBaseline(store, loaded.Run.Name) is { } b && b.Id != loaded.Run.Id) earlier = EvalRuns.Load(store, b.Id);
            var report = EdgeCaseReport.Compute(loaded, earlier);
            EdgeCaseExportResult? exported = null;
            if (p.GetValue(export) is { } file)
            {
                var spec = EvalWorkspace.SpecOfRun(loaded.Run, EvalWorkspace.Resolver(ws, null));
                exported = EdgeCaseExport.Write(ctx.ResolvePath(file), loaded, spec, p.GetValue(referenceField), p.GetValue(tag));
            }
            ctx.WriteJson(new
            {
                run_id = report.RunId,
                against = report.AgainstRunId,
                failing_cases = report.FailingCases,
                edge_cases = report.EdgeCases.Select(e => new { name = e.Name, cases = e.Cases, passing = e.Passing, failing = e.Failing, @fixed = e.Fixed, regressed = e.Regressed }),
                export = exported,
            });
            var c = ctx.Console;
            c.MarkupLine($"{Markup.Escape(report.RunId)}: {report.FailingCases.Count} failing cases" +
                (report.AgainstRunId is { } a ? $", tracked against {Markup.Escape(a)}" : ""));
            var t = new Table().AddColumns("edge case", "cases", "failing", "fixed", "regressed", "failing ids");
            foreach (var e in report.EdgeCases)
                t.AddRow(Markup.Escape(e.Name), e.Cases.ToString(CultureInfo.InvariantCulture), e.Failing.Count.ToString(CultureInfo.InvariantCulture),
                    e.Fixed.Count.ToString(CultureInfo.InvariantCulture), e.Regressed.Count.ToString(CultureInfo.InvariantCulture), EvalCommands.Cell(string.Join(", ", e.Failing), 50));
            if (report.EdgeCases.Count > 0) c.Write(t);
            if (exported is not null)
                c.MarkupLine($"exported {exported.Cases} cases ({exported.WithReference} with their reference answer) to {Markup.Escape(exported.Path)}");
            return report.FailingCases.Count > 0 ? ExitCodes.ProblemsFound : ExitCodes.Success;
        });
        return cmd;
    }
}
