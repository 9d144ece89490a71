using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Testing;
using Hone.Training.Runs;

namespace Hone.Training.Tests.Golden;

/// <summary>
/// Behaviour held to files recorded before the training loop was unified (Fixtures/golden): every kind of seeded run
/// writes the same results.csv, and its final checkpoint holds the same tensors (SHA-256 of the parameters and AdamW
/// moments) and the same per-step losses. Checkpoints written by the earlier format (Fixtures/legacy: the first epoch of
/// the LoRA runs) still resume, to the results the earlier code gave (Fixtures/legacy-resumed). Exact equality holds on the vector widths the fixtures were recorded
/// with; elsewhere (other kernels, other rounding) only the shape of the results is compared.
/// </summary>
public class GoldenRunTests
{
    public static TheoryData<string> Cases => [.. GoldenRuns.Cases];

    public static TheoryData<string> LegacyCases => [.. GoldenRuns.LegacyCases];

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_seeded_run_writes_the_recorded_results_and_final_checkpoint(string name)
    {
        var dir = TestAssets.NewTempDir();
        var run = Path.Combine(dir, "run");
        GoldenRuns.Run(name, dir, run);
        var summary = Summarise(run);
        if (GoldenRuns.Recording)
        {
            Record(name, dir, run, summary);
            return;
        }

        var fixture = Path.Combine(GoldenRuns.Fixtures, "golden", name);
        Compare(fixture, run, summary);
    }

    [Theory]
    [MemberData(nameof(LegacyCases))]
    public void A_checkpoint_of_the_earlier_format_resumes_as_the_earlier_code_resumed_it(string name)
    {
        if (GoldenRuns.Recording) return;
        var run = ResumeLegacy(name, Path.Combine(GoldenRuns.Fixtures, "legacy", name));
        Compare(Path.Combine(GoldenRuns.Fixtures, "legacy-resumed", name), run, Summarise(run));
    }

    [Theory]
    [MemberData(nameof(LegacyCases))]
    public void A_lora_run_with_dropout_killed_after_its_first_epoch_resumes_to_the_uninterrupted_results(string name)
    {
        if (GoldenRuns.Recording) return;
        var dir = TestAssets.NewTempDir();
        var run = Path.Combine(dir, "run");
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.Phase == "checkpoint" && p.Epoch == 1) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => GoldenRuns.Run(name, dir, run, progress, cts.Token));
        Assert.Single(Checkpoints.List(Path.Combine(run, "checkpoints")));

        GoldenRuns.Resume(name, run); // a fresh model: the dropout masks' counter comes from the checkpoint
        Compare(Path.Combine(GoldenRuns.Fixtures, "golden", name), run, Summarise(run));
    }

    /// <summary>Copies a first-epoch checkpoint of the earlier format into a fresh run folder beside the case's data and resumes it.</summary>
    private static string ResumeLegacy(string name, string legacy)
    {
        var dir = TestAssets.NewTempDir();
        var data = Path.Combine(dir, "data");
        Directory.CreateDirectory(data);
        GoldenRuns.Options(name, data); // the data files, where run.json expects them
        var run = Path.Combine(dir, "run");
        CopyTree(legacy, run);
        var manifest = Path.Combine(run, RunFolder.ManifestFile);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("{MODEL}", GoldenRuns.Stories, StringComparison.Ordinal)
            .Replace("{DATA}", data, StringComparison.Ordinal));
        GoldenRuns.Resume(name, run);
        return run;
    }

    private static void Compare(string fixture, string run, JsonObject summary)
    {
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(fixture, "summary.json")))!.AsObject();
        bool exact = (string?)expected["simd"] == GoldenRuns.Simd;
        foreach (var csv in Directory.GetFiles(fixture, "*results.csv"))
        {
            var rel = Path.GetFileName(csv).Replace('+', Path.DirectorySeparatorChar);
            var actual = File.ReadAllLines(Path.Combine(run, rel));
            var want = File.ReadAllLines(csv);
            if (exact)
            {
                Assert.Equal(want, actual);
            }
            else
            {
                Assert.Equal(want.Length, actual.Length);
                Assert.Equal(want[0], actual[0]);
            }
        }

        var wantCheckpoints = expected["checkpoints"]!.AsObject();
        var gotCheckpoints = summary["checkpoints"]!.AsObject();
        Assert.Equal(wantCheckpoints.Select(kv => kv.Key), gotCheckpoints.Select(kv => kv.Key));
        foreach (var (folder, want) in wantCheckpoints)
        {
            var got = gotCheckpoints[folder]!;
            Assert.Equal((string?)want!["folder"], (string?)got["folder"]);
            var wantLosses = want["train_losses"]!.AsArray().Select(x => (string)x!).ToList();
            var gotLosses = got["train_losses"]!.AsArray().Select(x => (string)x!).ToList();
            Assert.Equal(wantLosses.Count, gotLosses.Count);
            if (!exact) continue;
            Assert.Equal(wantLosses, gotLosses);
            Assert.Equal((string?)want["state_sha256"], (string?)got["state_sha256"]);
        }
    }

    /// <summary>Per checkpoints folder of the run: the final checkpoint's name, tensor hash and recorded training losses.</summary>
    private static JsonObject Summarise(string run)
    {
        var checkpoints = new JsonObject();
        foreach (var folder in Directory.GetDirectories(run, "checkpoints", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var last = Checkpoints.List(folder)[^1];
            var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(last, "checkpoint.json")))!;
            var rel = Path.GetRelativePath(run, folder).Replace(Path.DirectorySeparatorChar, '/');
            checkpoints[rel] = new JsonObject
            {
                ["folder"] = Path.GetFileName(last),
                ["state_sha256"] = (string?)manifest["state_sha256"],
                ["train_losses"] = new JsonArray([.. CheckpointLosses(last, manifest).Select(l => JsonValue.Create(l.ToString("R", CultureInfo.InvariantCulture)))]),
            };
        }
        return new JsonObject { ["simd"] = GoldenRuns.Simd, ["checkpoints"] = checkpoints };
    }

    /// <summary>The per-step training losses a checkpoint records.</summary>
    private static List<double> CheckpointLosses(string checkpoint, JsonNode manifest)
    {
        var history = manifest["history"]!.AsArray();
        if (history.Count > 0 && history[0]!["metrics"] is { }) return [.. history.Select(h => (double)h!["metrics"]!["train_loss"]!)]; // hone-checkpoint/2
        if (history.Count > 0 && history[0]!["train_loss"] is { }) return [.. history.Select(h => (double)h!["train_loss"]!)];
        var rft = Path.Combine(checkpoint, "rft_history.json");
        if (File.Exists(rft)) return [.. JsonNode.Parse(File.ReadAllText(rft))!["History"]!.AsArray().Select(h => (double)h!["Loss"]!)];
        return [];
    }

    private static void Record(string name, string data, string run, JsonObject summary)
    {
        Save(run, summary, Path.Combine(GoldenRuns.SourceFixtures(), "golden", name));
        if (!GoldenRuns.LegacyCases.Contains(name)) return;

        var legacy = Path.Combine(GoldenRuns.SourceFixtures(), "legacy", name);
        if (Directory.Exists(legacy)) Directory.Delete(legacy, true);
        CopyTree(Path.Combine(run, "checkpoints", "epoch-0001"), Path.Combine(legacy, "checkpoints", "epoch-0001"));
        var reference = Path.Combine(run, "reference_logprobs.json");
        if (File.Exists(reference)) File.Copy(reference, Path.Combine(legacy, "reference_logprobs.json"));
        var manifest = File.ReadAllText(Path.Combine(run, RunFolder.ManifestFile))
            .Replace(GoldenRuns.Stories, "{MODEL}", StringComparison.Ordinal).Replace(data, "{DATA}", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(legacy, RunFolder.ManifestFile), manifest);

        // What the earlier code made of that checkpoint when resumed (with LoRA dropout it did not restore the dropout
        // masks' step counter, so the second epoch differs from the uninterrupted run's).
        var resumed = ResumeLegacy(name, legacy);
        Save(resumed, Summarise(resumed), Path.Combine(GoldenRuns.SourceFixtures(), "legacy-resumed", name));
    }

    private static void Save(string run, JsonObject summary, string to)
    {
        if (Directory.Exists(to)) Directory.Delete(to, true);
        Directory.CreateDirectory(to);
        foreach (var csv in Directory.GetFiles(run, "results.csv", SearchOption.AllDirectories))
            File.Copy(csv, Path.Combine(to, Path.GetRelativePath(run, csv).Replace(Path.DirectorySeparatorChar, '+')));
        File.WriteAllText(Path.Combine(to, "summary.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private sealed class SyncProgress(Action<TrainingProgress> on) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => on(value);
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyTree(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
