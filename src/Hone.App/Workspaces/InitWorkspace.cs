using Hone.Data.Cost;
using Hone.Evals.Specs;
using Hone.Store;

namespace Hone.App.Workspaces;

/// <summary>What <see cref="InitWorkspace"/> is asked.</summary>
/// <param name="Root">The folder to make a workspace (full path; created if missing).</param>
/// <param name="WorkingDirectory">Where a relative local model path is anchored.</param>
/// <param name="Task">The task name, or null for the folder's name.</param>
/// <param name="Model">The default model (provider:model, a local model path or local:PATH), or null.</param>
public sealed record InitWorkspaceRequest(string Root, string WorkingDirectory, string? Task, string? Model);

/// <summary>What <see cref="InitWorkspace"/> made (the <c>--json</c> document of <c>hone init</c>).</summary>
/// <param name="Workspace">The workspace folder.</param>
/// <param name="Config">Its hone.yaml.</param>
/// <param name="Database">Its run store.</param>
/// <param name="Task">The task name.</param>
/// <param name="ExampleSpec">The example eval spec written into evals/, or null when one was there already.</param>
public sealed record InitWorkspaceResult(string Workspace, string Config, string Database, string Task, string? ExampleSpec);

/// <summary>Use case "create a workspace": hone.yaml, its folders, the run store and a commented example eval spec and golden set in evals/.</summary>
public static class InitWorkspace
{
    /// <summary>Creates the workspace.</summary>
    public static InitWorkspaceResult Run(InitWorkspaceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var root = request.Root;
        if (File.Exists(Path.Combine(root, Workspace.ConfigFileName)))
            throw new WorkspaceException($"{Path.Combine(root, Workspace.ConfigFileName)} already exists: this folder is already a workspace.");
        var config = new WorkspaceConfig
        {
            Task = request.Task ?? (Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)) is { Length: > 0 } n ? n : "my-task"),
            DefaultModel = request.Model is { } m ? DefaultModel(request.WorkingDirectory, m) : null,
        };
        var ws = Workspace.Init(root, config);
        var example = WriteExample(ws);
        return new InitWorkspaceResult(ws.Root, ws.ConfigPath, ws.DatabasePath, ws.Config.Task, example);
    }

    /// <summary>Writes the example spec and golden set into evals/ unless files of those names exist; the spec's path, or null.</summary>
    private static string? WriteExample(Workspace ws)
    {
        var spec = Path.Combine(ws.EvalsDir, ExampleSpec.SpecFile);
        var golden = Path.Combine(ws.EvalsDir, ExampleSpec.GoldenSetFile);
        if (File.Exists(spec) || File.Exists(golden)) return null;
        AtomicFile.WriteAllText(golden, ExampleSpec.GoldenSet);
        AtomicFile.WriteAllText(spec, ExampleSpec.Spec);
        return spec;
    }

    /// <summary>
    /// The default model as hone.yaml keeps it: <c>provider:model</c> as given (providers are added to hone.yaml later);
    /// a local model, given as a path or as <c>local:PATH</c>, must exist and is kept as <c>local:FULL-PATH</c>.
    /// </summary>
    private static string DefaultModel(string workingDirectory, string value)
    {
        var local = value.StartsWith("local:", StringComparison.Ordinal) ? value["local:".Length..]
            : ModelReference.LooksLikePath(value) ? value : null;
        if (local is null) return value;
        var path = Path.GetFullPath(Path.Combine(workingDirectory, ModelReference.ExpandHome(local)));
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new UseCaseException($"--model '{value}': no such file or folder ({path}). Give an existing local model, or provider:model for a hosted one.");
        return "local:" + path;
    }
}
