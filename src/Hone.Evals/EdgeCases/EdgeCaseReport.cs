using Hone.Evals.Runs;

namespace Hone.Evals.EdgeCases;

/// <summary>One named edge case: the cases carrying a tag, and how they fare in a run (and against an earlier run).</summary>
/// <param name="Name">The tag, or <see cref="EdgeCaseReport.Untagged"/> for failing cases without tags.</param>
/// <param name="Cases">Cases with the tag in the run.</param>
/// <param name="Failing">Ids of the cases that fail (a case fails when fewer than half its repeats pass).</param>
/// <param name="Fixed">Ids failing in the earlier run and passing now.</param>
/// <param name="Regressed">Ids passing in the earlier run and failing now.</param>
public sealed record EdgeCase(string Name, int Cases, IReadOnlyList<string> Failing, IReadOnlyList<string> Fixed, IReadOnlyList<string> Regressed)
{
    /// <summary>Cases with the tag that pass.</summary>
    public int Passing => Cases - Failing.Count;
}

/// <summary>
/// The failing cases of a run grouped by tag into named edge cases, optionally tracked against an earlier run of the
/// same golden set (which were fixed, which regressed). Only tags with a failing, fixed or regressed case are listed.
/// </summary>
/// <param name="RunId">The run.</param>
/// <param name="AgainstRunId">The earlier run, or null.</param>
/// <param name="EdgeCases">The edge cases, most failures first.</param>
/// <param name="FailingCases">Every failing case id, in golden-set order.</param>
public sealed record EdgeCaseReport(string RunId, string? AgainstRunId, IReadOnlyList<EdgeCase> EdgeCases, IReadOnlyList<string> FailingCases)
{
    /// <summary>The name under which failing cases without tags are grouped.</summary>
    public const string Untagged = "(untagged)";

    /// <summary>Builds the report of <paramref name="run"/>, tracked against <paramref name="against"/> when given.</summary>
    public static EdgeCaseReport Compute(LoadedEvalRun run, LoadedEvalRun? against = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        var now = Outcomes(run);
        var before = against is null ? null : Outcomes(against);
        var tagsOf = run.Results.Where(r => now.ContainsKey(r.CaseId)).GroupBy(r => r.CaseId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Tags, StringComparer.Ordinal);
        var names = tagsOf.Values.SelectMany(t => t).Distinct(StringComparer.Ordinal).ToList();
        names.Add(Untagged);
        var list = new List<EdgeCase>();
        foreach (var name in names)
        {
            var ids = tagsOf.Where(kv => name == Untagged ? kv.Value.Count == 0 : kv.Value.Contains(name, StringComparer.Ordinal)).Select(kv => kv.Key).ToList();
            var failing = ids.Where(id => !now[id]).ToList();
            var fixedIds = before is null ? [] : ids.Where(id => now[id] && before.TryGetValue(id, out var p) && !p).ToList();
            var regressed = before is null ? [] : ids.Where(id => !now[id] && before.TryGetValue(id, out var p) && p).ToList();
            if (failing.Count + fixedIds.Count + regressed.Count == 0) continue;
            if (name == Untagged && failing.Count == 0) continue;
            list.Add(new EdgeCase(name, ids.Count, failing, fixedIds, regressed));
        }
        var ordered = list.OrderByDescending(e => e.Failing.Count).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        return new EdgeCaseReport(run.Run.Id, against?.Run.Id, ordered, [.. now.Where(kv => !kv.Value).Select(kv => kv.Key)]);
    }

    /// <summary>
    /// Per case: passes when at least half its repeats pass (the rule of <see cref="Compare.RunComparison"/>). A case
    /// skipped as over-long has no outcome and is left out.
    /// </summary>
    public static Dictionary<string, bool> Outcomes(LoadedEvalRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var d = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var g in run.Results.GroupBy(r => r.CaseId, StringComparer.Ordinal))
        {
            if (g.Any(r => r.Error is null && r.Status == SampleStatus.Skipped)) continue;
            d[g.Key] = g.Count(r => r.Pass) * 2 >= g.Count();
        }
        return d;
    }
}
