using Hone.Evals.EdgeCases;
using Hone.Evals.Runs;
using Hone.Store;

namespace Hone.App.Evals;

/// <summary>What <see cref="EdgeCaseWrites.Add"/> is asked.</summary>
/// <param name="WorkingDirectory">Where the workspace is looked for.</param>
/// <param name="Run">The eval run id (or a unique prefix).</param>
/// <param name="Cases">The cases to add, or empty for every failing case of the run.</param>
/// <param name="Name">The edge case's name, or null for failures-RUN.</param>
public sealed record EdgeAddRequest(string WorkingDirectory, string Run, IReadOnlyList<string> Cases, string? Name = null);

/// <summary>The result of <see cref="EdgeCaseWrites.Add"/> (its <c>--json</c> document).</summary>
public sealed record EdgeAddResponse(string Name, string RunId, string Spec, IReadOnlyList<string> Added, IReadOnlyList<string> AlreadyThere, string Path);

/// <summary>What <see cref="EdgeCaseWrites.Export"/> is asked.</summary>
/// <param name="WorkingDirectory">Where relative paths are anchored and the workspace is looked for.</param>
/// <param name="Run">The eval run id (or a unique prefix).</param>
/// <param name="AllowGoldenLeak">Export anyway although the examples are golden-set cases.</param>
public sealed record EdgeExportRequest(string WorkingDirectory, string Run, bool AllowGoldenLeak)
{
    /// <summary>The output format (sft).</summary>
    public string Format { get; init; } = "sft";

    /// <summary>The JSONL file to write, or null for DATA/edge-RUN.jsonl.</summary>
    public string? Output { get; init; }

    /// <summary>Only the failing cases of this edge case (a tag or an added name), or null.</summary>
    public string? Tag { get; init; }

    /// <summary>The golden-set field holding the reference answer, or null for a trailing assistant message.</summary>
    public string? ReferenceField { get; init; }
}

/// <summary>The result of <see cref="EdgeCaseWrites.Export"/> (its <c>--json</c> document).</summary>
public sealed record EdgeExportResponse(string RunId, string Format, string Path, int Cases, int WithReference);

/// <summary>What <see cref="EdgeCaseWrites.Report"/> is asked.</summary>
/// <param name="WorkingDirectory">Where relative paths are anchored and the workspace is looked for.</param>
/// <param name="Run">The eval run id (or a unique prefix).</param>
public sealed record EvalEdgeCasesRequest(string WorkingDirectory, string Run)
{
    /// <summary>An earlier run to track against, or null for the spec's baseline (when it is another run).</summary>
    public string? Against { get; init; }

    /// <summary>Write the failing cases as chat training examples to this file, or null.</summary>
    public string? Export { get; init; }

    /// <summary>The golden-set field holding the reference answer, or null.</summary>
    public string? ReferenceField { get; init; }

    /// <summary>Export only the failing cases with this tag, or null.</summary>
    public string? Tag { get; init; }

    /// <summary>Export anyway although the examples are golden-set cases.</summary>
    public bool AllowGoldenLeak { get; init; }
}

/// <summary>One edge case of <see cref="EvalEdgeCasesResponse"/>.</summary>
public sealed record EvalEdgeCase(string Name, int Cases, int Passing, IReadOnlyList<string> Failing, IReadOnlyList<string> Fixed, IReadOnlyList<string> Regressed);

/// <summary>The result of <see cref="EdgeCaseWrites.Report"/> (its <c>--json</c> document).</summary>
public sealed record EvalEdgeCasesResponse(string RunId, string? Against, IReadOnlyList<string> FailingCases, IReadOnlyList<EvalEdgeCase> EdgeCases,
    EdgeCaseExportResult? Export);

/// <summary>
/// Use cases that turn a run's failures into named edge cases (<c>evals/edge_cases.jsonl</c>), report them against an
/// earlier run, and export them as training examples (only with the golden-leak consent).
/// </summary>
public static class EdgeCaseWrites
{
    /// <summary>The formats <see cref="Export"/> writes.</summary>
    public static readonly IReadOnlyList<string> Formats = ["sft"];

    private const string LeakWhy = "the exported examples are golden-set cases: training on them leaks the golden set into training, so its later scores " +
        "measure memory, not skill.";

    /// <summary>
    /// Refuses to write golden-set failures as training data without consent (the examples are the golden set's own
    /// cases, so a model trained on them is then scored on what it was taught); with it, the warning to show once.
    /// </summary>
    public static string GuardGoldenLeak(bool allowed) => allowed
        ? "--allow-golden-leak: " + LeakWhy + " Score later runs on a golden set that excludes these cases."
        : throw new UseCaseException("Refusing to export golden failures as training data: " + LeakWhy +
            " Write new examples for the failing pattern instead (or 'hone teach RUN'), or pass --allow-golden-leak to export anyway.");

    /// <summary>Adds a run's failing cases (or the named ones) to an edge case; cases already there are listed, not added twice.</summary>
    public static EdgeAddResponse Add(EdgeAddRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        var loaded = EvalRuns.Load(store, request.Run);
        var name = request.Name ?? "failures-" + loaded.Run.Id;
        var path = EdgeCaseBook.PathIn(ws);
        var (added, already) = EdgeCaseBook.Add(path, loaded, name, request.Cases);
        return new EdgeAddResponse(EdgeCaseBook.ValidateName(name), loaded.Run.Id, loaded.Run.Name, [.. added.Select(e => e.CaseId)], already, path);
    }

    /// <summary>Writes a run's failing cases (of one edge case, when named) as chat training examples; warnings go to <paramref name="onWarning"/> when they arise.</summary>
    public static EdgeExportResponse Export(EdgeExportRequest request, Action<string>? onWarning = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Formats.Contains(request.Format, StringComparer.Ordinal))
            throw new UseCaseException($"--format {request.Format}: unknown format; use one of {string.Join(", ", Formats)}.");
        var leak = GuardGoldenLeak(request.AllowGoldenLeak); // throws without consent, whoever listens
        onWarning?.Invoke(leak);
        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        var loaded = EvalRuns.Load(store, request.Run);
        var spec = EvalWorkspace.SpecOfRun(loaded.Run, EvalWorkspace.Resolver(ws, null));
        var name = request.Tag;
        IReadOnlyCollection<string>? named = null;
        if (name is not null)
        {
            named = [.. EdgeCaseBook.Load(EdgeCaseBook.PathIn(ws)).Where(e => e.Name == name && e.Spec == loaded.Run.Name).Select(e => e.CaseId)];
            bool tagged = loaded.Results.Any(r => r.Tags.Contains(name, StringComparer.Ordinal));
            if (named.Count == 0 && !tagged)
                throw new WorkspaceException($"No edge case '{name}' in run '{loaded.Run.Id}' (no case is tagged with it or was added under it); 'hone edge list' lists them.");
        }
        var path = request.Output is { } o ? Path.GetFullPath(Path.Combine(request.WorkingDirectory, o)) : Path.Combine(ws.DataDir, $"edge-{loaded.Run.Id}.jsonl");
        var result = EdgeCaseExport.Write(path, loaded, spec, request.ReferenceField, name, named);
        if (result.Cases > result.WithReference)
            onWarning?.Invoke($"{result.Cases - result.WithReference} cases have no reference answer (metadata.reference_missing); write it before training, or pass --reference-field.");
        return new EdgeExportResponse(loaded.Run.Id, request.Format, result.Path, result.Cases, result.WithReference);
    }

    /// <summary>A run's failing cases grouped by tag, tracked against an earlier run, optionally exported (the golden-leak warning goes to <paramref name="onWarning"/>).</summary>
    public static EvalEdgeCasesResponse Report(EvalEdgeCasesRequest request, Action<string>? onWarning = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Export is not null)
        {
            var leak = GuardGoldenLeak(request.AllowGoldenLeak); // throws without consent, whoever listens
            onWarning?.Invoke(leak);
        }
        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        var loaded = EvalRuns.Load(store, request.Run);
        LoadedEvalRun? earlier = null;
        if (request.Against is { } other) earlier = EvalRuns.Load(store, other);
        else if (EvalRuns.FindBaseline(store, loaded.Run.Name) is { } b && b.Id != loaded.Run.Id) earlier = EvalRuns.Load(store, b.Id);
        var report = EdgeCaseReport.Compute(loaded, earlier);
        EdgeCaseExportResult? exported = null;
        if (request.Export is { } file)
        {
            var spec = EvalWorkspace.SpecOfRun(loaded.Run, EvalWorkspace.Resolver(ws, null));
            exported = EdgeCaseExport.Write(Path.GetFullPath(Path.Combine(request.WorkingDirectory, file)), loaded, spec, request.ReferenceField, request.Tag);
        }
        return new EvalEdgeCasesResponse(report.RunId, report.AgainstRunId, report.FailingCases,
            [.. report.EdgeCases.Select(e => new EvalEdgeCase(e.Name, e.Cases, e.Passing, e.Failing, e.Fixed, e.Regressed))], exported);
    }
}
