using System.Text.Json;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Store;

namespace Hone.App.Evals;

/// <summary>What <see cref="EvalRunRecords.Init"/> is asked.</summary>
/// <param name="From">Chat examples (JSONL) whose last message is the assistant's answer (at <paramref name="WorkingDirectory"/>).</param>
/// <param name="WorkingDirectory">Where relative paths are anchored and the workspace is looked for.</param>
/// <param name="Output">The spec to write, or null for evals/NAME.yaml in the workspace (else the working directory).</param>
/// <param name="Force">Replace an existing spec.</param>
public sealed record EvalInitRequest(string From, string WorkingDirectory, string? Output = null, bool Force = false);

/// <summary>The result of <see cref="EvalRunRecords.Init"/> (its <c>--json</c> document).</summary>
public sealed record EvalInitResponse(string Spec, string GoldenSet, int Cases, InitialGrader Grader, IReadOnlyList<string> Labels, int MaxTokens);

/// <summary>What <see cref="EvalRunRecords.Show"/> is asked.</summary>
/// <param name="WorkingDirectory">Where the workspace is looked for.</param>
/// <param name="Run">The eval run id (or a unique prefix).</param>
/// <param name="Failing">Only the samples that failed.</param>
/// <param name="Limit">At most this many rows (1 or more).</param>
public sealed record EvalShowRequest(string WorkingDirectory, string Run, bool Failing = false, int Limit = 200);

/// <summary>The result of <see cref="EvalRunRecords.Show"/> (its <c>--json</c> document).</summary>
public sealed record EvalShowResponse(string RunId, string Spec, string Model, RunStatus Status, JsonElement? Summary, IReadOnlyList<CaseResult> Cases)
{
    /// <summary>The graders of the run, in first-seen order.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string> Graders { get; init; } = [];
}

/// <summary>The result of <see cref="EvalRunRecords.MarkBaseline"/> (its <c>--json</c> document).</summary>
public sealed record EvalBaselineResponse(string RunId, string Spec, string? PreviousBaseline);

/// <summary>Use cases over eval specs and recorded eval runs: write a spec from examples, show a run's cases, mark a baseline.</summary>
public static class EvalRunRecords
{
    /// <summary>Writes an eval spec (and its golden set) from chat examples; refuses to replace a spec without <see cref="EvalInitRequest.Force"/>.</summary>
    public static EvalInitResponse Init(EvalInitRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string At(string p) => Path.GetFullPath(Path.Combine(request.WorkingDirectory, p));
        var examples = At(request.From);
        if (!File.Exists(examples)) throw new UseCaseException($"{examples}: no such examples file.");
        var name = Path.GetFileNameWithoutExtension(examples);
        var specPath = request.Output is { } o ? At(o) : Path.Combine(Workspace.Find(request.WorkingDirectory)?.EvalsDir ?? request.WorkingDirectory, name + ".yaml");
        if (File.Exists(specPath) && !request.Force)
            throw new UseCaseException($"{specPath} already exists; give --out for another file or --force to replace it.");
        if (string.Equals(Path.GetFullPath(specPath), examples, StringComparison.Ordinal))
            throw new UseCaseException($"--out {specPath} is the examples file itself; give another path.");
        var r = EvalSpecInit.Write(examples, specPath);
        return new EvalInitResponse(r.SpecPath, r.GoldenSetPath, r.Cases, r.Grader, r.Labels, r.MaxTokens);
    }

    /// <summary>A run's cases (the failing ones only, when asked), at most <see cref="EvalShowRequest.Limit"/>.</summary>
    public static EvalShowResponse Show(EvalShowRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Limit < 1) throw new UseCaseException("--limit must be at least 1.");
        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        var loaded = EvalRuns.Load(store, request.Run);
        var rows = loaded.Results.Where(r => !request.Failing || !r.Pass).Take(request.Limit).ToList();
        JsonElement? summary = loaded.Run.SummaryJson is { } s ? JsonDocument.Parse(s).RootElement : null;
        return new EvalShowResponse(loaded.Run.Id, loaded.Run.Name, loaded.Model, loaded.Run.Status, summary, rows)
        {
            Graders = [.. loaded.Results.SelectMany(r => r.Grades.Select(g => g.Grader)).Distinct(StringComparer.Ordinal)],
        };
    }

    /// <summary>Marks an eval run as the baseline of its spec (compare and edge-cases default to it).</summary>
    public static EvalBaselineResponse MarkBaseline(string workingDirectory, string run)
    {
        var ws = Workspace.Require(workingDirectory);
        using var store = ws.OpenStore();
        var (baseline, previous) = EvalRuns.MarkBaseline(store, run);
        return new EvalBaselineResponse(baseline.Id, baseline.Name, previous?.Id);
    }
}
