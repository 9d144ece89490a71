using Hone.Core;
namespace Hone.Store;

/// <summary>
/// A Hone workspace: a folder holding <c>hone.yaml</c>, the data/prompts/evals/runs folders and
/// <c>.hone/hone.db</c> (the SQLite run store) with large artifacts as files beside it.
/// Commands find it by walking up from the current folder, as git does.
/// </summary>
public sealed class Workspace
{
    /// <summary>The workspace file name.</summary>
    public const string ConfigFileName = "hone.yaml";

    /// <summary>The hidden folder holding the run store.</summary>
    public const string StateFolderName = ".hone";

    private Workspace(string root, WorkspaceConfig config)
    {
        Root = root;
        Config = config;
    }

    /// <summary>Absolute path of the workspace root.</summary>
    public string Root { get; }

    /// <summary>The parsed <c>hone.yaml</c>.</summary>
    public WorkspaceConfig Config { get; }

    /// <summary>Path of <c>hone.yaml</c>.</summary>
    public string ConfigPath => Path.Combine(Root, ConfigFileName);

    /// <summary>Path of <c>.hone/</c>.</summary>
    public string StateDir => Path.Combine(Root, StateFolderName);

    /// <summary>Path of the SQLite run store.</summary>
    public string DatabasePath => Path.Combine(StateDir, "hone.db");

    /// <summary>Folder for large artifacts that belong to the store (cached responses, blobs).</summary>
    public string ArtifactsDir => Path.Combine(StateDir, "artifacts");

    /// <summary>Absolute path of a configured folder.</summary>
    public string DataDir => Path.Combine(Root, Config.Paths.Data);

    /// <summary>Absolute path of the prompts folder.</summary>
    public string PromptsDir => Path.Combine(Root, Config.Paths.Prompts);

    /// <summary>Absolute path of the evals folder.</summary>
    public string EvalsDir => Path.Combine(Root, Config.Paths.Evals);

    /// <summary>Absolute path of the runs folder.</summary>
    public string RunsDir => Path.Combine(Root, Config.Paths.Runs);

    /// <summary>
    /// Creates a workspace in <paramref name="dir"/> (created if missing). An existing <c>hone.yaml</c> is never
    /// overwritten: that is an error unless <paramref name="config"/> is null, in which case the existing workspace is
    /// opened and missing folders are added.
    /// </summary>
    public static Workspace Init(string dir, WorkspaceConfig? config = null)
    {
        var root = Path.GetFullPath(dir);
        Directory.CreateDirectory(root);
        var configPath = Path.Combine(root, ConfigFileName);
        if (File.Exists(configPath))
        {
            if (config is not null)
                throw new WorkspaceException(ErrorKind.Conflict, $"{configPath} already exists: this folder is a workspace. Edit hone.yaml instead, or choose another folder.");
        }
        else
        {
            config ??= new WorkspaceConfig { Task = SanitizeTaskName(Path.GetFileName(root)) };
            AtomicFile.WriteAllText(configPath, Header + config.ToYaml());
        }
        var ws = Open(root);
        foreach (var d in new[] { ws.DataDir, ws.PromptsDir, ws.EvalsDir, ws.RunsDir, ws.StateDir, ws.ArtifactsDir })
            Directory.CreateDirectory(d);
        using (var store = RunStore.Open(ws.DatabasePath)) { }
        return ws;
    }

    /// <summary>Opens the workspace rooted exactly at <paramref name="root"/>.</summary>
    public static Workspace Open(string root)
    {
        var full = Path.GetFullPath(root);
        var configPath = Path.Combine(full, ConfigFileName);
        if (!File.Exists(configPath))
            throw new WorkspaceException(ErrorKind.NotFound, $"{full} is not a Hone workspace (no {ConfigFileName}). Run 'hone init' there first.");
        var config = WorkspaceConfig.Parse(File.ReadAllText(configPath), configPath);
        return new Workspace(full, config);
    }

    /// <summary>Finds the workspace containing <paramref name="start"/> by walking up; null when there is none.</summary>
    public static Workspace? Find(string start)
    {
        for (var dir = Path.GetFullPath(start); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, ConfigFileName))) return Open(dir);
        }
        return null;
    }

    /// <summary>Like <see cref="Find"/>, but a missing workspace is an error that says how to make one.</summary>
    public static Workspace Require(string start) =>
        Find(start) ?? throw new WorkspaceException(
            $"No Hone workspace in {Path.GetFullPath(start)} or any folder above it. Run 'hone init' to create one.");

    /// <summary>Opens the run store (creating its schema when new, migrating an older one).</summary>
    public RunStore OpenStore() => RunStore.Open(DatabasePath);

    /// <summary>
    /// The folder holding a run's files: its recorded folder, else <c>RUNS/RUN_ID</c> (where eval runs keep their
    /// cases) when that exists; null when it has none.
    /// </summary>
    public string? RunFolderOf(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.Folder is { } f) return Path.GetFullPath(f, Root);
        var byId = Path.Combine(RunsDir, run.Id);
        return Directory.Exists(byId) ? byId : null;
    }

    /// <summary>Whether <paramref name="path"/> lies strictly inside the runs folder (not the folder itself).</summary>
    public bool IsInsideRunsDir(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var runs = Path.TrimEndingDirectorySeparator(Path.GetFullPath(RunsDir)) + Path.DirectorySeparatorChar;
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path, Root));
        return full.Length > runs.Length && full.StartsWith(runs, StringComparison.Ordinal);
    }

    private const string Header =
        "# Hone workspace. Keys: task, default_model, price_table (builtin or a file), paths, providers.\n" +
        "# providers: NAME: { base_url: https://..., api_key_env: ENV_VAR, tokens_per_minute: N }  (keys are never stored)\n";

    private static string SanitizeTaskName(string name) => string.IsNullOrWhiteSpace(name) ? "my-task" : name;
}
