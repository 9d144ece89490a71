using System.Diagnostics;
using Hone.Store;
using Hone.Testing;

namespace Hone.Store.Tests;

public class RunOwnerTests
{
    private static string NewDb() => Path.Combine(TestAssets.NewTempDir(), ".hone", "hone.db");

    /// <summary>A real child process that waits until killed.</summary>
    internal static Process StartSleeper()
    {
        var p = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        return p;
    }

    [Fact]
    public void A_running_run_whose_process_was_killed_reads_as_interrupted_and_a_resume_makes_it_running_again()
    {
        var db = NewDb();
        using var sleeper = StartSleeper();
        string id;
        using (var theirs = RunStore.Open(db, RunOwner.Of(sleeper))) id = theirs.CreateRun("sft", "r", "{}").Id;

        using var store = RunStore.Open(db);
        var live = store.GetRun(id);
        Assert.Equal(RunStatus.Running, live.Status);
        Assert.Equal(sleeper.Id, live.Owner!.ProcessId);

        sleeper.Kill();
        sleeper.WaitForExit();
        Assert.Equal(RunStatus.Interrupted, store.GetRun(id).Status);
        Assert.Equal(RunStatus.Interrupted, Assert.Single(store.ListRuns()).Status);

        store.SetStatus(id, RunStatus.Running); // a resume: this process takes the run over
        var resumed = store.GetRun(id);
        Assert.Equal(RunStatus.Running, resumed.Status);
        Assert.Equal(Environment.ProcessId, resumed.Owner!.ProcessId);
        store.SetStatus(id, RunStatus.Succeeded);
        Assert.Equal(RunStatus.Succeeded, store.GetRun(id).Status);
    }

    [Fact]
    public void A_recycled_or_missing_process_id_is_not_the_owner_and_another_machine_is_not_judged()
    {
        var me = RunOwner.Current;
        Assert.True(me.IsAlive());
        Assert.False((me with { StartedUtc = me.StartedUtc.AddHours(-1) }).IsAlive()); // same id, another start: reused id
        Assert.False((me with { ProcessId = int.MaxValue }).IsAlive());
        Assert.True((me with { ProcessId = int.MaxValue, Host = me.Host + "-elsewhere" }).IsAlive());

        var db = NewDb();
        string id;
        using (var gone = RunStore.Open(db, me with { StartedUtc = me.StartedUtc.AddDays(-2) })) id = gone.CreateRun("eval", "e", "{}").Id;
        using var store = RunStore.Open(db);
        Assert.Equal(RunStatus.Interrupted, store.GetRun(id).Status);
        Assert.Equal(RunStatus.Running, store.GetRun(store.CreateRun("eval", "mine", "{}").Id).Status);
    }

    [Fact]
    public void Interrupted_is_derived_never_stored()
    {
        using var store = RunStore.Open(NewDb());
        var id = store.CreateRun("sft", "r", "{}").Id;
        Assert.Throws<ArgumentException>(() => store.SetStatus(id, RunStatus.Interrupted));
        Assert.Equal(RunStatus.Running, store.GetRun(id).Status);
    }

    [Fact]
    public void Deleting_a_run_removes_its_metrics_artifacts_and_tags()
    {
        using var store = RunStore.Open(NewDb());
        var id = store.CreateRun("sft", "r", "{}").Id;
        var other = store.CreateRun("sft", "s", "{}").Id;
        store.LogMetrics(id, 1, [new("train_loss", 1.0)]);
        store.LogMetrics(other, 1, [new("train_loss", 2.0)]);
        store.AddArtifact(id, "results.csv", "x", null, null);
        store.SetTag(id, "baseline", "true");
        store.DeleteRun(id);
        Assert.Null(store.FindRun(id));
        Assert.Empty(store.GetMetric(id, "train_loss"));
        Assert.Empty(store.GetArtifacts(id));
        Assert.Empty(store.GetTags(id));
        Assert.Equal([(1L, 2.0)], store.GetMetric(other, "train_loss"));
        Assert.Throws<WorkspaceException>(() => store.DeleteRun(id));
    }
}
