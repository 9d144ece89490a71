using System.Text.Json;
using Hone.Evals.Compare;
using Hone.Evals.Runs;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Tests.Runs;

public class EvalRunnerTests
{
    // Right on every case except the two multiplications (a4, a5), which it gets wrong by one.
    private static CountingChatClient MostlyRight() => CountingChatClient.Text((q, _) =>
        q.Contains('*', StringComparison.Ordinal) ? (int.Parse(EvalFixture.Solve(q), System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : EvalFixture.Solve(q));

    [Fact]
    public async Task A_run_grades_every_case_and_records_it_in_the_store()
    {
        using var f = new EvalFixture();
        var client = MostlyRight();
        var result = await f.Runner.RunAsync(f.Options(), client);

        Assert.Equal(6, client.Calls);
        Assert.Equal(6, result.Summary.Cases);
        Assert.Equal(4, result.Summary.Passed);
        Assert.Equal(4 / 6.0, result.Summary.Accuracy, 12);
        var w = EvalStatistics.Wilson(4 / 6.0, 6);
        Assert.Equal(w.Low, result.Summary.AccuracyLow, 12);
        Assert.Equal(w.High, result.Summary.AccuracyHigh, 12);
        Assert.Equal(["a4", "a5"], result.Results.Where(r => !r.Pass).Select(r => r.CaseId));
        var a4 = result.Results.Single(r => r.CaseId == "a4");
        Assert.Equal("82", a4.Output);
        Assert.Equal(0, Assert.Single(a4.Grades).Score);
        Assert.Equal(10, a4.InputTokens);
        Assert.Equal(1.0 / 3, result.Summary.Tags.Single(t => t.Tag == "hard").Accuracy, 12);
        Assert.Equal(60, result.Summary.InputTokens);

        var run = f.Store.GetRun(result.Run.Id);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal("eval", run.Kind);
        Assert.Equal(4 / 6.0, f.Store.GetMetric(run.Id, "accuracy").Single().Value, 12);
        var lines = File.ReadAllLines(result.CasesPath);
        Assert.Equal(6, lines.Length);
        Assert.Equal("a1", JsonDocument.Parse(lines[0]).RootElement.GetProperty("case_id").GetString());
        Assert.Equal(result.CasesPath, f.Store.GetArtifacts(run.Id)[EvalRunner.CasesArtifact]);
        Assert.Equal("fake:m", f.Store.GetTags(run.Id)["eval.model"]);
    }

    [Fact]
    public async Task The_prompt_is_built_from_the_system_prompt_and_the_template()
    {
        using var f = new EvalFixture();
        var seen = new List<IReadOnlyList<ChatMessage>>();
        var client = new CountingChatClient((m, _, _, _) =>
        {
            lock (seen) seen.Add(m);
            return Task.FromResult(CountingChatClient.Reply(EvalFixture.Solve(m[^1].Text)));
        });
        await f.Runner.RunAsync(f.Options(concurrency: 1), client);
        var first = seen[0];
        Assert.Equal(2, first.Count);
        Assert.Equal(ChatRole.System, first[0].Role);
        Assert.Equal("Answer with the number only.", first[0].Text);
        Assert.Equal("What is 1+1?", first[1].Text);
    }

    [Fact]
    public async Task A_second_identical_run_is_served_from_the_cache_with_no_model_calls()
    {
        using var f = new EvalFixture();
        var first = await f.Runner.RunAsync(f.Options(), MostlyRight());
        var client = MostlyRight();
        var second = await f.Runner.RunAsync(f.Options(), client);
        Assert.Equal(0, client.Calls);
        Assert.NotEqual(first.Run.Id, second.Run.Id);
        Assert.Equal(6, second.Summary.CacheHits);
        Assert.Equal(first.Results.Select(r => r.Pass), second.Results.Select(r => r.Pass));
        Assert.Equal(first.Results.Select(r => r.Output), second.Results.Select(r => r.Output));
    }

    [Fact]
    public async Task A_cancelled_run_resumes_without_calling_the_model_again_for_finished_cases()
    {
        using var f = new EvalFixture();
        using var cts = new CancellationTokenSource();
        var stopping = new CountingChatClient(async (m, _, n, ct) =>
        {
            if (n == 4)
            {
                await cts.CancelAsync();
                await Task.Delay(Timeout.Infinite, ct);
            }
            return CountingChatClient.Reply(EvalFixture.Solve(m[^1].Text));
        });
        // No cache: only the journal can spare the finished cases.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => f.Runner.RunAsync(f.Options(concurrency: 1, cache: false), stopping, null, cts.Token));
        var cancelled = Assert.Single(f.Store.ListRuns("eval"));
        Assert.Equal(RunStatus.Cancelled, cancelled.Status);

        var client = CountingChatClient.Text((q, _) => EvalFixture.Solve(q));
        var resumed = await f.Runner.RunAsync(f.Options(concurrency: 1, cache: false), client);
        Assert.Equal(3, client.Calls); // 6 cases, 3 finished before the cancel
        Assert.Equal(3, resumed.Reused);
        Assert.Equal(cancelled.Id, resumed.Run.Id);
        Assert.Equal(6, resumed.Summary.Passed);
        Assert.Equal(["a1", "a2", "a3", "a4", "a5", "a6"], resumed.Results.Select(r => r.CaseId));
        Assert.Single(f.Store.ListRuns("eval"));
    }

    [Fact]
    public async Task Failed_model_calls_are_recorded_and_retried_alone_on_resume()
    {
        using var f = new EvalFixture();
        var flaky = CountingChatClient.Text((q, _) => q.Contains("7*8", StringComparison.Ordinal) ? throw new InvalidOperationException("boom") : EvalFixture.Solve(q));
        var first = await f.Runner.RunAsync(f.Options(cache: false), flaky);
        Assert.Equal(RunStatus.Failed, first.Run.Status);
        Assert.Equal(1, first.Summary.ModelErrors);
        Assert.Contains("boom", first.Results.Single(r => r.CaseId == "a5").Error, StringComparison.Ordinal);

        var client = CountingChatClient.Text((q, _) => EvalFixture.Solve(q));
        var second = await f.Runner.RunAsync(f.Options(cache: false), client);
        Assert.Equal(1, client.Calls);
        Assert.Equal(first.Run.Id, second.Run.Id);
        Assert.Equal(RunStatus.Succeeded, second.Run.Status);
        Assert.Equal(6, second.Summary.Passed);
    }

    [Fact]
    public async Task Repeats_give_pass_at_k_pass_hat_k_and_the_flaky_cases()
    {
        using var f = new EvalFixture();
        // a4 passes only on repeat 1 (seed 1); a5 never passes; the rest always pass.
        var client = CountingChatClient.Text((q, o) =>
            q.Contains("9*9", StringComparison.Ordinal) ? (o?.Seed == 1 ? "81" : "80")
            : q.Contains("7*8", StringComparison.Ordinal) ? "0" : EvalFixture.Solve(q));
        var r = await f.Runner.RunAsync(f.Options(repeats: 3), client);
        Assert.Equal(18, client.Calls); // repeats are distinct requests, not cache hits
        Assert.Equal(18, r.Summary.Samples);
        Assert.Equal(13, r.Summary.Passed);
        Assert.Equal(["a4"], r.Summary.FlakyCases);
        // pass@3: four cases always pass (1), a4 has c=1 of n=3 (1 − C(2,3)/C(3,3) = 1), a5 has c=0 (0): 5/6.
        Assert.Equal(5 / 6.0, r.Summary.PassAtK!.Value, 12);
        // pass^3: the four sure cases (1), a4 (C(1,3)/C(3,3) = 0), a5 (0): 4/6.
        Assert.Equal(4 / 6.0, r.Summary.PassHatK!.Value, 12);
        Assert.Equal(EvalStatistics.Wilson(13 / 18.0, 6).Low, r.Summary.AccuracyLow, 12);
    }

    [Fact]
    public async Task Limit_takes_the_first_cases()
    {
        using var f = new EvalFixture();
        var client = MostlyRight();
        var r = await f.Runner.RunAsync(f.Options() with { Limit = 2 }, client);
        Assert.Equal(2, client.Calls);
        Assert.Equal(["a1", "a2"], r.Results.Select(x => x.CaseId));
    }

    [Fact]
    public async Task Invalid_options_are_rejected_before_any_call()
    {
        using var f = new EvalFixture();
        var client = MostlyRight();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => f.Runner.RunAsync(f.Options(repeats: 0), client));
        Assert.Contains("--repeats", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, client.Calls);
    }
}
