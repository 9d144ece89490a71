using System.Text.Json.Nodes;
using Hone.Models.Train;
using Hone.Store;
using Hone.Testing;
using Hone.Training.Batching;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Tests;

public class SftTrainerTests
{
    private const int Vocab = 8;

    /// <summary>Prompt tokens (untrained) then a reply following next = (3x + 1) mod 8 (trained).</summary>
    private static List<TokenizedExample> Data(int count, int seed)
    {
        var rng = new Random(seed);
        var list = new List<TokenizedExample>();
        for (int i = 0; i < count; i++)
        {
            int promptLen = 1 + rng.Next(3), replyLen = 2 + rng.Next(4);
            var ids = new List<int>();
            var trained = new List<bool>();
            for (int k = 0; k < promptLen; k++) { ids.Add(rng.Next(Vocab)); trained.Add(false); }
            for (int k = 0; k < replyLen; k++) { ids.Add(((3 * ids[^1]) + 1) % Vocab); trained.Add(true); }
            list.Add(new TokenizedExample([.. ids], [.. trained]));
        }
        return list;
    }

    private static readonly List<TokenizedExample> Train = Data(12, 1);
    private static readonly List<TokenizedExample> Valid = Data(4, 2);

    private static SftOptions Opts(int epochs = 3) => new()
    {
        Epochs = epochs,
        BatchSize = 4,
        MicroBatchSize = 2,
        LearningRateMultiplier = 1000, // 0.2 on the LoRA base rate
        EvalEvery = 2,
        Seed = 5,
    };

    private sealed class SyncProgress(Action<TrainingProgress> on) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => on(value);
    }

    [Fact]
    public void Training_lowers_the_loss_and_records_the_exact_metric_names_in_store_and_csv()
    {
        var dir = TestAssets.NewTempDir();
        using var store = RunStore.Open(Path.Combine(dir, "hone.db"));
        var rec = store.CreateRun("sft", "t", Opts().ToJson());
        using var model = new BigramModel(Vocab, 16, seed: 1);
        var reports = new List<TrainingProgress>();
        var trainer = new SftTrainer(model, Opts(), Train, Valid, new RunFolder(Path.Combine(dir, "run"), store, rec.Id));
        var result = trainer.Run(new SyncProgress(reports.Add));

        Assert.Equal(9, result.Steps); // 3 steps × 3 epochs
        Assert.True(result.History[^1].TrainLoss < result.History[0].TrainLoss * 0.7, $"{result.History[0].TrainLoss} → {result.History[^1].TrainLoss}");
        Assert.Equal(3, result.EpochHistory.Count);
        Assert.True(result.EpochHistory[^1].FullValidLoss < result.EpochHistory[0].FullValidLoss);

        var names = store.GetMetricNames(rec.Id);
        foreach (var n in new[] { "train_loss", "train_mean_token_accuracy", "valid_loss", "valid_mean_token_accuracy", "full_valid_loss", "full_valid_mean_token_accuracy" })
            Assert.Contains(n, names);
        Assert.Equal(9, store.GetMetric(rec.Id, "train_loss").Count);
        Assert.Equal([2L, 4, 6, 8], store.GetMetric(rec.Id, "valid_loss").Select(p => p.Step));
        Assert.Equal([3L, 6, 9], store.GetMetric(rec.Id, "full_valid_loss").Select(p => p.Step));

        var csv = File.ReadAllLines(result.ResultsCsvPath);
        Assert.Equal("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy", csv[0]);
        Assert.Equal(10, csv.Length);
        Assert.EndsWith(",,", csv[1], StringComparison.Ordinal); // step 1: no validation batch
        Assert.Equal(5, csv[2].Split(',').Count(c => c.Length > 0));

        Assert.Equal(9, reports.Count(r => r.Phase == "train"));
        Assert.Equal([1, 2, 3], reports.Where(r => r.Phase == "train").Select(r => r.Step).Take(3).Select(s => (int)s));
        Assert.All(reports, r => Assert.Equal(9, r.TotalSteps));
        Assert.True(File.Exists(result.ChartPath));
        Assert.Equal(9, result.LossSparkline.Length);
        Assert.Contains("results.csv", store.GetArtifacts(rec.Id).Keys);
    }

    [Fact]
    public void Without_validation_the_valid_metrics_are_absent_not_zero()
    {
        var dir = TestAssets.NewTempDir();
        using var store = RunStore.Open(Path.Combine(dir, "hone.db"));
        var rec = store.CreateRun("sft", "t", "{}");
        using var model = new BigramModel(Vocab, 16, seed: 1);
        var result = new SftTrainer(model, Opts(1), Train, null, new RunFolder(Path.Combine(dir, "run"), store, rec.Id)).Run();
        var names = store.GetMetricNames(rec.Id);
        Assert.DoesNotContain(names, n => n.Contains("valid", StringComparison.Ordinal));
        Assert.Empty(result.EpochHistory);
        Assert.All(File.ReadAllLines(result.ResultsCsvPath).Skip(1), l => Assert.EndsWith(",,", l, StringComparison.Ordinal));
    }

    [Fact]
    public void A_fixed_seed_gives_bit_identical_runs_and_another_seed_does_not()
    {
        float[] RunOnce(long seed)
        {
            using var model = new BigramModel(Vocab, 16, seed: 1);
            new SftTrainer(model, Opts() with { Seed = seed }, Train, Valid, new RunFolder(TestAssets.NewTempDir())).Run();
            return model.Snapshot();
        }
        var a = RunOnce(5);
        Assert.Equal(a, RunOnce(5));
        Assert.NotEqual(a, RunOnce(6));
    }

    [Fact]
    public void Resume_after_a_kill_gives_the_same_parameters_and_results_as_an_uninterrupted_run()
    {
        float[] full;
        string fullCsv;
        using (var model = new BigramModel(Vocab, 16, seed: 1))
        {
            var r = new SftTrainer(model, Opts(), Train, Valid, new RunFolder(TestAssets.NewTempDir())).Run();
            full = model.Snapshot();
            fullCsv = File.ReadAllText(r.ResultsCsvPath);
        }

        var dir = TestAssets.NewTempDir();
        using (var model = new BigramModel(Vocab, 16, seed: 1))
        {
            using var cts = new CancellationTokenSource();
            var trainer = new SftTrainer(model, Opts(), Train, Valid, new RunFolder(dir));
            var progress = new SyncProgress(p => { if (p.Phase == "checkpoint" && p.Epoch == 1) cts.Cancel(); });
            Assert.Throws<OperationCanceledException>(() => trainer.Run(progress, cts.Token));
        }
        Assert.Single(Checkpoints.List(Path.Combine(dir, "checkpoints")));

        using (var model = new BigramModel(Vocab, 16, seed: 1)) // a fresh process: the base weights again
        {
            var r = new SftTrainer(model, Opts(), Train, Valid, new RunFolder(dir)).Run();
            Assert.Equal(1, r.ResumedFromEpoch);
            Assert.Equal(full, model.Snapshot());
            Assert.Equal(fullCsv, File.ReadAllText(r.ResultsCsvPath));
            Assert.Equal(3, r.EpochHistory.Count);
        }
    }

    [Fact]
    public void Resume_with_other_options_is_refused()
    {
        var dir = TestAssets.NewTempDir();
        using (var model = new BigramModel(Vocab, 16, seed: 1))
            new SftTrainer(model, Opts(1), Train, null, new RunFolder(dir)).Run();
        using var m2 = new BigramModel(Vocab, 16, seed: 1);
        var e = Assert.Throws<TrainingException>(() => new SftTrainer(m2, Opts(1) with { Seed = 9 }, Train, null, new RunFolder(dir)).Run());
        Assert.Contains("other options", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_last_three_checkpoints_are_kept()
    {
        var dir = TestAssets.NewTempDir();
        using var model = new BigramModel(Vocab, 16, seed: 1);
        new SftTrainer(model, Opts(5) with { EvalEvery = 0 }, Train, null, new RunFolder(dir)).Run();
        var kept = Checkpoints.List(Path.Combine(dir, "checkpoints")).Select(Path.GetFileName);
        Assert.Equal(["epoch-0003", "epoch-0004", "epoch-0005"], kept);
        Assert.Empty(Directory.GetDirectories(Path.Combine(dir, "checkpoints"), ".tmp*"));
    }

    [Fact]
    public void Packing_padding_and_micro_batch_size_give_the_same_step_loss()
    {
        double FirstLoss(SftOptions o)
        {
            using var model = new BigramModel(Vocab, 16, seed: 1);
            return new SftTrainer(model, o, Train, null, new RunFolder(TestAssets.NewTempDir())).Run().History[0].TrainLoss;
        }
        var baseline = FirstLoss(Opts(1));
        Assert.Equal(baseline, FirstLoss(Opts(1) with { Packing = true }), 5);
        Assert.Equal(baseline, FirstLoss(Opts(1) with { MicroBatchSize = 1 }), 5);
        Assert.NotEqual(baseline, FirstLoss(Opts(1) with { TrainOnInputs = true }), 5);
    }

    [Fact]
    public void Auto_epochs_follow_the_data_check_rule_and_auto_batch_size_is_documented()
    {
        using var model = new BigramModel(Vocab, 16, seed: 1);
        var t = new SftTrainer(model, new SftOptions(), Train, null, new RunFolder(TestAssets.NewTempDir()));
        Assert.Equal(Hone.Data.Cost.EpochRule.AutoEpochs(12), t.Epochs);
        Assert.Equal(1, t.BatchSize); // clamp(12 / 16, 1, 8)
        Assert.Equal(SftOptions.LoraBaseLearningRate, t.Options.LearningRate);
        Assert.Equal(SftOptions.FullBaseLearningRate * 2, (new SftOptions { Method = TrainingMethod.Full, LearningRateMultiplier = 2 }).LearningRate);
    }

    [Fact]
    public void Options_are_validated_once_with_clear_errors_and_unknown_keys_are_errors()
    {
        Assert.Contains("--epochs", Assert.Throws<TrainingException>(() => new SftOptions { Epochs = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("--lr-multiplier", Assert.Throws<TrainingException>(() => new SftOptions { LearningRateMultiplier = -1 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Throws<TrainingException>(() => SftOptions.FromJson("""{"epochz": 3}"""));
        var o = new SftOptions { Epochs = 4, Packing = true, Method = TrainingMethod.Full, Seed = 11 };
        Assert.Equal(o, SftOptions.FromJson(o.ToJson()));
        using var model = new BigramModel(Vocab, 16, seed: 1);
        Assert.Throws<TrainingException>(() => new SftTrainer(model, new SftOptions { Epochs = 0 }, Train, null, new RunFolder(TestAssets.NewTempDir())));
    }

    [Fact]
    public void Examples_that_cannot_train_are_named()
    {
        using var model = new BigramModel(Vocab, 4, seed: 1);
        var longOne = new List<TokenizedExample> { new([1, 2], [false, true]), new([1, 2, 3, 4, 5], [false, true, true, true, true]) };
        Assert.Contains("example 2 has 5 tokens", Assert.Throws<TrainingException>(() => new SftTrainer(model, Opts(), longOne, null, new RunFolder(TestAssets.NewTempDir()))).Message, StringComparison.Ordinal);
        var untrained = new List<TokenizedExample> { new([1, 2], [false, false]) };
        Assert.Contains("no trained tokens", Assert.Throws<TrainingException>(() => new SftTrainer(model, Opts(), untrained, null, new RunFolder(TestAssets.NewTempDir()))).Message, StringComparison.Ordinal);
        var badId = new List<TokenizedExample> { new([1, 9], [false, true]) };
        Assert.Contains("token id 9", Assert.Throws<TrainingException>(() => new SftTrainer(model, Opts(), badId, null, new RunFolder(TestAssets.NewTempDir()))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_run_manifest_records_options_data_hashes_model_and_versions()
    {
        var dir = TestAssets.NewTempDir();
        var data = Path.Combine(dir, "train.jsonl");
        File.WriteAllText(data, "{}\n");
        var folder = new RunFolder(Path.Combine(dir, "run"));
        using var model = new BigramModel(Vocab, 16, seed: 1);
        var t = new SftTrainer(model, Opts(), Train, null, folder);
        var path = folder.WriteManifest("sft", t.Options.ToJson(), t.Resolved, new Dictionary<string, string> { ["train"] = data }, "/models/x", "abc");
        var m = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal("sft", (string?)m["kind"]);
        Assert.Equal(3, (int)m["options"]!["epochs"]!);
        Assert.Equal(RunFolder.Sha256File(data), (string?)m["data"]!["train"]!["sha256"]);
        Assert.Equal("ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356", (string?)m["data"]!["train"]!["sha256"]); // sha256("{}\n")
        Assert.Equal("abc", (string?)m["model"]!["sha256"]);
        Assert.Equal(9, (long)m["resolved"]!["total_steps"]!);
        Assert.False(string.IsNullOrEmpty((string?)m["versions"]!["dotnet"]));
    }
}
