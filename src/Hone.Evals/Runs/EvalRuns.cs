using Hone.Store;

namespace Hone.Evals.Runs;

/// <summary>A finished eval run read back from the store: its record and its samples.</summary>
/// <param name="Run">The run record.</param>
/// <param name="Results">Its samples, in golden-set order.</param>
public sealed record LoadedEvalRun(RunRecord Run, IReadOnlyList<CaseResult> Results)
{
    /// <summary>The model the run used (its <c>eval.model</c> tag), or "?".</summary>
    public string Model { get; init; } = "?";

    /// <summary>The case ids in golden-set order.</summary>
    public IReadOnlyList<string> CaseIds => [.. Results.Select(r => r.CaseId).Distinct(StringComparer.Ordinal)];
}

/// <summary>Reading eval runs back, and marking baselines.</summary>
public static class EvalRuns
{
    /// <summary>The tag marking a run as the baseline of its spec (value <c>true</c>).</summary>
    public const string BaselineTag = "eval.baseline";

    /// <summary>Loads an eval run by id or unique id prefix.</summary>
    /// <exception cref="WorkspaceException">No such run, not an eval run, or not finished.</exception>
    public static LoadedEvalRun Load(RunStore store, string idOrPrefix)
    {
        ArgumentNullException.ThrowIfNull(store);
        var run = store.GetRun(idOrPrefix);
        if (run.Kind != EvalRunner.Kind) throw new WorkspaceException($"Run '{run.Id}' is a {run.Kind} run, not an eval run. 'hone runs --kind eval' lists the eval runs.");
        if (!store.GetArtifacts(run.Id).TryGetValue(EvalRunner.CasesArtifact, out var path) || !File.Exists(path))
            throw new WorkspaceException($"Eval run '{run.Id}' has no results yet (status {run.Status}). Run 'hone eval SPEC' again with the same options to resume it.");
        var results = new List<CaseResult>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try { results.Add(CaseResult.FromJsonLine(text)); }
            catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{path}:{line}: not a case result ({e.Message}). The file was edited or damaged; re-run the eval.", e); }
        }
        var model = store.GetTags(run.Id).GetValueOrDefault("eval.model", "?");
        return new LoadedEvalRun(run, results) { Model = model };
    }

    /// <summary>Marks <paramref name="idOrPrefix"/> as the baseline of its spec; the previous baseline (if any) is unmarked.</summary>
    /// <returns>The run now marked, and the run that was the baseline before (or null).</returns>
    public static (RunRecord Baseline, RunRecord? Previous) MarkBaseline(RunStore store, string idOrPrefix)
    {
        ArgumentNullException.ThrowIfNull(store);
        var run = Load(store, idOrPrefix).Run;
        if (run.Status != RunStatus.Succeeded)
            throw new WorkspaceException($"Eval run '{run.Id}' did not succeed (status {run.Status}); resume it with 'hone eval SPEC' before making it a baseline.");
        var previous = FindBaseline(store, run.Name);
        if (previous is not null && previous.Id != run.Id) store.SetTag(previous.Id, BaselineTag, "false");
        store.SetTag(run.Id, BaselineTag, "true");
        return (run, previous?.Id == run.Id ? null : previous);
    }

    /// <summary>The baseline run of the eval named <paramref name="specName"/>, or null.</summary>
    public static RunRecord? FindBaseline(RunStore store, string specName)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.ListRuns(EvalRunner.Kind, 10_000)
            .FirstOrDefault(r => r.Name == specName && store.GetTags(r.Id).GetValueOrDefault(BaselineTag) == "true");
    }
}
