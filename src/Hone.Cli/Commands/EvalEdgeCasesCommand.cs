using Hone.App.Evals;
using System.CommandLine;
using System.Globalization;
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
            var report = EdgeCaseWrites.Report(new EvalEdgeCasesRequest(ctx.WorkingDirectory, p.GetValue(run)!)
            {
                Against = p.GetValue(against), Export = p.GetValue(export), ReferenceField = p.GetValue(referenceField), Tag = p.GetValue(tag),
                AllowGoldenLeak = p.GetValue(allowLeak),
            }, ctx.Warn);
            ctx.WriteJson(report);
            var exported = report.Export;
            var c = ctx.Console;
            c.MarkupLine($"{Markup.Escape(report.RunId)}: {report.FailingCases.Count} failing cases" +
                (report.Against is { } a ? $", tracked against {Markup.Escape(a)}" : ""));
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
