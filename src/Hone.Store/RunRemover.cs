using Hone.Core;

namespace Hone.Store;

/// <summary>What <see cref="RunRemover.Remove"/> did.</summary>
/// <param name="Run">The run removed (as it was before removal).</param>
/// <param name="Folder">Its folder, or null when it had none.</param>
/// <param name="FolderRemoved">Whether the folder was deleted (false when it had none, it was already gone, or it was kept).</param>
public sealed record RunRemoval(RunRecord Run, string? Folder, bool FolderRemoved);

/// <summary>
/// <c>hone runs rm</c>: removes a run's record (metrics, artifacts, tags) and its folder. A live running run is refused
/// unless forced; a folder outside the workspace's runs folder is never deleted (the record alone goes only when asked).
/// The folder is first renamed to a hidden name inside the runs folder (atomic), then the record is deleted, then the
/// renamed folder: an interruption leaves either the whole run or a hidden leftover, never a half-deleted run.
/// </summary>
public static class RunRemover
{
    /// <summary>Removes the run <paramref name="idOrPrefix"/> of <paramref name="workspace"/>.</summary>
    /// <param name="workspace">The workspace.</param>
    /// <param name="store">Its run store.</param>
    /// <param name="idOrPrefix">A run id or unique prefix.</param>
    /// <param name="force">Remove even a run whose owner process is alive.</param>
    /// <param name="keepFolder">Remove only the record; leave the folder (needed for folders outside the runs folder).</param>
    /// <exception cref="WorkspaceException">Unknown run, a live running run without <paramref name="force"/>, or a
    /// folder outside the runs folder without <paramref name="keepFolder"/>.</exception>
    public static RunRemoval Remove(Workspace workspace, RunStore store, string idOrPrefix, bool force = false, bool keepFolder = false)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(store);
        var run = store.GetRun(idOrPrefix);
        if (run.Status == RunStatus.Running && !force)
            throw new WorkspaceException(ErrorKind.Conflict, $"Run {run.Id} is still running ({run.Owner?.ToString() ?? "owner unknown"}). " +
                "Stop it first (Ctrl+C in its terminal), or pass --force to remove it anyway.");
        var folder = workspace.RunFolderOf(run);
        var exists = folder is not null && Directory.Exists(folder);
        if (keepFolder || !exists)
        {
            store.DeleteRun(run.Id);
            return new RunRemoval(run, folder, false);
        }
        if (!workspace.IsInsideRunsDir(folder!))
            throw new WorkspaceException($"Run {run.Id}'s folder {folder} is outside the workspace's runs folder {workspace.RunsDir}; " +
                "Hone deletes only folders inside it. Delete that folder yourself if you want it gone, and pass --keep-folder to remove only the record.");
        var trash = Path.Combine(workspace.RunsDir, $".removing-{run.Id}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.Move(folder!, trash);
        try
        {
            store.DeleteRun(run.Id);
        }
        catch
        {
            Directory.Move(trash, folder!);
            throw;
        }
        DeleteTree(trash);
        return new RunRemoval(run, folder, true);
    }

    /// <summary>Deletes a folder and its contents without following links: a linked folder loses the link only.</summary>
    private static void DeleteTree(string path)
    {
        var info = new DirectoryInfo(path);
        if (info.LinkTarget is not null)
        {
            info.Delete();
            return;
        }
        foreach (var entry in info.EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo d && d.LinkTarget is null) DeleteTree(d.FullName);
            else if (entry is DirectoryInfo link) link.Delete();
            else entry.Delete();
        }
        info.Delete();
    }
}
