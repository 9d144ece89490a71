using System.Globalization;
using Hone.Store;
using Hone.Training.Handoff;

namespace Hone.App.Handoff;

/// <summary>What <see cref="HandoffWrite"/> is asked: the options (or a Hone run whose options to translate, with overrides applied by the caller) and where.</summary>
/// <param name="Options">The hand-off options.</param>
/// <param name="Folder">The folder to write (null: runs/handoff-TRAINER-TIME in the workspace).</param>
/// <param name="WorkingDirectory">Where the workspace is found and relative paths are anchored.</param>
public sealed record HandoffWriteRequest(HandoffOptions Options, string? Folder, string WorkingDirectory);

/// <summary>What <see cref="HandoffImportUseCase"/> is asked: the trainer's output folder and, to check an adapter, the local base model.</summary>
public sealed record HandoffImportRequest(string Folder, string? BaseModel, string WorkingDirectory);

/// <summary>Use case "hand a training job to a distributed trainer": the ready-to-run folder.</summary>
public static class HandoffWrite
{
    /// <summary>Writes the folder.</summary>
    public static HandoffResult Run(HandoffWriteRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var folder = request.Folder is { } f ? Path.GetFullPath(Path.Combine(request.WorkingDirectory, f))
            : Workspace.Find(request.WorkingDirectory) is { } ws
                ? Path.Combine(ws.RunsDir, $"handoff-{request.Options.Trainer.ToString().ToLowerInvariant()}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}")
                : throw new UseCaseException("Outside a workspace, give the hand-off folder with --out (or run 'hone init' first).");
        return HandoffWriter.Write(request.Options, folder);
    }
}

/// <summary>Use case "bring a distributed trainer's result back": the adapter or model and its metrics as a run of the workspace.</summary>
public static class HandoffImportUseCase
{
    /// <summary>Imports the folder into the workspace's run store.</summary>
    public static HandoffImportResult Run(HandoffImportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        return HandoffImport.Import(Path.GetFullPath(Path.Combine(request.WorkingDirectory, request.Folder)), store,
            request.BaseModel is null ? null : Path.GetFullPath(Path.Combine(request.WorkingDirectory, request.BaseModel)));
    }
}
