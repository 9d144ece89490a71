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

    /// <summary>
    /// Fixtures/hone-schema-v2.db was written by Hone with store schema 2 (Microsoft.Data.Sqlite.Core 6.0.7 and the
    /// SQLitePCLRaw 2.0.6 bundle, before the move to Microsoft.Data.Sqlite 11): a succeeded SFT run (two steps of
    /// train_loss and token_accuracy, a results.csv artifact, a non-ASCII tag and summary), a failed eval run whose parent
    /// is the SFT run, a DPO run left running by process 4242 on "fixture-host" (another machine: it cannot be checked,
    /// so it stays running), and two cache entries; every run is owned by that process.
    /// </summary>
    [Fact]
    public void A_store_written_by_schema_2_opens_unchanged_and_stays_writable()
    {
        var db = Path.Combine(TestAssets.NewTempDir(), ".hone", "hone.db");
        Directory.CreateDirectory(Path.GetDirectoryName(db)!);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "hone-schema-v2.db"), db);
        Assert.Equal("2", SchemaVersion(db));
        using (var store = RunStore.Open(db))
        {
            Assert.Equal("wal", store.JournalMode);
            var runs = store.ListRuns();
            Assert.Equal(3, runs.Count);
            var sft = runs.Single(r => r.Kind == "sft");
            Assert.Equal(RunStatus.Succeeded, sft.Status);
            Assert.Equal("runs/sft-fixture", sft.Folder);
            Assert.Equal("""{"epochs":2,"learning_rate":0.0002}""", sft.OptionsJson);
            Assert.Equal("""{"final_loss":1.75,"text":"ünïcode"}""", sft.SummaryJson);
            Assert.NotNull(sft.FinishedUtc);
            Assert.Equal([(1L, 2.5), (2L, 1.75)], store.GetMetric(sft.Id, "train_loss"));
            Assert.Equal([(1L, 0.25), (2L, 0.5)], store.GetMetric(sft.Id, "token_accuracy"));
            Assert.Equal("runs/sft-fixture/results.csv", store.GetArtifacts(sft.Id)["results.csv"]);
            Assert.Equal("héllo ✓", store.GetTags(sft.Id)["note"]);
            var eval = runs.Single(r => r.Kind == "eval");
            Assert.Equal(RunStatus.Failed, eval.Status);
            Assert.Equal(sft.Id, eval.ParentId);
            Assert.Equal("true", store.GetTags(eval.Id)["baseline"]);
            var dpo = runs.Single(r => r.Kind == "dpo");
            Assert.Equal(RunStatus.Running, dpo.Status);
            Assert.Equal(new RunOwner(4242, new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc), "fixture-host"), dpo.Owner);
            Assert.Equal([9, 8, 7, 0, 255], store.CacheGet("k2"));
            Assert.StartsWith("{\"messages\"", System.Text.Encoding.UTF8.GetString(store.CacheGet("chat:" + new string('0', 64))!), StringComparison.Ordinal);

            var fresh = store.CreateRun("rft", "new", "{}");
            store.LogMetrics(fresh.Id, 1, [new("reward", 0.5)]);
            store.CachePut("k3", [1]);
            store.DeleteRun(eval.Id);
        }
        Assert.Equal("2", SchemaVersion(db));
        using (var again = RunStore.Open(db))
        {
            Assert.Equal(3, again.ListRuns().Count);
            Assert.Equal([(1L, 0.5)], again.GetMetric(again.ListRuns("rft").Single().Id, "reward"));
            Assert.Equal([1], again.CacheGet("k3"));
        }
    }

    [Fact]
    public void The_store_runs_on_a_current_sqlite()
    {
        using var c = new SqliteConnection("Data Source=:memory:");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT sqlite_version();";
        var version = Version.Parse((string)cmd.ExecuteScalar()!);
        Assert.True(version >= new Version(3, 45), $"SQLite {version}: the store expects a current SQLite (3.45 or later; the 2.0.6 bundle had 3.35).");
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
