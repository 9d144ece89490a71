using System.Diagnostics;
using System.Text.Json;
using Hone.Evals.Tests.Providers;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>
/// <c>hone eval</c> against an OpenAI-compatible endpoint on 127.0.0.1 (a scripted HTTP server): a 429 with Retry-After is
/// retried after the delay it names, the spec's price gives each call's cost from the reported usage, and a second run
/// is answered from the run store's cache with no request, no call and no cost.
/// </summary>
public sealed class EvalEndpointTests
{
    [Fact]
    public void Eval_retries_a_429_after_its_Retry_After_counts_cost_and_a_second_run_is_all_cache()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        using var server = new FakeOpenAiServer();
        server.Enqueue(429, """{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}""", ("Retry-After", "3")); // longer than the backoff of its own (1 s, jittered)
        for (int i = 0; i < 3; i++) server.Enqueue(200, FakeOpenAiServer.Completion("positive", prompt: 100, completion: 10));
        File.WriteAllText(Path.Combine(dir, "hone.yaml"), $"task: t\nproviders:\n  ep:\n    base_url: {server.BaseUrl}\n");
        File.WriteAllLines(Path.Combine(dir, "evals", "golden.jsonl"),
            ["""{"id":"a","text":"great","label":"positive"}""", """{"id":"b","text":"fine","label":"positive"}""", """{"id":"c","text":"awful","label":"negative"}"""]);
        File.WriteAllText(Path.Combine(dir, "evals", "sentiment.yaml"), """
            golden_set: golden.jsonl
            prompt:
              system: Answer positive or negative.
              template: "{{item.text}}"
            graders:
              - type: string_check
                name: label
                input: "{{sample.output_text}}"
                reference: "{{item.label}}"
                operation: eq
            temperature: 0
            concurrency: 1
            price: {input_per_1m: 2.0, output_per_1m: 8.0}
            """);

        var first = CliRunner.Run(dir, "eval", "sentiment", "--model", "ep:m", "--json");
        Assert.True(first.ExitCode == 0, first.Stderr + first.Stdout);
        Assert.Equal(4, server.Requests.Count); // the 429, then one answer per case
        var wait = Stopwatch.GetElapsedTime(server.Arrivals[0], server.Arrivals[1]);
        Assert.True(wait >= TimeSpan.FromMilliseconds(2950), $"retried {wait.TotalMilliseconds} ms after a 429 with Retry-After: 3");
        var run = first.Json.GetProperty("runs")[0];
        Assert.Equal(3, run.GetProperty("model_calls").GetInt64());
        var summary = run.GetProperty("summary");
        Assert.Equal(0, summary.GetProperty("model_errors").GetInt32());
        Assert.Equal(2, summary.GetProperty("passed").GetInt32());
        Assert.Equal(300, summary.GetProperty("input_tokens").GetInt64());
        Assert.Equal(30, summary.GetProperty("output_tokens").GetInt64());
        Assert.Equal(3 * (2.0m * 100 + 8.0m * 10) / 1_000_000m, summary.GetProperty("cost_usd").GetDecimal());
        Assert.Equal(0, summary.GetProperty("cache_hits").GetInt32());

        var again = CliRunner.Run(dir, "eval", "sentiment", "--model", "ep:m", "--fresh", "--json");
        Assert.True(again.ExitCode == 0, again.Stderr + again.Stdout);
        Assert.Equal(4, server.Requests.Count);
        var cached = again.Json.GetProperty("runs")[0];
        Assert.Equal(0, cached.GetProperty("model_calls").GetInt64());
        Assert.Equal(3, cached.GetProperty("summary").GetProperty("cache_hits").GetInt32());
        Assert.Equal(2, cached.GetProperty("summary").GetProperty("passed").GetInt32());
        Assert.Equal(0m, cached.GetProperty("summary").GetProperty("cost_usd").GetDecimal());
    }
}
