using Hone.App.Evals;
using System.CommandLine;
using System.Globalization;
using Hone.Evals.EdgeCases;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Store;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone edge list|add|show|export</c>: the workspace's named edge cases (golden-set tags and cases added from runs'
/// failures, kept in <c>evals/edge_cases.jsonl</c>), each with its pass/fail history across eval runs, and the export
/// of a run's failing cases as training examples.
/// </summary>
public static class EdgeCommands
{
    /// <summary>The most recent eval runs read for histories.</summary>
    public const int MaxRuns = 500;

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

    /// <summary>
    /// The catalog of the workspace: the eval runs that have results, the golden sets of the specs in the evals folder
    /// (a spec that does not load is skipped with a warning), and the edge-case book.
    /// </summary>
    internal static (IReadOnlyList<NamedEdgeCase> Catalog, IReadOnlyList<LoadedEvalRun> Runs) Catalog(CliContext ctx, Workspace ws, RunStore store)
    {
        var runs = new List<LoadedEvalRun>();
        foreach (var r in store.ListRuns(EvalRunner.Kind, MaxRuns))
        {
            if (!store.GetArtifacts(r.Id).ContainsKey(EvalRunner.CasesArtifact)) continue; // interrupted before any result
            try { runs.Add(EvalRuns.Load(store, r.Id)); }
            catch (Exception e) when (CliHost.IsInputError(e)) { ctx.Warn($"skipped run {r.Id} ({e.Message})"); }
        }
        var golden = new Dictionary<string, IReadOnlyList<GoldenCase>>(StringComparer.Ordinal);
        if (Directory.Exists(ws.EvalsDir))
        {
            var resolver = EvalWorkspace.Resolver(ws, null);
            foreach (var path in Directory.EnumerateFiles(ws.EvalsDir, "*.y*ml").Order(StringComparer.Ordinal))
            {
                if (!path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) && !path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)) continue;
                try
                {
                    var spec = EvalWorkspace.LoadSpec(path, resolver);
                    golden.TryAdd(spec.Name, GoldenSet.Load(spec.GoldenSetPath));
                }
                catch (Exception e) when (CliHost.IsInputError(e))
                {
                    ctx.Warn($"skipped {Path.GetFileName(path)} ({e.Message})");
                }
            }
        }
        var book = EdgeCaseBook.Load(EdgeCaseBook.PathIn(ws));
        return (EdgeCaseCatalog.Build(runs, golden, book), runs);
    }

    /// <summary>"3/5" with colour: green when all pass, red when none do.</summary>
    internal static string Score(EdgeCaseRunPoint p)
    {
        var text = $"{p.Passing.ToString(CultureInfo.InvariantCulture)}/{p.Cases.ToString(CultureInfo.InvariantCulture)}";
        return p.Passing == p.Cases ? $"[green]{text}[/]" : p.Passing == 0 ? $"[red]{text}[/]" : $"[yellow]{text}[/]";
    }

    /// <summary>JSON of one history point.</summary>
    internal static object Json(EdgeCaseRunPoint p) => new
    {
        run_id = p.RunId, spec = p.Spec, model = p.Model, created_utc = p.CreatedUtc, cases = p.Cases, passing = p.Passing, failing = p.Failing,
    };
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
            var ws = ctx.RequireWorkspace();
            using var store = ws.OpenStore();
            var (catalog, runs) = EdgeCommands.Catalog(ctx, ws, store);
            ctx.WriteJson(new
            {
                runs = runs.Count,
                edge_cases = catalog.Select(e => new
                {
                    name = e.Name,
                    from_tag = e.FromTag,
                    added = e.Added.Count,
                    known_cases = e.KnownCases,
                    history = e.History.Select(EdgeCommands.Json),
                }),
            });
            if (catalog.Count == 0)
            {
                ctx.Console.MarkupLine("No edge cases yet: tag golden-set cases (\"tags\": [...]) or add a run's failures with 'hone edge add RUN --tag NAME'.");
                return ExitCodes.Success;
            }
            var t = new Table().AddColumns("edge case", "source", "cases", "latest run", "latest", "history (oldest → newest)");
            foreach (var e in catalog)
            {
                var source = (e.FromTag, e.Added.Count > 0) switch { (true, true) => "tag + added", (true, false) => "tag", _ => "added" };
                t.AddRow(Markup.Escape(e.Name), source, e.KnownCases.ToString(CultureInfo.InvariantCulture),
                    e.Latest is { } l ? Markup.Escape(l.RunId) : "—", e.Latest is { } l2 ? EdgeCommands.Score(l2) : "—",
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
            var ws = ctx.RequireWorkspace();
            using var store = ws.OpenStore();
            var (catalog, runs) = EdgeCommands.Catalog(ctx, ws, store);
            var wanted = p.GetValue(name)!;
            var edge = catalog.FirstOrDefault(e => e.Name == wanted)
                ?? throw new WorkspaceException($"No edge case '{wanted}' (known: {(catalog.Count == 0 ? "none" : string.Join(", ", catalog.Select(e => e.Name).Take(20)))}). " +
                    "'hone edge list' lists them.");
            var latestRun = edge.Latest is { } l ? runs.First(r => r.Run.Id == l.RunId) : null;
            var outputs = latestRun is null ? [] : EdgeCaseCatalog.Outputs(latestRun, edge);
            ctx.WriteJson(new
            {
                name = edge.Name,
                from_tag = edge.FromTag,
                known_cases = edge.KnownCases,
                added = edge.Added.Select(e => new { spec = e.Spec, case_id = e.CaseId, from_run = e.FromRun, added_utc = e.AddedUtc }),
                history = edge.History.Select(EdgeCommands.Json),
                latest_run = latestRun?.Run.Id,
                latest_outputs = outputs.Select(o => new { case_id = o.CaseId, pass = o.Pass, output = o.Output }),
            });
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
            var o = new Table().AddColumns("case", "result", $"output in {Markup.Escape(latestRun!.Run.Id)}");
            foreach (var x in outputs) o.AddRow(Markup.Escape(x.CaseId), x.Pass ? "[green]pass[/]" : "[red]fail[/]", EvalCommands.Cell(x.Output, 90));
            c.Write(o);
            return ExitCodes.Success;
        });
        return cmd;
    }
}
