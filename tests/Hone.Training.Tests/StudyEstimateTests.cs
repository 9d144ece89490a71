using Hone.Data.Cost;
using Hone.Training.Improve;

namespace Hone.Training.Tests;

/// <summary>
/// The study estimate is arithmetic over what the probe measured (a made-up probe here, no clock): per example per epoch,
/// per-run and per-epoch fixed costs, scoring per golden case with the checkpoint's load counted once per trial; and the
/// probe's examples spread over the data with its longest among them.
/// </summary>
public class StudyEstimateTests
{
    private static readonly StudyProbe Probe = new(SecondsPerExample: 0.05, MeanTokensPerExample: 100, RunOverheadSeconds: 2, EpochOverheadSeconds: 0.1,
        SecondsPerCase: 0.02, ScoreLoadSeconds: 0.5, BatchSize: 8, Steps: 6, Cases: 8, Seconds: 3);

    [Fact]
    public void The_estimate_is_the_probes_rates_times_the_trials_work()
    {
        PlannedTrial[] trials = [new(25, 10), new(50, 10)];
        var e = StudyEstimate.FromProbe(Probe, trials, goldenCases: 120);
        // 25 × 10 × 0.05 + 2 + 10 × 0.1 + 0.5 + 120 × 0.02 = 12.5 + 2 + 1 + 0.5 + 2.4; the second trains 25 s instead of 12.5 s.
        Assert.Equal(18.4 + 30.9, e.Seconds, 9);
        Assert.Equal(18.4, Probe.TrialSeconds(25, 10, 120), 9);
        Assert.Equal(750 * 100, e.TrainingTokens);
        Assert.Equal(100 / 0.05, e.TokensPerSecond, 9);
        Assert.Equal(2.5, e.OverheadSeconds, 9); // the run's fixed time and the checkpoint's load
        Assert.Equal(0.02, e.SecondsPerCase);
        Assert.Same(Probe, e.Probe);
        var price = PriceTable.Default.Find("gpt-4o-mini")!;
        Assert.Equal(Math.Round(75_000 * price.TrainingPer1M / 1_000_000m, 2), e.HostedUsd);
        Assert.Equal(0, StudyEstimate.FromProbe(Probe, [], 120).Seconds);
    }

    [Fact]
    public void Twice_the_golden_set_adds_its_scoring_time_only_and_not_a_second_load()
    {
        double one = Probe.TrialSeconds(10, 1, 100), two = Probe.TrialSeconds(10, 1, 200);
        Assert.Equal(100 * Probe.SecondsPerCase, two - one, 9);
    }

    [Fact]
    public void The_steady_step_is_the_fastest_window_after_the_warm_up_steps()
    {
        // Warm-up steps 1.8 and 0.8 are left out; windows of three: (0.5, 0.4, 0.3) 0.4, (0.4, 0.3, 0.3) 0.333…, (0.3, 0.3, 0.6) 0.4.
        Assert.Equal(1.0 / 3, StudyEstimate.SteadyStepSeconds([1.8, 0.8, 0.5, 0.4, 0.3, 0.3, 0.6]), 12);
        Assert.Equal(0.5, StudyEstimate.SteadyStepSeconds([2.0, 0.6, 0.4]), 12); // too few for a window: the mean after the first
        Assert.Equal(2.0, StudyEstimate.SteadyStepSeconds([2.0]));
        Assert.Throws<ArgumentException>(() => StudyEstimate.SteadyStepSeconds([]));
    }

    [Fact]
    public void The_probe_takes_examples_spread_over_the_data_and_the_longest_among_them()
    {
        int[] lengths = [5, 5, 5, 5, 5, 5, 5, 40, 5, 5];
        Assert.Equal([0, 2, 5, 7], StudyEstimate.Pick(lengths, 4)); // 0, 2, 5, 7 spread; 7 is the longest already
        Assert.Equal([0, 3, 9], StudyEstimate.Pick([1, 1, 1, 1, 1, 1, 1, 1, 1, 9], 3)); // 0, 3, 6 spread; the last gives way to the longest
        Assert.Equal(Enumerable.Range(0, 10), StudyEstimate.Pick(lengths, 50));
        Assert.Empty(StudyEstimate.Pick(lengths, 0));
    }
}
