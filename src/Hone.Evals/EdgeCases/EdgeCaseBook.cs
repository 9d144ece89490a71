using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hone.Core;
using Hone.Evals.Runs;
using Hone.Store;

namespace Hone.Evals.EdgeCases;

/// <summary>One case added to a named edge case (from a run's failures).</summary>
/// <param name="Name">The edge case's name.</param>
/// <param name="Spec">The eval spec (run name) the case belongs to.</param>
/// <param name="CaseId">The golden-set case id.</param>
/// <param name="FromRun">The run it was added from.</param>
/// <param name="AddedUtc">When it was added.</param>
public sealed record EdgeCaseEntry(string Name, string Spec, string CaseId, string FromRun, DateTime AddedUtc);

/// <summary>
/// The workspace's named edge cases added from runs (<c>hone edge add</c>), kept as JSONL
/// (<c>evals/edge_cases.jsonl</c>, one <see cref="EdgeCaseEntry"/> a line). The file is rewritten atomically on each
/// addition; an entry already there (same name, spec and case) is not added twice. Tags of the golden sets are edge cases
/// too, without being listed here.
/// </summary>
public static class EdgeCaseBook
{
    /// <summary>The file name inside the workspace's evals folder.</summary>
    public const string FileName = "edge_cases.jsonl";

    /// <summary>The most entries the file may hold.</summary>
    public const int MaxEntries = 1_000_000;

    /// <summary>The longest edge-case name.</summary>
    public const int MaxNameLength = 120;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The book's path in a workspace.</summary>
    public static string PathIn(Workspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        return System.IO.Path.Combine(workspace.EvalsDir, FileName);
    }

    /// <summary>Reads the book (empty when the file does not exist).</summary>
    /// <exception cref="InvalidDataException">A line is not an entry (the message gives file:line).</exception>
    public static IReadOnlyList<EdgeCaseEntry> Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) return [];
        var list = new List<EdgeCaseEntry>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (list.Count >= MaxEntries) throw new InvalidDataException($"{path}:{line}: more than {MaxEntries} edge-case entries; split or prune the file.");
            EdgeCaseEntry? e;
            try { e = JsonSerializer.Deserialize<EdgeCaseEntry>(text, Json); }
            catch (JsonException ex) { throw new InvalidDataException($"{path}:{line}: not an edge-case entry ({ex.Message}). Fix or delete the line.", ex); }
            if (e is null || string.IsNullOrWhiteSpace(e.Name) || string.IsNullOrWhiteSpace(e.Spec) || string.IsNullOrWhiteSpace(e.CaseId))
                throw new InvalidDataException($"{path}:{line}: an edge-case entry needs name, spec and case_id. Fix or delete the line.");
            list.Add(e);
        }
        return list;
    }

    /// <summary>Checks an edge-case name: 1–120 characters, no control characters.</summary>
    /// <exception cref="ArgumentException">The name is not usable (the message says why).</exception>
    public static string ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.Trim();
        if (trimmed.Length == 0 || trimmed.Length > MaxNameLength || trimmed.Any(char.IsControl))
            throw new ArgumentException($"Edge-case name '{name}': use 1 to {MaxNameLength} characters without control characters.", nameof(name));
        return trimmed;
    }

    /// <summary>
    /// Adds cases of <paramref name="run"/> to the edge case <paramref name="name"/>: the ids in <paramref name="caseIds"/>
    /// (each must be in the run), or, when none are given, every case the run fails (fewer than half its repeats pass).
    /// </summary>
    /// <returns>The entries added (those already present are skipped), and the ids that were already there.</returns>
    public static (IReadOnlyList<EdgeCaseEntry> Added, IReadOnlyList<string> AlreadyThere) Add(string path, LoadedEvalRun run, string name,
        IReadOnlyCollection<string>? caseIds = null, DateTime? now = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        name = ValidateName(name);
        var outcomes = EdgeCaseReport.Outcomes(run);
        List<string> ids;
        if (caseIds is { Count: > 0 })
        {
            var missing = caseIds.Where(id => !outcomes.ContainsKey(id)).ToList();
            if (missing.Count > 0)
                throw new WorkspaceException($"Run '{run.Run.Id}' has no case {string.Join(", ", missing.Select(m => $"'{m}'"))}; 'hone eval show {run.Run.Id}' lists its cases.");
            ids = [.. caseIds.Distinct(StringComparer.Ordinal)];
        }
        else
        {
            ids = [.. outcomes.Where(kv => !kv.Value).Select(kv => kv.Key)];
        }
        var existing = Load(path);
        var have = existing.Where(e => e.Name == name && e.Spec == run.Run.Name).Select(e => e.CaseId).ToHashSet(StringComparer.Ordinal);
        var stamp = now ?? DateTime.UtcNow;
        var added = ids.Where(id => !have.Contains(id)).Select(id => new EdgeCaseEntry(name, run.Run.Name, id, run.Run.Id, stamp)).ToList();
        if (added.Count > 0)
            AtomicFile.WriteText(path, w => { foreach (var e in existing.Concat(added)) w.WriteLine(JsonSerializer.Serialize(e, Json)); });
        return (added, [.. ids.Where(have.Contains)]);
    }
}
