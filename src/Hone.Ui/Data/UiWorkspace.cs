using System.Collections.Concurrent;
using Hone.Evals.Compare;
using Hone.Evals.Runs;
using Hone.Store;
using Microsoft.Data.Sqlite;

namespace Hone.Ui.Data;

/// <summary>
/// The UI's view of a workspace: opens the run store per request (SQLite WAL: readers never block the writing
/// <c>hone train</c>/<c>hone eval</c> process), caches parsed eval runs and comparisons by their files' identity, and
/// gives a version token that moves whenever another process writes (SQLite's <c>data_version</c> on a long-lived
/// connection, plus the newest write time in the runs folder, where eval journals grow before the store is told).
/// </summary>
internal sealed class UiWorkspace : IDisposable
{
    private readonly SqliteConnection _watch;
    private readonly Lock _watchGate = new();
    private readonly ConcurrentDictionary<string, (string Key, LoadedEvalRun Run)> _evals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Key, RunComparison Cmp)> _compares = new(StringComparer.Ordinal);

    public UiWorkspace(Workspace workspace)
    {
        Workspace = workspace;
        using (workspace.OpenStore()) { } // creates or migrates the schema once, so the watcher opens a real database
        _watch = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = workspace.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        _watch.Open();
    }

    public Workspace Workspace { get; }

    /// <summary>Opens the run store for one request.</summary>
    public RunStore OpenStore() => Workspace.OpenStore();

    /// <summary>A token that changes when the store or a run folder is written by any process.</summary>
    public string Version()
    {
        long dataVersion;
        lock (_watchGate)
        {
            using var cmd = _watch.CreateCommand();
            cmd.CommandText = "PRAGMA data_version;";
            dataVersion = (long)cmd.ExecuteScalar()!;
        }
        long newest = 0;
        if (Directory.Exists(Workspace.RunsDir))
        {
            foreach (var dir in Directory.EnumerateDirectories(Workspace.RunsDir))
            {
                newest = Math.Max(newest, Directory.GetLastWriteTimeUtc(dir).Ticks);
                foreach (var f in Directory.EnumerateFiles(dir, "*.jsonl"))
                    newest = Math.Max(newest, File.GetLastWriteTimeUtc(f).Ticks ^ new FileInfo(f).Length);
            }
        }
        return $"{dataVersion}-{newest}";
    }

    /// <summary>
    /// An eval run, parsed once per version of its cases file; a run still in progress (no cases file yet) is read from
    /// its journal, so its page fills as samples finish.
    /// </summary>
    public LoadedEvalRun LoadEval(RunStore store, string id)
    {
        var run = store.GetRun(id);
        var artifacts = store.GetArtifacts(run.Id);
        var journal = Path.Combine(Workspace.RunsDir, run.Id, EvalRunner.JournalFile);
        var inProgress = !(artifacts.TryGetValue(EvalRunner.CasesArtifact, out var path) && File.Exists(path)) && run.Kind == EvalRunner.Kind && File.Exists(journal);
        var file = inProgress ? journal : path;
        var key = file is not null && File.Exists(file) ? $"{file}|{File.GetLastWriteTimeUtc(file).Ticks}|{new FileInfo(file).Length}|{run.Status}" : "";
        if (_evals.TryGetValue(run.Id, out var hit) && hit.Key == key && key.Length > 0) return hit.Run;
        var loaded = inProgress
            ? new LoadedEvalRun(run, EvalJournal.Read(journal)) { Model = store.GetTags(run.Id).GetValueOrDefault("eval.model", "?") }
            : EvalRuns.Load(store, run.Id);
        if (_evals.Count > 8) _evals.Clear();
        _evals[run.Id] = (key, loaded);
        return loaded;
    }

    /// <summary>The paired comparison of two eval runs (Hone.Evals' compare: bootstrap interval, McNemar), cached.</summary>
    public RunComparison Compare(RunStore store, string a, string b)
    {
        var ra = LoadEval(store, a);
        var rb = LoadEval(store, b);
        var key = $"{ra.Run.Id}|{rb.Run.Id}";
        var identity = $"{ra.Results.Count}|{rb.Results.Count}|{ra.Run.Status}|{rb.Run.Status}|{RuntimeHelpersId(ra)}|{RuntimeHelpersId(rb)}";
        if (_compares.TryGetValue(key, out var hit) && hit.Key == identity) return hit.Cmp;
        var cmp = RunComparison.Compute(ra, rb);
        if (_compares.Count > 8) _compares.Clear();
        _compares[key] = (identity, cmp);
        return cmp;
    }

    private static int RuntimeHelpersId(object o) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(o);

    /// <summary>Resolves a path relative to the workspace, refusing anything outside it.</summary>
    public string? InsideWorkspace(string relative)
    {
        if (string.IsNullOrWhiteSpace(relative)) return null;
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Workspace.Root)) + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(relative, Workspace.Root);
        return full.StartsWith(root, StringComparison.Ordinal) ? full : null;
    }

    public void Dispose() => _watch.Dispose();
}
