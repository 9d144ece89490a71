using Hone.Training.Improve;
using Hone.Training.Loop;
using Hone.Training.Sft;

namespace Hone.Training.Tests;

/// <summary>The run estimate's arithmetic from given step times and the plan's counts (no timing).</summary>
public class RunEstimateTests
{
    private static readonly TrainerOptions Options = new SftOptions { Epochs = 3 };

    private sealed class FixedScorer(int cases, int every) : ICheckpointScorer
    {
        public string Description => "fixed";
        public int Cases => cases;
        public CheckpointScore Score(string runFolder, int epoch, CancellationToken cancellationToken) => throw new NotSupportedException();
        public bool Scores(int epoch, int epochs) => epoch == epochs || epoch % every == 0;
    }

    [Fact]
    public void Plan_counts_steps_tokens_times_epochs_and_the_checkpoints_left_to_score()
    {
        var plan = RunPlan.Of("sft", TrainingPlan.For(Options, 10, 4), 10, 1000, new FixedScorer(20, 2));
        Assert.Equal(new RunPlan("sft", 3, 9, 9, 3, 10, 4, 3000, 2, 20), plan); // epochs 2 and 3 scored

        var resumed = RunPlan.Of("sft", TrainingPlan.For(Options, 10, 4), 10, null, null, startEpoch: 2, step: 6);
        Assert.Equal(new RunPlan("sft", 3, 9, 3, 1, 10, 4, null, 0, 0), resumed);
    }

    [Fact]
    public void Estimate_is_steps_times_the_steady_step_plus_measured_checkpoints_and_scorings()
    {
        var plan = new RunPlan("sft", 2, 100, 100, 2, 400, 4, null, 2, 20);
        double[] steps = [5.0, 3.0, 1.0, 1.5, 2.0]; // warm-up ones slow
        var early = RunEstimate.From(plan, steps, 1);
        Assert.Equal(StudyEstimate.SteadyStepSeconds(steps), early.StepSeconds);
        Assert.Equal(1.5, early.StepSeconds, 12);
        Assert.Equal(150, early.Seconds, 9); // checkpoints and scoring not measured yet: not counted
        Assert.Equal((1L, 5L), (early.FromStep, early.ToStep));
        Assert.Null(early.CheckpointSeconds);

        var measured = RunEstimate.From(plan, steps, 1, checkpointSeconds: 10, scoringSeconds: 30);
        Assert.Equal(150 + 2 * 10 + 2 * 30, measured.Seconds, 9);
    }

    [Fact]
    public void A_resumed_run_is_estimated_over_its_steps_left_from_the_step_it_resumed_at()
    {
        var plan = new RunPlan("dpo", 4, 40, 10, 1, 40, 4, 8000, 0, 0);
        var e = RunEstimate.From(plan, [2.0, 2.0, 2.0, 2.0, 2.0], 31, checkpointSeconds: 4, scoringSeconds: 99);
        Assert.Equal(10 * 2.0 + 4, e.Seconds, 9);
        Assert.Equal((31L, 35L, 10L), (e.FromStep, e.ToStep, e.Steps));
        Assert.Null(e.ScoringSeconds); // nothing to score
    }
}
