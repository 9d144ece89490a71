using Hone.Evals.EdgeCases;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Store;

namespace Hone.App.Evals;

/// <summary>What the edge-case use cases are asked: the workspace, and for <see cref="EdgeCaseUseCases.Show"/> the edge case's name.</summary>
public sealed record EdgeCaseRequest(string WorkingDirectory, string? Name = null);

/// <summary>One point of an edge case's history: a run that has its cases.</summary>
public sealed record EdgeHistoryPoint(string RunId, string Spec, string Model, DateTime CreatedUtc, int Cases, int Passing, IReadOnlyList<string> Failing)
{
    /// <summary>The point of <paramref name="p"/>.</summary>
    public static EdgeHistoryPoint Of(EdgeCaseRunPoint p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new(p.RunId, p.Spec, p.Model, p.CreatedUtc, p.Cases, p.Passing, p.Failing);
    }
}

/// <summary>One edge case in <see cref="EdgeListResponse"/>.</summary>
public sealed record EdgeListEntry(string Name, bool FromTag, int Added, int KnownCases, IReadOnlyList<EdgeHistoryPoint> History);

/// <summary>The result of <see cref="EdgeCaseUseCases.List"/>.</summary>
public sealed record EdgeListResponse(int Runs, IReadOnlyList<EdgeListEntry> EdgeCases)
{
    /// <summary>The catalog in full.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<NamedEdgeCase> Catalog { get; init; } = [];

    /// <summary>Runs and specs that were skipped because they did not load.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>A case added to an edge case from a run.</summary>
public sealed record EdgeAddedCase(string Spec, string CaseId, string? FromRun, DateTime AddedUtc);

/// <summary>A case's output in the newest run.</summary>
public sealed record EdgeCaseLatestOutput(string CaseId, bool Pass, string Output);

/// <summary>The result of <see cref="EdgeCaseUseCases.Show"/>.</summary>
public sealed record EdgeShowResponse(string Name, bool FromTag, int KnownCases, IReadOnlyList<EdgeAddedCase> Added, IReadOnlyList<EdgeHistoryPoint> History,
    string? LatestRun, IReadOnlyList<EdgeCaseLatestOutput> LatestOutputs)
{
    /// <summary>Runs and specs that were skipped because they did not load.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// Use cases over the workspace's named edge cases: golden-set tags and cases added from runs' failures
/// (<c>evals/edge_cases.jsonl</c>), each with its pass/fail history across eval runs.
/// </summary>
public static class EdgeCaseUseCases
{
    /// <summary>The most recent eval runs read for histories.</summary>
    public const int MaxRuns = 500;

    /// <summary>Every named edge case with its history.</summary>
    public static EdgeListResponse List(EdgeCaseRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        var warnings = new List<string>();
        var (catalog, runs) = Catalog(ws, store, warnings);
        return new EdgeListResponse(runs.Count, [.. catalog.Select(e => new EdgeListEntry(e.Name, e.FromTag, e.Added.Count, e.KnownCases,
            [.. e.History.Select(EdgeHistoryPoint.Of)]))]) { Catalog = catalog, Warnings = warnings };
    }

    /// <summary>One edge case: its history and its cases' outputs in the newest run that has them.</summary>
    /// <exception cref="WorkspaceException">No edge case of that name.</exception>
    public static EdgeShowResponse Show(EdgeCaseRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        var warnings = new List<string>();
        var (catalog, runs) = Catalog(ws, store, warnings);
        var edge = catalog.FirstOrDefault(e => e.Name == request.Name)
            ?? throw new WorkspaceException($"No edge case '{request.Name}' (known: {(catalog.Count == 0 ? "none" : string.Join(", ", catalog.Select(e => e.Name).Take(20)))}). " +
                "'hone edge list' lists them.");
        var latestRun = edge.Latest is { } l ? runs.First(r => r.Run.Id == l.RunId) : null;
        var outputs = latestRun is null ? [] : EdgeCaseCatalog.Outputs(latestRun, edge);
        return new EdgeShowResponse(edge.Name, edge.FromTag, edge.KnownCases, [.. edge.Added.Select(e => new EdgeAddedCase(e.Spec, e.CaseId, e.FromRun, e.AddedUtc))],
            [.. edge.History.Select(EdgeHistoryPoint.Of)], latestRun?.Run.Id, [.. outputs.Select(o => new EdgeCaseLatestOutput(o.CaseId, o.Pass, o.Output))])
        {
            Warnings = warnings,
        };
    }

    /// <summary>
    /// The catalog of the workspace: the eval runs that have results, the golden sets of the specs in the evals folder
    /// (a spec or run that does not load is skipped with a warning), and the edge-case book.
    /// </summary>
    public static (IReadOnlyList<NamedEdgeCase> Catalog, IReadOnlyList<LoadedEvalRun> Runs) Catalog(Workspace ws, RunStore store, ICollection<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(ws);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(warnings);
        var runs = new List<LoadedEvalRun>();
        foreach (var r in store.ListRuns(EvalRunner.Kind, MaxRuns))
        {
            if (!store.GetArtifacts(r.Id).ContainsKey(EvalRunner.CasesArtifact)) continue; // interrupted before any result
            try { runs.Add(EvalRuns.Load(store, r.Id)); }
            catch (Exception e) when (InputErrors.Is(e)) { warnings.Add($"skipped run {r.Id} ({e.Message})"); }
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
                catch (Exception e) when (InputErrors.Is(e))
                {
                    warnings.Add($"skipped {Path.GetFileName(path)} ({e.Message})");
                }
            }
        }
        var book = EdgeCaseBook.Load(EdgeCaseBook.PathIn(ws));
        return (EdgeCaseCatalog.Build(runs, golden, book), runs);
    }
}
