using System.Text.Json.Serialization;
using Hone.Store;

namespace Hone.App.Runs;

/// <summary>What <see cref="ListRuns"/> is asked: the workspace (found from <see cref="WorkingDirectory"/>), a kind filter and a limit.</summary>
/// <param name="WorkingDirectory">Where the workspace is found.</param>
/// <param name="Kind">Only runs of this kind, or null for all.</param>
/// <param name="Limit">At most this many runs, newest first (at least 1).</param>
public sealed record ListRunsRequest(string WorkingDirectory, string? Kind, int Limit);

/// <summary>The runs <see cref="ListRuns"/> found (the JSON document of <c>hone runs</c>).</summary>
/// <param name="Runs">The runs, newest first.</param>
public sealed record ListRunsResult(IReadOnlyList<RunRecord> Runs)
{
    /// <summary>How many of <see cref="Runs"/> are interrupted (their process is gone).</summary>
    [JsonIgnore]
    public int Interrupted => Runs.Count(r => r.Status == RunStatus.Interrupted);
}

/// <summary>Use case "list the runs of the workspace's run store" (a run whose process is gone reads as interrupted).</summary>
public static class ListRuns
{
    /// <summary>Lists the runs.</summary>
    public static ListRunsResult Run(ListRunsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Limit < 1) throw new UseCaseException("--limit must be at least 1.");
        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        return new ListRunsResult(store.ListRuns(request.Kind, request.Limit));
    }
}

/// <summary>What <see cref="RemoveRun"/> is asked.</summary>
/// <param name="WorkingDirectory">Where the workspace is found.</param>
/// <param name="Run">The run's id or a unique start of it.</param>
/// <param name="Force">Remove it even though its process still runs it.</param>
/// <param name="KeepFolder">Remove only the record, not the folder.</param>
public sealed record RemoveRunRequest(string WorkingDirectory, string Run, bool Force, bool KeepFolder);

/// <summary>What <see cref="RemoveRun"/> did (the JSON document of <c>hone runs rm</c>).</summary>
/// <param name="Removed">The removed run's id.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Status">Its status when removed.</param>
/// <param name="Folder">Its folder, or null.</param>
/// <param name="FolderRemoved">Whether the folder was deleted.</param>
public sealed record RemoveRunResult(string Removed, string Kind, RunStatus Status, string? Folder, bool FolderRemoved)
{
    /// <summary>Whether the run had a folder that is still there (kept, or outside the runs folder).</summary>
    [JsonIgnore]
    public bool FolderKept { get; init; }
}

/// <summary>Use case "remove a run": its record and its folder under the workspace's runs folder.</summary>
public static class RemoveRun
{
    /// <summary>Removes the run.</summary>
    public static RemoveRunResult Run(RemoveRunRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        var removal = RunRemover.Remove(ws, store, request.Run, request.Force, request.KeepFolder);
        var r = removal.Run;
        return new RemoveRunResult(r.Id, r.Kind, r.Status, removal.Folder, removal.FolderRemoved)
        {
            FolderKept = !removal.FolderRemoved && removal.Folder is { } f && Directory.Exists(f),
        };
    }
}
