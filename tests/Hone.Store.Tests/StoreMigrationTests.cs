using Hone.Store;
using Hone.Testing;
using Microsoft.Data.Sqlite;

namespace Hone.Store.Tests;

public class StoreMigrationTests
{
    /// <summary>
    /// Fixtures/hone-schema-v1.db was written by Hone with store schema 1 (before owner records): a succeeded SFT run with
    /// two train_loss steps and a results.csv artifact, a succeeded eval run tagged baseline, an SFT run left marked
    /// running (its process died), and one cache entry.
    /// </summary>
    private static string CopyOfV1()
    {
        var db = Path.Combine(TestAssets.NewTempDir(), ".hone", "hone.db");
        Directory.CreateDirectory(Path.GetDirectoryName(db)!);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "hone-schema-v1.db"), db);
        return db;
    }

    private static string SchemaVersion(string db)
    {
        using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key='schema_version';";
        return (string)cmd.ExecuteScalar()!;
    }

    [Fact]
    public void A_store_made_by_schema_1_is_migrated_keeping_every_run_metric_tag_artifact_and_cache_entry()
    {
        var db = CopyOfV1();
        Assert.Equal("1", SchemaVersion(db));
        using (var store = RunStore.Open(db))
        {
            var runs = store.ListRuns();
            Assert.Equal(3, runs.Count);
            var done = runs.Single(r => r.Kind == "sft" && r.Status == RunStatus.Succeeded);
            Assert.Equal([(1L, 2.5), (2L, 2.0)], store.GetMetric(done.Id, "train_loss"));
            Assert.EndsWith("results.csv", store.GetArtifacts(done.Id)["results.csv"], StringComparison.Ordinal);
            Assert.Equal("""{"epochs":3}""", done.SummaryJson);
            var eval = runs.Single(r => r.Kind == "eval");
            Assert.Equal("true", store.GetTags(eval.Id)["baseline"]);
            Assert.Equal([1, 2, 3], store.CacheGet("k1"));

            // The run a dead process left marked running has no owner record: it reads as interrupted, and resumes.
            var left = runs.Single(r => r.Name == "sft-20250102-000000");
            Assert.Equal(RunStatus.Interrupted, left.Status);
            Assert.Null(left.Owner);
            store.SetStatus(left.Id, RunStatus.Running);
            Assert.Equal(RunStatus.Running, store.GetRun(left.Id).Status);
            Assert.Equal(Environment.ProcessId, store.GetRun(left.Id).Owner!.ProcessId);

            var fresh = store.CreateRun("dpo", "new", "{}");
            Assert.Equal(RunStatus.Running, store.GetRun(fresh.Id).Status);
            store.DeleteRun(eval.Id);
        }
        Assert.Equal(RunStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), SchemaVersion(db));
        using (var again = RunStore.Open(db)) // opening a migrated store again changes nothing
        {
            Assert.Equal(3, again.ListRuns().Count);
            Assert.Equal(RunStatus.Running, again.ListRuns().Single(r => r.Name == "sft-20250102-000000").Status);
        }
    }

    [Fact]
    public void A_store_newer_than_this_hone_is_refused()
    {
        var db = CopyOfV1();
        using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE meta SET value='99' WHERE key='schema_version';";
            cmd.ExecuteNonQuery();
        }
        var e = Assert.Throws<WorkspaceException>(() => RunStore.Open(db));
        Assert.Contains("newer than this Hone", e.Message, StringComparison.Ordinal);
    }
}
