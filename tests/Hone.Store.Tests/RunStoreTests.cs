using Hone.Store;
using Hone.Testing;

namespace Hone.Store.Tests;

public class RunStoreTests
{
    private static RunStore NewStore() => RunStore.Open(Path.Combine(TestAssets.NewTempDir(), ".hone", "hone.db"));

    [Fact]
    public void Runs_metrics_artifacts_and_tags_persist_across_reopen()
    {
        var path = Path.Combine(TestAssets.NewTempDir(), "hone.db");
        string id;
        using (var store = RunStore.Open(path))
        {
            var run = store.CreateRun("sft", "first", """{"epochs":3}""", folder: "runs/x");
            id = run.Id;
            store.LogMetrics(id, 1, [new("train_loss", 2.5), new("train_mean_token_accuracy", 0.1)]);
            store.LogMetrics(id, 2, [new("train_loss", 2.0), new("valid_loss", double.NaN)]);
            store.AddArtifact(id, "results.csv", "runs/x/results.csv", "abc", 10);
            store.SetTag(id, "baseline", "true");
            store.SetStatus(id, RunStatus.Succeeded, """{"ok":true}""");
        }
        using (var store = RunStore.Open(path))
        {
            var run = store.GetRun(id);
            Assert.Equal(RunStatus.Succeeded, run.Status);
            Assert.NotNull(run.FinishedUtc);
            Assert.Equal("""{"epochs":3}""", run.OptionsJson);
            Assert.Equal([(1L, 2.5), (2L, 2.0)], store.GetMetric(id, "train_loss"));
            Assert.Empty(store.GetMetric(id, "valid_loss")); // NaN means "not measured": absent, not zero
            Assert.Equal(["train_loss", "train_mean_token_accuracy"], store.GetMetricNames(id));
            Assert.Equal("runs/x/results.csv", store.GetArtifacts(id)["results.csv"]);
            Assert.Equal("true", store.GetTags(id)["baseline"]);
        }
    }

    [Fact]
    public void A_resumed_run_rewrites_the_same_step_instead_of_duplicating_it()
    {
        using var store = NewStore();
        var id = store.CreateRun("sft", "r", "{}").Id;
        store.LogMetrics(id, 5, [new("train_loss", 1.0)]);
        store.LogMetrics(id, 5, [new("train_loss", 0.9)]);
        Assert.Equal([(5L, 0.9)], store.GetMetric(id, "train_loss"));
    }

    [Fact]
    public void Runs_are_found_by_unique_prefix_and_unknown_ids_are_clear_errors()
    {
        using var store = NewStore();
        var a = store.CreateRun("eval", "a", "{}");
        Assert.Equal(a.Id, store.GetRun(a.Id[..^2]).Id);
        var e = Assert.Throws<WorkspaceException>(() => store.GetRun("nope"));
        Assert.Contains("hone runs", e.Message, StringComparison.Ordinal);
        Assert.Throws<WorkspaceException>(() => store.SetStatus("nope", RunStatus.Failed));
        Assert.Throws<WorkspaceException>(() => store.SetTag("nope", "k", "v"));
    }

    [Fact]
    public void ListRuns_filters_by_kind_newest_first()
    {
        using var store = NewStore();
        store.CreateRun("eval", "e1", "{}");
        store.CreateRun("sft", "s1", "{}");
        store.CreateRun("eval", "e2", "{}");
        var evals = store.ListRuns("eval");
        Assert.Equal(2, evals.Count);
        Assert.All(evals, r => Assert.Equal("eval", r.Kind));
        Assert.Equal(3, store.ListRuns().Count);
    }

    [Fact]
    public void Cache_stores_and_replaces_values()
    {
        using var store = NewStore();
        Assert.Null(store.CacheGet("k"));
        store.CachePut("k", [1, 2]);
        store.CachePut("k", [3]);
        Assert.Equal([3], store.CacheGet("k"));
        store.CachePut("other", [4]);
        store.CacheRemove("k");
        store.CacheRemove("never-stored");
        Assert.Null(store.CacheGet("k"));
        Assert.Equal([4], store.CacheGet("other"));
    }

    [Fact]
    public void A_corrupt_database_file_is_a_clear_error()
    {
        var path = Path.Combine(TestAssets.NewTempDir(), "hone.db");
        File.WriteAllText(path, "this is not a sqlite database, just text that is long enough to have a header.............");
        var e = Assert.Throws<WorkspaceException>(() => RunStore.Open(path));
        Assert.Contains("run store", e.Message, StringComparison.Ordinal);
    }
}
