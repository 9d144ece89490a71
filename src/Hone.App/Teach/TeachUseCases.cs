using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Data.Teach;
using Hone.Evals.Compare;
using Hone.Evals.Runs;
using Hone.Store;

namespace Hone.App.Teach;

/// <summary>What <see cref="TeachUseCases.Cases"/> is asked: the workspace, the eval run, and whether to walk every case or only the failing ones.</summary>
public sealed record TeachRequest(string WorkingDirectory, string RunId, bool All = false);

/// <summary>One case to teach from: what the model was sent, what it answered, the reference and why it failed.</summary>
/// <param name="CaseId">The golden-set case id.</param>
/// <param name="Repeat">The repeat index of the sample.</param>
/// <param name="Messages">The messages sent to the model (empty for runs made before inputs were recorded).</param>
/// <param name="Output">The model's answer.</param>
/// <param name="Reference">The reference answer, or null when none is known.</param>
/// <param name="Pass">Whether the case passed.</param>
/// <param name="Reason">The failing graders' reasons (empty when it passed or none was given).</param>
public sealed record TeachCase(string CaseId, int Repeat, IReadOnlyList<JsonObject> Messages, string Output, string? Reference, bool Pass, string Reason);

/// <summary>The result of <see cref="TeachUseCases.Cases"/>: the cases to walk and where the corrections go.</summary>
/// <param name="RunId">The eval run's full id.</param>
/// <param name="Spec">The eval spec's name.</param>
/// <param name="Folder">The folder the teach files are appended to (the workspace's data folder).</param>
/// <param name="Cases">The cases, in run order, less those already taught.</param>
/// <param name="AlreadyTaught">Cases of this run already saved as corrections in the folder (an earlier, perhaps killed, session): left out.</param>
public sealed record TeachCasesResponse(string RunId, string Spec, string Folder, IReadOnlyList<TeachCase> Cases, int AlreadyTaught = 0);

/// <summary>One edit a teach session saved.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Sft">The SFT examples file it was appended to.</param>
/// <param name="Dpo">The preference pairs file it was appended to.</param>
public sealed record TeachSaved(string CaseId, string Sft, string Dpo);

/// <summary>What a teach session did (<c>hone teach --json</c>).</summary>
/// <param name="RunId">The eval run.</param>
/// <param name="Cases">Cases to teach from this session.</param>
/// <param name="AlreadyTaught">Cases left out because an earlier session saved them.</param>
/// <param name="Seen">Cases shown before the session ended.</param>
/// <param name="Accepted">Outputs accepted (nothing written).</param>
/// <param name="Rejected">Outputs rejected (nothing written).</param>
/// <param name="Saved">The edits saved.</param>
public sealed record TeachSession(string RunId, int Cases, int AlreadyTaught, int Seen, int Accepted, int Rejected, IReadOnlyList<TeachSaved> Saved);

/// <summary>
/// Edit to teach as a library API (<c>hone teach</c> in the terminal; the dashboard can call the same): load an eval
/// run's failing (or all) cases, diff an edited answer against the model's by words, and save the edit as an SFT
/// example plus a DPO pair through <see cref="TeachWriter"/> (atomic appends), with provenance (run, case, time, reason).
/// </summary>
public static class TeachUseCases
{
    /// <summary>The cases of the run to walk.</summary>
    public static TeachCasesResponse Cases(TeachRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        var loaded = EvalRuns.Load(store, request.RunId);
        var taught = Taught(ws.DataDir, loaded.Run.Id);
        var walk = loaded.Results.Where(r => request.All || !r.Pass).ToList();
        var cases = walk.Where(r => !taught.Contains((r.CaseId, r.Repeat))).Select(r => new TeachCase(r.CaseId, r.Repeat, r.InputMessages(), r.Output, r.Reference, r.Pass,
            string.Join("; ", r.Grades.Where(g => !g.Pass).Select(g => (g.Detail ?? g.Error) is { Length: > 0 } d ? $"{g.Grader}: {d}" : g.Grader)))).ToList();
        return new TeachCasesResponse(loaded.Run.Id, loaded.Run.Name, ws.DataDir, cases, walk.Count - cases.Count);
    }

    /// <summary>
    /// The (case, repeat) pairs of <paramref name="runId"/> already saved in the folder's SFT teach file (its lines'
    /// provenance): a session that was killed or quit goes on where it stopped. A line that is not a teach record is skipped.
    /// </summary>
    private static HashSet<(string CaseId, int Repeat)> Taught(string folder, string runId)
    {
        var done = new HashSet<(string, int)>();
        var path = Path.Combine(folder, TeachWriter.SftFile);
        if (!File.Exists(path)) return done;
        foreach (var line in File.ReadLines(path))
        {
            JsonNode? meta;
            try
            {
                meta = JsonNode.Parse(line)?["metadata"];
            }
            catch (JsonException)
            {
                continue;
            }
            if (meta is JsonObject m && m["run_id"] is JsonValue r && r.TryGetValue(out string? id) && id == runId
                && m["case_id"] is JsonValue c && c.TryGetValue(out string? caseId) && m["repeat"] is JsonValue k && k.TryGetValue(out int repeat))
                done.Add((caseId, repeat));
        }
        return done;
    }

    /// <summary>The word diff of the model's answer against the edit.</summary>
    public static IReadOnlyList<DiffSegment> Diff(string output, string edited) => WordDiff.Diff(output, edited);

    /// <summary>The correction a save of <paramref name="edited"/> writes, with its provenance.</summary>
    public static TeachCorrection Correction(string runId, TeachCase c, string edited, string? reason, DateTime utc)
    {
        ArgumentNullException.ThrowIfNull(c);
        var provenance = new JsonObject
        {
            ["source"] = "hone teach",
            ["run_id"] = runId,
            ["case_id"] = c.CaseId,
            ["repeat"] = c.Repeat,
            ["time"] = utc.ToString("O", CultureInfo.InvariantCulture),
            ["reason"] = string.IsNullOrWhiteSpace(reason) ? c.Reason : reason,
        };
        return new TeachCorrection(c.Messages, c.Output, edited, provenance);
    }

    /// <summary>Appends the edit as an SFT example and a DPO pair (atomically) and returns the lines written.</summary>
    /// <exception cref="UseCaseException">No recorded input, an empty edit, or an edit equal to the model's answer.</exception>
    public static TeachLines Save(string folder, string runId, TeachCase c, string edited, string? reason, DateTime utc)
    {
        try
        {
            return TeachWriter.Append(folder, Correction(runId, c, edited, reason, utc));
        }
        catch (ArgumentException e)
        {
            throw new UseCaseException(Hone.Core.ErrorKind.Input, e.Message);
        }
    }
}
