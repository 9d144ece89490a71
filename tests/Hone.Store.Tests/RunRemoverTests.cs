using Hone.Store;
using Hone.Testing;

namespace Hone.Store.Tests;

public class RunRemoverTests
{
    private static (Workspace Ws, RunStore Store) NewWorkspace()
    {
        var ws = Workspace.Init(TestAssets.NewTempDir());
        return (ws, ws.OpenStore());
    }

    private static RunRecord DeadRun(Workspace ws, string kind, string? folder)
    {
        var me = RunOwner.Current;
        using var dead = RunStore.Open(ws.DatabasePath, me with { ProcessId = int.MaxValue });
        return dead.CreateRun(kind, "r", "{}", folder);
    }

    [Fact]
    public void An_interrupted_run_goes_with_its_folder_and_other_runs_stay()
    {
        var (ws, store) = NewWorkspace();
        using var _ = store;
        var folder = Path.Combine(ws.RunsDir, "sft-1");
        Directory.CreateDirectory(Path.Combine(folder, "checkpoints", "epoch-1"));
        File.WriteAllText(Path.Combine(folder, "checkpoints", "epoch-1", "w.bin"), "x");
        var run = DeadRun(ws, "sft", folder);
        var keep = Path.Combine(ws.RunsDir, "sft-2");
        Directory.CreateDirectory(keep);
        var other = store.CreateRun("sft", "other", "{}", keep);
        store.SetStatus(other.Id, RunStatus.Succeeded);

        Assert.Equal(RunStatus.Interrupted, store.GetRun(run.Id).Status);
        var removed = RunRemover.Remove(ws, store, run.Id);
        Assert.True(removed.FolderRemoved);
        Assert.False(Directory.Exists(folder));
        Assert.Null(store.FindRun(run.Id));
        Assert.True(Directory.Exists(keep));
        Assert.NotNull(store.FindRun(other.Id));
        Assert.Equal([keep], Directory.GetFileSystemEntries(ws.RunsDir)); // no hidden leftover
    }

    [Fact]
    public void A_live_running_run_is_refused_unless_forced()
    {
        var (ws, store) = NewWorkspace();
        using var _ = store;
        var folder = Path.Combine(ws.RunsDir, "live");
        Directory.CreateDirectory(folder);
        var run = store.CreateRun("sft", "live", "{}", folder); // owned by this (live) process
        var e = Assert.Throws<WorkspaceException>(() => RunRemover.Remove(ws, store, run.Id));
        Assert.Contains("still running", e.Message, StringComparison.Ordinal);
        Assert.Contains("--force", e.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(folder));
        Assert.NotNull(store.FindRun(run.Id));

        Assert.True(RunRemover.Remove(ws, store, run.Id, force: true).FolderRemoved);
        Assert.False(Directory.Exists(folder));
        Assert.Null(store.FindRun(run.Id));
    }

    [Fact]
    public void A_folder_outside_the_runs_folder_is_never_deleted_and_keep_folder_removes_the_record_only()
    {
        var (ws, store) = NewWorkspace();
        using var _ = store;
        var outside = Path.Combine(TestAssets.NewTempDir(), "my-run");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "run.json"), "{}");
        var run = DeadRun(ws, "sft", outside);
        var e = Assert.Throws<WorkspaceException>(() => RunRemover.Remove(ws, store, run.Id));
        Assert.Contains("outside the workspace's runs folder", e.Message, StringComparison.Ordinal);
        Assert.Contains("--keep-folder", e.Message, StringComparison.Ordinal);
        Assert.NotNull(store.FindRun(run.Id));

        var kept = RunRemover.Remove(ws, store, run.Id, keepFolder: true);
        Assert.False(kept.FolderRemoved);
        Assert.Null(store.FindRun(run.Id));
        Assert.True(File.Exists(Path.Combine(outside, "run.json")));

        // The runs folder itself (or anything above it) is not a run's folder either.
        var whole = DeadRun(ws, "sft", ws.RunsDir);
        Assert.Throws<WorkspaceException>(() => RunRemover.Remove(ws, store, whole.Id));
        Assert.True(Directory.Exists(ws.RunsDir));
    }

    [Fact]
    public void An_eval_run_without_a_recorded_folder_loses_its_runs_id_folder_and_a_linked_folder_loses_only_the_link()
    {
        var (ws, store) = NewWorkspace();
        using var _ = store;
        var eval = DeadRun(ws, "eval", null);
        var byId = Path.Combine(ws.RunsDir, eval.Id);
        Directory.CreateDirectory(byId);
        File.WriteAllText(Path.Combine(byId, "cases.journal.jsonl"), "{}\n");
        Assert.True(RunRemover.Remove(ws, store, eval.Id).FolderRemoved);
        Assert.False(Directory.Exists(byId));

        var target = Path.Combine(TestAssets.NewTempDir(), "precious");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "keep.txt"), "keep");
        var link = Path.Combine(ws.RunsDir, "linked");
        Directory.CreateSymbolicLink(link, target);
        var inner = Path.Combine(ws.RunsDir, "with-inner-link");
        Directory.CreateDirectory(inner);
        Directory.CreateSymbolicLink(Path.Combine(inner, "data"), target);
        Assert.True(RunRemover.Remove(ws, store, DeadRun(ws, "sft", link).Id).FolderRemoved);
        Assert.True(RunRemover.Remove(ws, store, DeadRun(ws, "sft", inner).Id).FolderRemoved);
        Assert.False(Directory.Exists(link));
        Assert.False(Directory.Exists(inner));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(target, "keep.txt")));
    }
}
