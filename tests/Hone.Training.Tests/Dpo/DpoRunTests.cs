using System.Text.Json;
using Hone.Store;
using Hone.Testing;
using Hone.Training.Analysis;
using Hone.Training.Dpo;
using Hone.Training.Objectives;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Tests.Dpo;

public class DpoRunTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    private static readonly (string Prompt, string Chosen, string Rejected)[] Pairs =
    [
        ("Name a pet.", "A cat.", "A rock."),
        ("What is the sky?", "Blue.", "Green."),
        ("Say hello.", "Hello!", "Go away."),
        ("Count to two.", "One, two.", "Seven."),
    ];

    internal static string WritePairs(string dir, string name, IEnumerable<(string Prompt, string Chosen, string Rejected)> pairs)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, pairs.Select(p => JsonSerializer.Serialize(new
        {
            input = new { messages = new[] { new { role = "user", content = p.Prompt } } },
            preferred_output = new[] { new { role = "assistant", content = p.Chosen } },
            non_preferred_output = new[] { new { role = "assistant", content = p.Rejected } },
        })));
        return path;
    }

    private static DpoRunOptions Options(string dir, SftOptions? sft = null) => new()
    {
        ModelPath = Stories,
        Template = "chatml",
        PairsFile = WritePairs(dir, "pairs.jsonl", Pairs),
        ValidFile = Path.Combine(dir, "pairs.jsonl"), // the same pairs: full_valid_* measures the tuned model on them
        Threads = 2,
        Trainer = new DpoOptions
        {
            Epochs = 6, BatchSize = 4, MicroBatchPairs = 2, LearningRateMultiplier = 25, EvalEvery = 2, WarmupRatio = 0, Seed = 3,
            Dpo = new DpoSettings(Beta: 0.5),
        },
        SftStage = sft,
        Lora = new() { Rank = 4, Alpha = 8, TargetModules = ["all-linear"], Seed = 1 },
    };

    [Fact]
    public void Lora_dpo_raises_reward_accuracy_to_one_on_a_handful_of_pairs_and_writes_metrics_csv_checkpoints()
    {
        var dir = TestAssets.NewTempDir();
        using var store = RunStore.Open(Path.Combine(dir, "hone.db"));
        var run = Path.Combine(dir, "run");
        var r = DpoRun.Start(Options(dir), run, store);
        using (r.Model)
        {
            var h = r.Result.History;
            Assert.Equal(6, h.Count);
            Assert.Equal(0.0, h[0].Train.RewardMargin, 4); // step 1: the policy is the reference (LoRA B = 0)
            Assert.Equal(0.0, h[0].Train.RewardAccuracy);
            var full = r.Result.EpochHistory[^1].FullValid;
            Assert.Equal(1.0, full.RewardAccuracy);
            Assert.True(full.RewardMargin > 0.5, $"margin {full.RewardMargin}");
            Assert.True(full.Loss < Math.Log(2) - 0.1, $"loss {full.Loss}");
            var plots = AnalysisTests.Plots(TrainingChart.Build("DPO curves", DpoReport.Panels(h, r.Result.EpochHistory)));
            Assert.Equal(3, plots.Length);
            var loss = AnalysisTests.Lines(plots[0]);
            Assert.Equal(h.Count, loss["train"]);
            Assert.Equal(h.Count(x => x.Valid is not null), loss.GetValueOrDefault("valid"));
            Assert.Equal(r.Result.EpochHistory.Count, loss["full_valid"]);
        }

        Assert.True(File.Exists(Path.Combine(run, DpoTrainer.ReferenceFile)));
        Assert.True(File.Exists(Path.Combine(run, "chart.svg")));
        Assert.Equal((640, 720), AnalysisTests.PngSize(Path.Combine(run, "chart.png"))); // loss, reward accuracy, reward margin
        var csv = File.ReadAllLines(Path.Combine(run, "results.csv"));
        Assert.Equal(DpoReport.CsvHeader, csv[0]);
        Assert.Equal(7, csv.Length);
        Assert.Equal(3, Checkpoints.List(Path.Combine(run, "checkpoints")).Count);
        var names = store.GetMetricNames(r.RunId!);
        foreach (var n in new[] { "train_loss", "rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies",
                     "valid_loss", "valid_rewards/accuracies", "full_valid_loss", "full_valid_rewards/accuracies" })
            Assert.Contains(n, names);

        // Resume: a finished run has nothing left; an interrupted one (newest checkpoints removed) ends where it would have.
        var finalMargin = r.Result.History[^1].Train.RewardMargin;
        foreach (var c in Checkpoints.List(Path.Combine(run, "checkpoints")).Skip(1)) Directory.Delete(c, true);
        var resumed = DpoRun.Resume(run);
        using (resumed.Model)
        {
            Assert.Equal(4, resumed.Result.ResumedFromEpoch);
            Assert.Equal(6, resumed.Result.History.Count);
            Assert.Equal(finalMargin, resumed.Result.History[^1].Train.RewardMargin, 9);
        }
    }

    [Fact]
    public void Sft_then_dpo_runs_two_stages_in_one_run()
    {
        var dir = TestAssets.NewTempDir();
        var run = Path.Combine(dir, "run");
        var sft = new SftOptions { Epochs = 2, BatchSize = 4, MicroBatchSize = 4, LearningRateMultiplier = 25, EvalEvery = 0, WarmupRatio = 0 };
        var r = DpoRun.Start(Options(dir, sft), run);
        using (r.Model)
        {
            Assert.NotNull(r.Sft);
            Assert.True(r.Sft!.History[^1].TrainLoss < r.Sft.History[0].TrainLoss);
            Assert.Equal(0.0, r.Result.History[0].Train.RewardMargin, 4); // the DPO reference is the SFT model
            Assert.Equal(1.0, r.Result.EpochHistory[^1].FullValid.RewardAccuracy);
        }
        Assert.True(File.Exists(Path.Combine(run, "sft", "results.csv")));
        Assert.True(File.Exists(Path.Combine(run, "dpo", "run.json")));
        Assert.Single(Checkpoints.List(Path.Combine(run, "sft", "checkpoints")).TakeLast(1));
        Assert.Equal(3, Checkpoints.List(Path.Combine(run, "dpo", "checkpoints")).Count);
        using var again = DpoRun.Resume(run).Model; // both stages resume from their last checkpoints
    }

    [Fact]
    public void Bad_pair_files_give_findings_with_the_line()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "bad.jsonl");
        var good = File.ReadAllLines(WritePairs(dir, "good.jsonl", Pairs.Take(1)))[0];
        File.WriteAllLines(path,
        [
            good,
            "{\"input\": {\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}, \"preferred_output\": [{\"role\": \"assistant\", \"content\": \"x\"}]",
            "{\"input\": {\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}, \"preferred_output\": [{\"role\": \"assistant\", \"content\": \"same\"}], \"non_preferred_output\": [{\"role\": \"assistant\", \"content\": \"same\"}]}",
        ]);
        var e = Assert.Throws<TrainingException>(() => DpoRun.Start(Options(dir) with { PairsFile = path }, Path.Combine(dir, "run")));
        Assert.Contains("bad.jsonl:2", e.Message, StringComparison.Ordinal);
        Assert.Contains("bad.jsonl:3", e.Message, StringComparison.Ordinal);
        Assert.Contains("identical", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("bad.jsonl:1:", e.Message, StringComparison.Ordinal);

        Assert.Throws<TrainingException>(() => new DpoOptions { Dpo = new DpoSettings(Beta: 0) }.Validate());
        Assert.Throws<TrainingException>(() => DpoOptions.FromJson("{\"epochs\": 2, \"nope\": 1}"));
        var roundTrip = DpoOptions.FromJson(new DpoOptions { Epochs = 2, Dpo = new DpoSettings(0.3, DpoLossKind.Ipo, 0.5) }.ToJson());
        Assert.Equal(new DpoSettings(0.3, DpoLossKind.Ipo, 0.5), roundTrip.Dpo);
        Assert.Equal(2, roundTrip.Epochs);
    }
}
