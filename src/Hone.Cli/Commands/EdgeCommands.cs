using Hone.App.Evals;
using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone edge list|add|show|export</c>: the workspace's named edge cases (golden-set tags and cases added from runs'
/// failures, kept in <c>evals/edge_cases.jsonl</c>), each with its pass/fail history across eval runs, and the export
/// of a run's failing cases as training examples.
/// </summary>
public static class EdgeCommands
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var cmd = new Command("edge", "Named edge cases: golden-set tags and cases added from runs' failures, with their history across runs.");
        cmd.Subcommands.Add(EdgeListCommand.Create(host));
        cmd.Subcommands.Add(EdgeAddCommand.Create(host));
        cmd.Subcommands.Add(EdgeShowCommand.Create(host));
        cmd.Subcommands.Add(EdgeExportCommand.Create(host));
        return cmd;
    }

    /// <summary>"3/5" with colour: green when all pass, red when none do.</summary>
    internal static string Score(EdgeHistoryPoint p)
    {
        var text = $"{p.Passing.ToString(CultureInfo.InvariantCulture)}/{p.Cases.ToString(CultureInfo.InvariantCulture)}";
        return p.Passing == p.Cases ? $"[green]{text}[/]" : p.Passing == 0 ? $"[red]{text}[/]" : $"[yellow]{text}[/]";
    }
}

/// <summary><c>hone edge list</c>: every named edge case with its latest result and its history across runs.</summary>
public static class EdgeListCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var cmd = new Command("list", "The workspace's named edge cases (golden-set tags and cases added from runs) with their pass/fail history across runs.");
        host.SetHandler(cmd, (p, ctx) =>
        {
            var r = EdgeCaseUseCases.List(new EdgeCaseRequest(ctx.WorkingDirectory));
            foreach (var w in r.Warnings) ctx.Warn(w);
            ctx.WriteJson(r);
            if (r.EdgeCases.Count == 0)
            {
                ctx.Console.MarkupLine("No edge cases yet: tag golden-set cases (\"tags\": [...]) or add a run's failures with 'hone edge add RUN --tag NAME'.");
                return ExitCodes.Success;
            }
            var t = new Table().AddColumns("edge case", "source", "cases", "latest run", "latest", "history (oldest → newest)");
            foreach (var e in r.EdgeCases)
            {
                var latest = e.History.Count > 0 ? e.History[^1] : null;
                var source = (e.FromTag, e.Added > 0) switch { (true, true) => "tag + added", (true, false) => "tag", _ => "added" };
                t.AddRow(Markup.Escape(e.Name), source, e.KnownCases.ToString(CultureInfo.InvariantCulture),
                    latest is null ? "—" : Markup.Escape(latest.RunId), latest is null ? "—" : EdgeCommands.Score(latest),
                    string.Join(" ", e.History.TakeLast(8).Select(EdgeCommands.Score)));
            }
            ctx.Console.Write(t);
            return ExitCodes.Success;
        });
        return cmd;
    }
}

/// <summary><c>hone edge show NAME</c>: one edge case's history across runs and its latest outputs.</summary>
public static class EdgeShowCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var name = new Argument<string>("NAME") { Description = "The edge case (a golden-set tag or a name given with 'hone edge add')." };
        var cmd = new Command("show", "One edge case: its pass/fail history across runs and the outputs of its cases in the newest run.") { name };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var edge = EdgeCaseUseCases.Show(new EdgeCaseRequest(ctx.WorkingDirectory, p.GetValue(name)!));
            foreach (var w in edge.Warnings) ctx.Warn(w);
            ctx.WriteJson(edge);
            var c = ctx.Console;
            c.MarkupLine($"[bold]{Markup.Escape(edge.Name)}[/]: {edge.KnownCases} cases" + (edge.Added.Count > 0 ? $", {edge.Added.Count} added from runs" : "") + (edge.FromTag ? ", a golden-set tag" : ""));
            if (edge.History.Count == 0)
            {
                c.MarkupLine("No run has its cases yet; run 'hone eval SPEC'.");
                return ExitCodes.Success;
            }
            var h = new Table().AddColumns("run", "spec", "model", "created (UTC)", "passing", "failing cases");
            foreach (var pt in edge.History)
                h.AddRow(Markup.Escape(pt.RunId), Markup.Escape(pt.Spec), Markup.Escape(pt.Model), pt.CreatedUtc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                    EdgeCommands.Score(pt), EvalCommands.Cell(string.Join(", ", pt.Failing), 50));
            c.Write(h);
            var o = new Table().AddColumns("case", "result", $"output in {Markup.Escape(edge.LatestRun!)}");
            foreach (var x in edge.LatestOutputs) o.AddRow(Markup.Escape(x.CaseId), x.Pass ? "[green]pass[/]" : "[red]fail[/]", EvalCommands.Cell(x.Output, 90));
            c.Write(o);
            return ExitCodes.Success;
        });
        return cmd;
    }
}
