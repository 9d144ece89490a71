using Hone.Evals.Runs;
using Hone.Evals.Specs;

namespace Hone.Evals.EdgeCases;

/// <summary>How a named edge case fared in one run.</summary>
/// <param name="RunId">The run.</param>
/// <param name="Spec">Its spec.</param>
/// <param name="Model">Its model.</param>
/// <param name="CreatedUtc">When the run was made.</param>
/// <param name="Cases">The edge case's cases in the run.</param>
/// <param name="Passing">Of those, the cases that pass (at least half their repeats).</param>
/// <param name="Failing">Ids of the cases that fail.</param>
public sealed record EdgeCaseRunPoint(string RunId, string Spec, string Model, DateTime CreatedUtc, int Cases, int Passing, IReadOnlyList<string> Failing);

/// <summary>One case of an edge case in the newest run that has it.</summary>
/// <param name="CaseId">The case id.</param>
/// <param name="Pass">Whether it passes there.</param>
/// <param name="Output">The model's first output.</param>
public sealed record EdgeCaseOutput(string CaseId, bool Pass, string Output);

/// <summary>A named edge case of the workspace with its history across runs.</summary>
/// <param name="Name">The name: a golden-set tag, or a name given to cases with <c>hone edge add</c> (or both).</param>
/// <param name="FromTag">True when some golden set or run tags cases with it.</param>
/// <param name="Added">Cases added by name, as spec/case pairs.</param>
/// <param name="KnownCases">Distinct spec/case pairs known to belong to it (tagged in a golden set or a run, or added).</param>
/// <param name="History">Its outcome in every run that has any of its cases, oldest first.</param>
public sealed record NamedEdgeCase(string Name, bool FromTag, IReadOnlyList<EdgeCaseEntry> Added, int KnownCases, IReadOnlyList<EdgeCaseRunPoint> History)
{
    /// <summary>The newest point of the history, or null when no run has its cases yet.</summary>
    public EdgeCaseRunPoint? Latest => History.Count == 0 ? null : History[^1];
}

/// <summary>
/// The workspace's named edge cases: every tag of the golden sets and of the runs' cases, and every name in the
/// <see cref="EdgeCaseBook"/>; each with its pass/fail history across the given runs. A run has a case of an edge case
/// when the case carries the tag there, or when the book lists that case for the run's spec under the name.
/// </summary>
public static class EdgeCaseCatalog
{
    /// <summary>Builds the catalog.</summary>
    /// <param name="runs">Eval runs, in any order (the history is sorted by creation time, then id).</param>
    /// <param name="goldenSets">The golden set of each spec, by spec name (tags without runs yet come from here).</param>
    /// <param name="book">Cases added by name.</param>
    public static IReadOnlyList<NamedEdgeCase> Build(IEnumerable<LoadedEvalRun> runs, IReadOnlyDictionary<string, IReadOnlyList<GoldenCase>> goldenSets,
        IReadOnlyList<EdgeCaseEntry> book)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(goldenSets);
        ArgumentNullException.ThrowIfNull(book);
        var ordered = runs.OrderBy(r => r.Run.CreatedUtc).ThenBy(r => r.Run.Id, StringComparer.Ordinal).ToList();
        var members = new SortedDictionary<string, HashSet<(string Spec, string Case)>>(StringComparer.Ordinal);
        var tagged = new HashSet<string>(StringComparer.Ordinal);
        void Member(string name, string spec, string id, bool tag)
        {
            if (!members.TryGetValue(name, out var set)) members[name] = set = [];
            set.Add((spec, id));
            if (tag) tagged.Add(name);
        }
        foreach (var (spec, cases) in goldenSets)
            foreach (var c in cases)
                foreach (var t in c.Tags) Member(t, spec, c.Id, true);
        foreach (var r in ordered)
            foreach (var s in r.Results)
                foreach (var t in s.Tags) Member(t, r.Run.Name, s.CaseId, true);
        foreach (var e in book) Member(e.Name, e.Spec, e.CaseId, false);

        var outcomes = ordered.ToDictionary(r => r.Run.Id, EdgeCaseReport.Outcomes, StringComparer.Ordinal);
        var tagsOf = ordered.ToDictionary(r => r.Run.Id, TagsOf, StringComparer.Ordinal);
        var list = new List<NamedEdgeCase>();
        foreach (var (name, set) in members)
        {
            var added = book.Where(e => e.Name == name).ToList();
            var history = new List<EdgeCaseRunPoint>();
            foreach (var r in ordered)
            {
                var ids = Cases(r, name, added, tagsOf[r.Run.Id]);
                if (ids.Count == 0) continue;
                var o = outcomes[r.Run.Id];
                var failing = ids.Where(id => !o[id]).ToList();
                history.Add(new EdgeCaseRunPoint(r.Run.Id, r.Run.Name, r.Model, r.Run.CreatedUtc, ids.Count, ids.Count - failing.Count, failing));
            }
            list.Add(new NamedEdgeCase(name, tagged.Contains(name), added, set.Count, history));
        }
        return list;
    }

    /// <summary>The edge case's cases in <paramref name="run"/>, in the run's order.</summary>
    public static IReadOnlyList<string> CasesIn(LoadedEvalRun run, NamedEdgeCase edge)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(edge);
        return Cases(run, edge.Name, edge.Added, TagsOf(run));
    }

    /// <summary>The outputs of the edge case's cases in <paramref name="run"/>.</summary>
    public static IReadOnlyList<EdgeCaseOutput> Outputs(LoadedEvalRun run, NamedEdgeCase edge)
    {
        ArgumentNullException.ThrowIfNull(run);
        var o = EdgeCaseReport.Outcomes(run);
        return [.. CasesIn(run, edge).Select(id => new EdgeCaseOutput(id, o[id], run.Results.First(r => r.CaseId == id).Output))];
    }

    private static List<string> Cases(LoadedEvalRun run, string name, IReadOnlyList<EdgeCaseEntry> added, Dictionary<string, IReadOnlyList<string>> tagsOf)
    {
        var byBook = added.Where(e => e.Spec == run.Run.Name).Select(e => e.CaseId).ToHashSet(StringComparer.Ordinal);
        return [.. tagsOf.Where(kv => kv.Value.Contains(name, StringComparer.Ordinal) || byBook.Contains(kv.Key)).Select(kv => kv.Key)];
    }

    private static Dictionary<string, IReadOnlyList<string>> TagsOf(LoadedEvalRun run)
    {
        var d = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var r in run.Results) d.TryAdd(r.CaseId, r.Tags);
        return d;
    }
}
