using System.Text.Json;
using Hone.Store;
using Hone.Testing;
using Hone.Training.Analysis;
using Hone.Training.Export;
using Hone.Training.Loop;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Tests;

/// <summary>Scores by epoch from a table; records what it was asked, and that the checkpoint was on disk.</summary>
internal sealed class ScriptedCheckpointScorer(IReadOnlyDictionary<int, double> scores, int? failAt = null) : ICheckpointScorer
{
    public List<int> Asked { get; } = [];

    public string Description => "golden set of scripted";

    public CheckpointScore Score(string runFolder, int epoch, CancellationToken cancellationToken)
    {
        Assert.True(Directory.Exists(Path.Combine(runFolder, "checkpoints", $"epoch-{epoch:D4}")), $"checkpoint of epoch {epoch} not on disk");
        if (epoch == failAt) throw new OperationCanceledException("killed while scoring");
        Asked.Add(epoch);
        var v = scores[epoch];
        return new CheckpointScore(v, v - 0.1, Math.Min(1, v + 0.1), 10);
    }
}

/// <summary>
/// A golden-set scorer at each checkpoint (<c>--eval-spec</c>), scripted: the score goes into results.csv, the run store
/// and the checkpoint; the best checkpoint is kept beside the newest, named in best.json and the diagnosis, taken by
/// export and run: models by default; a run killed while scoring re-scores that checkpoint on resume.
/// </summary>
public sealed class CheckpointScoringTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    private static SftRunOptions Options(string dir, ICheckpointScorer scorer)
    {
        var train = Path.Combine(dir, "train.jsonl");
        File.WriteAllLines(train, Enumerable.Range(0, 8).Select(i => JsonSerializer.Serialize(new
        {
            messages = new object[] { new { role = "user", content = $"Is {i} even?" }, new { role = "assistant", content = i % 2 == 0 ? "yes" : "no" } },
        })));
        var spec = Path.Combine(dir, "spec.yaml");
        File.WriteAllText(spec, "# recorded in run.json only\n");
        return new SftRunOptions
        {
            ModelPath = Stories, Template = "chatml", TrainFile = train, Threads = 1, EvalSpec = spec, Scorer = scorer,
            Trainer = new SftOptions { Epochs = 4, BatchSize = 4, EvalEvery = 0, Seed = 1, KeepCheckpoints = 1, LearningRateMultiplier = 5 },
            Lora = new() { Rank = 2, Alpha = 4, TargetModules = ["q_proj"], Seed = 1 },
        };
    }

    private static readonly Dictionary<int, double> Scores = new() { [1] = 0.5, [2] = 0.9, [3] = 0.3, [4] = 0.4 };

    [Fact]
    public void Each_checkpoint_is_scored_and_the_best_is_kept_named_and_taken_by_default()
    {
        var dir = TestAssets.NewTempDir();
        using var store = RunStore.Open(Path.Combine(dir, "hone.db"));
        var scorer = new ScriptedCheckpointScorer(Scores);
        var folder = Path.Combine(dir, "run");
        var r = SftRun.Start(Options(dir, scorer), folder, store);
        r.Model.Dispose();

        Assert.Equal([1, 2, 3, 4], scorer.Asked);
        var csv = File.ReadAllLines(Path.Combine(folder, "results.csv"));
        Assert.EndsWith(",golden_accuracy", csv[0], StringComparison.Ordinal);
        Assert.Equal(["", "0.5", "", "0.9", "", "0.3", "", "0.4"], csv.Skip(1).Select(l => l.Split(',')[^1]));
        Assert.Equal([(2L, 0.5), (4L, 0.9), (6L, 0.3), (8L, 0.4)], store.GetMetric(r.RunId!, MetricNames.GoldenAccuracy));

        // keep 1: the newest (epoch 4) and the best (epoch 2).
        Assert.Equal(["epoch-0002", "epoch-0004"], Checkpoints.List(Path.Combine(folder, "checkpoints")).Select(Path.GetFileName));
        var best = BestCheckpoint.Read(folder)!;
        Assert.Equal((2, 0.9, MetricNames.GoldenAccuracy), (best.Epoch, best.Value, best.Metric));
        Assert.Equal(best, r.Result.Best);
        Assert.Equal([0.5, 0.9, 0.3, 0.4], r.Result.GoldenScores.Select(g => g.Accuracy));
        var finding = Assert.Single(r.Result.Findings, f => f.Kind == CurveFindingKind.BestCheckpoint);
        Assert.StartsWith("epoch 2 of 4 scored best on the golden set of scripted: 90.0%", finding.Message, StringComparison.Ordinal);

        var chosen = TrainedRun.Open(folder, null, preferBest: true);
        Assert.Equal((2, "best by golden_accuracy"), (chosen.Epoch, chosen.ChosenBy));
        Assert.Equal(4, TrainedRun.Open(folder).Epoch);
        Assert.Equal(4, RunChatClient.Open(folder, -1).Epoch);
        Assert.Equal(2, RunChatClient.Open(folder, null).Epoch);
        var export = Exporter.Export(folder, new ExportOptions { Format = ExportFormat.Adapter });
        Assert.Equal((2, "best by golden_accuracy"), (export.Epoch, export.ChosenBy));
        var latest = Exporter.Export(folder, new ExportOptions { Format = ExportFormat.Adapter, Latest = true, Output = Path.Combine(dir, "latest") });
        Assert.Equal(4, latest.Epoch);

        // run:RUN@EPOCH clients: the trained weights applied in process, one content address per checkpoint.
        using var two = RunChatClient.Load(folder, 2);
        using var four = RunChatClient.Load(folder, -1);
        Assert.Equal(("run:run@2", "run:run@4"), (two.ModelId, four.ModelId));
        Assert.NotEqual(two.ContentAddress, four.ContentAddress);
    }

    [Fact]
    public void A_run_killed_while_scoring_scores_that_checkpoint_on_resume_and_ends_as_an_unbroken_run()
    {
        var dir = TestAssets.NewTempDir();
        var folder = Path.Combine(dir, "run");
        var killed = new ScriptedCheckpointScorer(Scores, failAt: 3);
        Assert.Throws<OperationCanceledException>(() => SftRun.Start(Options(dir, killed), folder));
        Assert.Equal([1, 2], killed.Asked);
        Assert.Equal(2, BestCheckpoint.Read(folder)!.Epoch);

        var again = new ScriptedCheckpointScorer(Scores);
        var r = SftRun.Resume(folder, null, null, null, spec => { Assert.EndsWith("spec.yaml", spec, StringComparison.Ordinal); return again; });
        r.Model.Dispose();
        Assert.Equal([3, 4], again.Asked);
        Assert.Equal(3, r.Result.ResumedFromEpoch);
        Assert.Equal([0.5, 0.9, 0.3, 0.4], r.Result.GoldenScores.Select(g => g.Accuracy));
        Assert.Equal(["epoch-0002", "epoch-0004"], Checkpoints.List(Path.Combine(folder, "checkpoints")).Select(Path.GetFileName));
    }

    [Fact]
    public void A_scorer_may_score_every_nth_checkpoint_and_the_last_and_the_unscored_ones_are_pruned()
    {
        var dir = TestAssets.NewTempDir();
        var folder = Path.Combine(dir, "run");
        var scripted = new ScriptedCheckpointScorer(new Dictionary<int, double> { [3] = 0.9, [4] = 0.4 });
        var scorer = new EveryNthEpochScorer(scripted, 3);
        Assert.Equal([false, false, true, true], Enumerable.Range(1, 4).Select(e => scorer.Scores(e, 4)));
        Assert.Equal([10, 20, 30], Enumerable.Range(1, 30).Where(e => EveryNthEpochScorer.Spread(scripted, 30, 3).Scores(e, 30)));
        Assert.Equal([1, 2], Enumerable.Range(1, 2).Where(e => EveryNthEpochScorer.Spread(scripted, 2, 3).Scores(e, 2)));
        var r = SftRun.Start(Options(dir, scorer), folder);
        r.Model.Dispose();
        Assert.Equal([3, 4], scripted.Asked);
        Assert.Equal([(3, 0.9), (4, 0.4)], r.Result.GoldenScores.Select(g => (g.Epoch, g.Accuracy)));
        Assert.Equal(3, r.Result.Best!.Epoch);
        Assert.Equal(["epoch-0003", "epoch-0004"], Checkpoints.List(Path.Combine(folder, "checkpoints")).Select(Path.GetFileName));
        var csv = File.ReadAllLines(Path.Combine(folder, "results.csv"));
        Assert.Equal(["", "", "", "", "", "0.9", "", "0.4"], csv.Skip(1).Select(l => l.Split(',')[^1]));
    }

    [Theory]
    [InlineData("runs/a", "runs/a", null)]
    [InlineData("runs/a@3", "runs/a", 3)]
    [InlineData("runs/a@best", "runs/a", null)]
    [InlineData("runs/a@last", "runs/a", -1)]
    [InlineData("me@host/run@2", "me@host/run", 2)]
    public void Run_references_name_the_folder_and_the_epoch(string reference, string run, int? epoch) =>
        Assert.Equal((run, epoch), RunChatClient.Parse(reference));

    [Theory]
    [InlineData("runs/a@0")]
    [InlineData("runs/a@x")]
    [InlineData("runs/a@")]
    public void A_bad_epoch_is_a_clear_error(string reference) =>
        Assert.Contains("after '@' give an epoch number", Assert.Throws<TrainingException>(() => RunChatClient.Parse(reference)).Message, StringComparison.Ordinal);
}
