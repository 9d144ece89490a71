using System.Text.Json;
using Hone.Testing;
using Hone.Training.Improve;
using Hone.Training.Loop;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Tests;

/// <summary>
/// <c>hone scale</c> and <c>hone sweep</c> killed in the middle of a trial's training (cancellation between steps, as
/// Ctrl+C or a kill leaves it: the trial's epoch checkpoint on disk, nothing recorded in study.json): the same study
/// again reuses the finished trials, resumes the interrupted one from its checkpoint, and ends with the scores an
/// uninterrupted study gives.
/// </summary>
public sealed class StudyResumeTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    /// <summary>Scores a trial by its folder name's length and epoch (deterministic), counting the calls.</summary>
    private sealed class NameScorer : ICheckpointScorer
    {
        public List<string> Scored { get; } = [];

        public string Description => "golden set of names";

        public CheckpointScore Score(string runFolder, int epoch, CancellationToken cancellationToken)
        {
            Assert.True(Directory.Exists(Path.Combine(runFolder, "checkpoints", $"epoch-{epoch:D4}")), $"{runFolder}: no checkpoint of epoch {epoch}");
            Scored.Add(Path.GetFileName(runFolder));
            double v = (Path.GetFileName(runFolder).Length % 7 + epoch) / 10.0;
            return new CheckpointScore(v, v / 2, Math.Min(1, v * 1.5), 10);
        }
    }

    /// <summary>Cancels the token once the <paramref name="trial"/>-th trial (1-based) reports a training step of epoch 2.</summary>
    private sealed class KillDuring(int trial, CancellationTokenSource cts) : IProgress<TrainingProgress>
    {
        private int _trials;

        public List<(int Trial, int Epoch)> Steps { get; } = [];

        public void Report(TrainingProgress value)
        {
            if (value.Phase != "train") return;
            if (value.Step == 1) _trials++; // a fresh trial's first step
            Steps.Add((_trials, value.Epoch));
            if (_trials == trial && value.Epoch == 2) cts.Cancel();
        }
    }

    private static SftRunOptions Run(string dir)
    {
        var train = Path.Combine(dir, "train.jsonl");
        File.WriteAllLines(train, Enumerable.Range(0, 16).Select(i => JsonSerializer.Serialize(new
        {
            messages = new object[] { new { role = "user", content = $"Is {i} even?" }, new { role = "assistant", content = i % 2 == 0 ? "yes" : "no" } },
        })));
        return new SftRunOptions
        {
            ModelPath = Stories, Template = "chatml", TrainFile = train, Threads = 1,
            Trainer = new SftOptions { Epochs = 2, BatchSize = 4, EvalEvery = 0, Seed = 1, KeepCheckpoints = 1, LearningRateMultiplier = 5 },
            Lora = new() { Rank = 2, Alpha = 4, TargetModules = ["q_proj"], Seed = 1 },
        };
    }

    private static void Killed(Action<IProgress<TrainingProgress>, CancellationToken> study, int trial)
    {
        using var cts = new CancellationTokenSource();
        var kill = new KillDuring(trial, cts);
        Assert.ThrowsAny<OperationCanceledException>(() => study(kill, cts.Token));
        Assert.Contains((trial, 2), kill.Steps);
    }

    [Fact]
    public void A_scale_study_killed_during_a_rung_reuses_the_finished_rungs_and_resumes_that_one_from_its_checkpoint()
    {
        var dir = TestAssets.NewTempDir();
        var options = new ScaleOptions { Run = Run(dir), Sizes = [4, 8, 16], Seed = 3 };
        var folder = Path.Combine(dir, "scale");
        var first = new NameScorer();
        Killed((progress, ct) => ScaleStudy.Run(options, folder, first, null, null, progress, ct), trial: 2);
        Assert.Equal(["rung-000004"], first.Scored);
        var interrupted = Path.Combine(folder, "rung-000008");
        Assert.Equal(["epoch-0001"], Checkpoints.List(Path.Combine(interrupted, "checkpoints")).Select(Path.GetFileName));

        var again = new NameScorer();
        var steps = new List<(string Phase, int Epoch)>();
        var r = ScaleStudy.Run(options, folder, again, null, null, new Recorder(steps));
        Assert.Equal(["rung-000008", "rung-000016"], again.Scored);
        Assert.Equal([true, false, false], r.Rungs.Select(x => x.Trial.Reused));
        Assert.Equal(2, steps.First(s => s.Phase == "train").Epoch); // rung 8 went on from its epoch-1 checkpoint

        // The same scores and fit as an uninterrupted study.
        var whole = ScaleStudy.Run(options, Path.Combine(dir, "whole"), new NameScorer(), null);
        Assert.Equal(whole.Rungs.Select(x => x.Trial.Score.Value), r.Rungs.Select(x => x.Trial.Score.Value));
        Assert.Equal(whole.Fit.GainPerDoubling, r.Fit.GainPerDoubling);
        Assert.Equal(File.ReadAllText(Path.Combine(whole.Folder, "rung-000008", "results.csv")), File.ReadAllText(Path.Combine(interrupted, "results.csv")));
    }

    [Fact]
    public void A_scale_study_given_a_finished_run_on_all_the_data_adopts_it_as_the_largest_rung_and_trains_only_the_others()
    {
        var dir = TestAssets.NewTempDir();
        var options = new ScaleOptions { Run = Run(dir), Sizes = [8, 16], Seed = 3 };
        var fine = Path.Combine(dir, "fine-tune");
        var done = SftRun.Start(options.Run, fine, null, null, null, CancellationToken.None);
        done.Model.Dispose();

        var scorer = new NameScorer();
        var steps = new List<(string Phase, int Epoch)>();
        var r = ScaleStudy.Run(options, Path.Combine(dir, "adopting"), scorer, null, null, new Recorder(steps), default, () => new AdoptedRun(fine, 2, 12.5));
        Assert.Equal(["rung-000008", "fine-tune"], scorer.Scored); // the largest rung is the given run's final checkpoint, scored like a rung
        Assert.Equal(Path.GetFullPath(fine), r.Rungs[1].Trial.Folder);
        Assert.Equal((16, 2, 12.5), (r.Rungs[1].Trial.Examples, r.Rungs[1].Trial.Epochs, r.Rungs[1].Trial.TrainSeconds));
        Assert.False(Directory.Exists(Path.Combine(r.Folder, "rung-000016")));
        Assert.Equal(2 * 8 / 4, steps.Count(s => s.Phase == "train")); // only rung 8 trained: 2 epochs of 2 steps

        // Honest: the run adopted is the run the study would have trained (same data, settings and seed).
        var whole = ScaleStudy.Run(options, Path.Combine(dir, "whole"), new NameScorer(), null);
        Assert.Equal(File.ReadAllText(Path.Combine(whole.Folder, "rung-000016", "results.csv")), File.ReadAllText(Path.Combine(fine, "results.csv")));
        Assert.Equal(File.ReadAllText(Path.Combine(whole.Folder, "rung-000008", "results.csv")), File.ReadAllText(Path.Combine(r.Folder, "rung-000008", "results.csv")));
    }

    [Fact]
    public void A_sweep_killed_during_a_trial_reuses_the_finished_trials_and_resumes_that_one_from_its_checkpoint()
    {
        var dir = TestAssets.NewTempDir();
        var options = new SweepOptions { Run = Run(dir), Epochs = [2], LrMultipliers = [1, 4] };
        var folder = Path.Combine(dir, "sweep");
        static double NoTest(TrialResult a, TrialResult b) => 1.0;
        var first = new NameScorer();
        Killed((progress, ct) => SweepStudy.Run(options, folder, first, NoTest, null, null, null, progress, ct), trial: 2);
        Assert.Equal(["e2-lr1-r2"], first.Scored);

        var again = new NameScorer();
        var r = SweepStudy.Run(options, folder, again, NoTest, null);
        Assert.Equal(["e2-lr4-r2"], again.Scored);
        Assert.Equal(["reused", "scored"], r.Trials.Select(t => t.Status));
        var whole = SweepStudy.Run(options, Path.Combine(dir, "whole"), new NameScorer(), NoTest, null);
        Assert.Equal(File.ReadAllText(Path.Combine(whole.Folder, "e2-lr4-r2", "results.csv")), File.ReadAllText(Path.Combine(folder, "e2-lr4-r2", "results.csv")));
        Assert.Equal(whole.Winner!.Setting, r.Winner!.Setting);
    }

    [Fact]
    public void A_study_is_identified_by_its_judge_too_so_another_golden_set_never_reuses_its_scores()
    {
        var run = Run(TestAssets.NewTempDir());
        static string S(object o) => JsonSerializer.Serialize(o);
        var scale = new ScaleOptions { Run = run, Sizes = [4, 8], Judge = "a.yaml sha256:1+2" };
        Assert.NotEqual(S(ScaleStudy.Settings(scale)), S(ScaleStudy.Settings(scale with { Judge = "b.yaml sha256:3+4" })));
        Assert.DoesNotContain("\"judge\":", S(ScaleStudy.Settings(scale with { Judge = null })), StringComparison.Ordinal); // earlier studies keep their identity
        var sweep = new SweepOptions { Run = run, Epochs = [1], LrMultipliers = [1], Judge = "a.yaml sha256:1+2" };
        Assert.NotEqual(S(SweepStudy.Settings(sweep)), S(SweepStudy.Settings(sweep with { Judge = "b.yaml sha256:3+4" })));
        Assert.DoesNotContain("\"judge\":", S(SweepStudy.Settings(sweep with { Judge = null })), StringComparison.Ordinal);
    }

    private sealed class Recorder(List<(string Phase, int Epoch)> steps) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => steps.Add((value.Phase, value.Epoch));
    }
}
