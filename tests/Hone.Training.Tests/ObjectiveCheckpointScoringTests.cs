using Hone.Store;
using Hone.Testing;
using Hone.Training.Analysis;
using Hone.Training.Dpo;
using Hone.Training.Export;
using Hone.Training.Loop;
using Hone.Training.Rft;
using Hone.Training.Runs;
using Hone.Training.Tests.Golden;

namespace Hone.Training.Tests;

/// <summary>
/// <c>--eval-spec</c> for DPO, SFT-then-DPO and RFT runs: the one training loop scores each epoch's checkpoint with the
/// same scorer as SFT (golden_accuracy in results.csv and the run store, best.json, the best checkpoint kept beside the
/// newest, a diagnosis finding naming it, export taking it by default); killed while scoring, the run resumes and scores
/// that checkpoint again. A DPO run without a validation set has epochs that hold only their score.
/// </summary>
public sealed class ObjectiveCheckpointScoringTests
{
    private static readonly Dictionary<int, double> Scores = new() { [1] = 0.5, [2] = 0.9, [3] = 0.3 };

    private static RunOptions Options(string name, string dir, ICheckpointScorer scorer)
    {
        var spec = Path.Combine(dir, "spec.yaml");
        File.WriteAllText(spec, "# recorded in run.json only\n");
        return GoldenRuns.Options(name, dir) switch
        {
            DpoRunOptions d => d with
            {
                Trainer = d.Trainer with { Epochs = 3, KeepCheckpoints = 1 }, EvalSpec = spec, Scorer = scorer,
                ValidFile = d.SftStage is null ? null : d.ValidFile, // plain DPO: no validation set, epochs hold only the score
            },
            RftRunOptions r => r with { Trainer = r.Trainer with { Epochs = 3, KeepCheckpoints = 1 }, EvalSpec = spec, Scorer = scorer },
            var other => throw new ArgumentException($"not a DPO or RFT case: {other}", nameof(name)),
        };
    }

    private static (BestCheckpoint? Best, IReadOnlyList<GoldenScore> Scores, IReadOnlyList<CurveFinding> Findings, int ResumedFrom) Start(
        RunOptions o, string run, RunStore store)
    {
        switch (o)
        {
            case DpoRunOptions d:
                var dpo = DpoRun.Start(d, run, store);
                dpo.Model.Dispose();
                return (dpo.Result.Best, dpo.Result.GoldenScores, dpo.Result.Findings, dpo.Result.ResumedFromEpoch);
            default:
                var rft = RftRun.Start((RftRunOptions)o, _ => new GoldenRuns.LettersReward(), run, store);
                return (rft.Result.Best, rft.Result.GoldenScores, rft.Result.Diagnosis, rft.Result.ResumedFromEpoch);
        }
    }

    private static (BestCheckpoint? Best, IReadOnlyList<GoldenScore> Scores, IReadOnlyList<CurveFinding> Findings, int ResumedFrom) Resume(
        string name, string run, RunStore store, Func<string, ICheckpointScorer> scorerFor)
    {
        if (name.Contains("dpo", StringComparison.Ordinal))
        {
            var dpo = DpoRun.Resume(run, store, null, null, scorerFor);
            dpo.Model.Dispose();
            return (dpo.Result.Best, dpo.Result.GoldenScores, dpo.Result.Findings, dpo.Result.ResumedFromEpoch);
        }
        var rft = RftRun.Resume(run, _ => new GoldenRuns.LettersReward(), store, null, null, scorerFor);
        return (rft.Result.Best, rft.Result.GoldenScores, rft.Result.Diagnosis, rft.Result.ResumedFromEpoch);
    }

    [Theory]
    [InlineData("dpo-lora")]
    [InlineData("sft-then-dpo-full")]
    [InlineData("rft-lora")]
    public void Each_checkpoint_is_scored_the_best_is_kept_and_named_and_a_run_killed_while_scoring_resumes(string name)
    {
        var dir = TestAssets.NewTempDir();
        using var store = RunStore.Open(Path.Combine(dir, "hone.db"));
        var run = Path.Combine(dir, "run");
        var scored = name.StartsWith("sft-then", StringComparison.Ordinal) ? Path.Combine(run, "dpo") : run; // the DPO stage is scored

        var killed = new ScriptedCheckpointScorer(Scores, failAt: 3);
        Assert.Throws<OperationCanceledException>(() => Start(Options(name, dir, killed), run, store));
        Assert.Equal([1, 2], killed.Asked);
        Assert.Equal(2, BestCheckpoint.Read(scored)!.Epoch);

        var again = new ScriptedCheckpointScorer(Scores);
        var r = Resume(name, run, store, spec => { Assert.EndsWith("spec.yaml", spec, StringComparison.Ordinal); return again; });
        Assert.Equal([3], again.Asked);
        Assert.Equal(3, r.ResumedFrom);
        Assert.Equal([0.5, 0.9, 0.3], r.Scores.Select(g => g.Accuracy));
        Assert.Equal((2, 0.9), (r.Best!.Epoch, r.Best.Value));
        var finding = Assert.Single(r.Findings, f => f.Kind == CurveFindingKind.BestCheckpoint);
        Assert.StartsWith("epoch 2 of 3 scored best on the golden set of scripted: 90.0%", finding.Message, StringComparison.Ordinal);

        var csv = File.ReadAllLines(Path.Combine(scored, "results.csv"));
        var column = Array.IndexOf(csv[0].Split(','), MetricNames.GoldenAccuracy);
        Assert.True(column > 0, csv[0]);
        Assert.Equal(["0.5", "0.9", "0.3"], csv.Skip(1).Select(l => l.Split(',')[column]).Where(v => v.Length > 0));
        var runId = store.ListRuns().Single().Id;
        Assert.Equal([0.5, 0.9, 0.3], store.GetMetric(runId, MetricNames.GoldenAccuracy).Select(m => m.Value));

        // keep 1: the newest (epoch 3) and the best (epoch 2); export and run: clients take the best by default.
        Assert.Equal(["epoch-0002", "epoch-0003"], Checkpoints.List(Path.Combine(scored, "checkpoints")).Select(Path.GetFileName));
        Assert.Equal((2, "best by golden_accuracy"), (TrainedRun.Open(scored, null, preferBest: true).Epoch, TrainedRun.Open(scored, null, preferBest: true).ChosenBy));
        Assert.Equal(3, RunChatClient.Open(scored, -1).Epoch);
    }
}
