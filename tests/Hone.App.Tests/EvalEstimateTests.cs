using Hone.App.Evals;
using Hone.Evals.Runs;
using Hone.Prompting.Evaluation;

namespace Hone.App.Tests;

/// <summary>
/// The estimate of <c>hone eval</c>: the arithmetic from counts and a probe's rates (a fake probe, no clock), and the
/// use case on the stories260K model: told before any call, alone on a dry run, less the samples an interrupted run keeps.
/// </summary>
public class EvalEstimateTests
{
    [Fact]
    public void Wall_time_of_a_local_model_is_its_tokens_at_the_probes_rates_and_resumed_samples_are_taken_off()
    {
        var model = new SpendEstimate(Calls: 10, InputTokens: 2_000, OutputTokens: 500, Usd: null, Seconds: 10);
        var judge = new SpendEstimate(Calls: 10, InputTokens: 4_000, OutputTokens: 160, Usd: 0.01m, Seconds: 10);
        var work = new EvalWorkload(Cases: 5, Repeats: 2, Reused: 0, model, judge, ModelGraders: 1, Graders: 2, Concurrency: 4);
        var probe = new LocalProbe(PrefillTokensPerSecond: 400, DecodeTokensPerSecond: 50, Seconds: 0.3);

        var e = EvalEstimator.Compute("local:m", work, "local model: no charge", probe);
        Assert.Equal((10, 0, 10L, 10L, 6_000L, 660L), (e.Samples, e.Reused, e.ModelCalls, e.GraderCalls, e.InputTokens, e.OutputTokens));
        Assert.Equal(2_000.0 / 400 + 500.0 / 50 + 10 * SpendEstimator.SecondsPerCall / 4, e.Seconds, 9); // 5 + 10 s of the model, 2.5 s of the judge
        Assert.Equal(0.01m, e.Usd);
        Assert.Contains("400 prompt tok/s, 50 generated tok/s", e.TimeSource, StringComparison.Ordinal);

        var resumed = EvalEstimator.Compute("local:m", work with { Reused = 6 }, "", probe); // 4 of 10 samples left
        Assert.Equal((6, 4L, 4L, 800L + 1_600L, 200L + 64L), (resumed.Reused, resumed.ModelCalls, resumed.GraderCalls, resumed.InputTokens, resumed.OutputTokens));
        Assert.Equal(800.0 / 400 + 200.0 / 50 + 4 * SpendEstimator.SecondsPerCall / 4, resumed.Seconds, 9);
        Assert.Equal(0.004m, resumed.Usd);

        var hosted = EvalEstimator.Compute("fake:m", work, "", probe: null);
        Assert.Equal(20 * SpendEstimator.SecondsPerCall / 4, hosted.Seconds, 9);
    }

    [Fact]
    public void The_probe_rates_come_from_a_one_token_call_and_a_longer_one()
    {
        var p = EvalEstimator.Rates((Seconds: 0.5, In: 100, Out: 1), (Seconds: 0.9, In: 100, Out: 9), 2.0)!;
        Assert.Equal((200.0, 8 / 0.4, 2.0), (p.PrefillTokensPerSecond, p.DecodeTokensPerSecond, p.Seconds));
        var stopped = EvalEstimator.Rates((0.5, 100, 1), (0.5, 100, 1), 1.0)!; // the model stopped at once: a generated token costs a prompt token
        Assert.Equal(200.0, stopped.DecodeTokensPerSecond);
        Assert.Null(EvalEstimator.Rates((0, 100, 1), (0.5, 100, 9), 1.0));
    }

    [Fact]
    public async Task A_dry_run_probes_the_local_model_records_nothing_and_counts_the_samples_an_interrupted_run_keeps()
    {
        var ws = EvalUseCaseTests.WithSpec("estimate");
        IReadOnlyList<EvalEstimate>? told = null;
        var dry = await EvalRun.RunAsync(EvalUseCaseTests.Request(ws) with { DryRun = true }, null, e => told = e);
        Assert.True(dry.DryRun);
        Assert.Empty(dry.Runs);
        var e = Assert.Single(dry.Estimates);
        Assert.Same(dry.Estimates, told);
        Assert.Equal((3, 3L, 0L, 12L, 0, (decimal?)null), (e.Samples, e.ModelCalls, e.GraderCalls, e.OutputTokens, e.Reused, e.Usd)); // max_tokens 4 × 3
        Assert.NotNull(e.Probe);
        Assert.True(e.Seconds > 0);
        using (var store = ws.OpenStore())
            Assert.Empty(store.ListRuns(EvalRunner.Kind, 10));

        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            EvalRun.RunAsync(EvalUseCaseTests.Request(ws) with { Concurrency = 1 }, new CancelAfterFirst(cts), null, cts.Token));
        var again = await EvalRun.RunAsync(EvalUseCaseTests.Request(ws) with { Concurrency = 1, DryRun = true });
        var left = Assert.Single(again.Estimates);
        Assert.Equal((1, 2L, 8L), (left.Reused, left.ModelCalls, left.OutputTokens));
        var resumed = await EvalRun.RunAsync(EvalUseCaseTests.Request(ws) with { Concurrency = 1 });
        Assert.Equal(1, resumed.Runs[0].Reused);
        Assert.Equal(1, resumed.Estimates[0].Reused);
    }

    /// <summary>Cancels the run once its first sample is done.</summary>
    private sealed class CancelAfterFirst(CancellationTokenSource cts) : IPhaseProgress, IProgress<EvalProgress>
    {
        public T Train<T>(string what, Func<IProgress<Hone.Training.Runs.TrainingProgress>, T> work) => work(new Progress<Hone.Training.Runs.TrainingProgress>());

        public Task<T> EvalAsync<T>(string what, Func<IProgress<EvalProgress>?, Task<T>> work) => work(this);

        public void Report(EvalProgress value)
        {
            if (value.Done >= 1) cts.Cancel();
        }
    }
}
