using System.Text.Json;
using Hone.Models.Chat;
using Hone.Server;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Cli.Tests;

/// <summary>
/// Issue 6, first acceptance line: the same spec run against stories260K in-process (<c>local:PATH</c>) and through
/// <c>hone serve</c>'s server (started here on 127.0.0.1 over a <see cref="LocalChatClient"/> of the same model) with the
/// OpenAI-compatible provider of hone.yaml gives identical outputs and grades per case; a second run of the spec is
/// served from the run store's cache with zero new model calls (counted at the model behind the server).
/// Greedy decoding (temperature 0) and a seed.
/// </summary>
public sealed class EvalAcceptanceTests
{
    private static readonly string Checkpoint = TestAssets.Path("models", "stories260K", "stories260K.bin"); // tok512.bin beside it

    private static readonly string[] Prompts = ["Once upon a time", "Lily went to the park", "The cat", "Tom had a big red ball", "One day, a little bird", "The sun"];

    [Fact]
    public async Task In_process_and_served_runs_grade_identically_and_a_second_run_is_all_cache()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        using var local = LocalChatClient.Load(Checkpoint, template: "chatml");
        using var counting = new CountingClient(local);
        await using var server = await HoneServer.StartAsync(counting, new ServerOptions { Port = 0 }, "stories260K");
        File.WriteAllText(Path.Combine(dir, "hone.yaml"), $"task: stories\nproviders:\n  served:\n    base_url: {new Uri(server.BaseAddress, "v1")}\n");
        // Half the cases expect a letter stories260K writes all the time, half a word it never does.
        File.WriteAllLines(Path.Combine(dir, "evals", "golden.jsonl"), Prompts.Select((p, i) =>
            JsonSerializer.Serialize(new { id = $"s{i}", prompt = p, expect = i % 2 == 0 ? "e" : "zebra" })));
        File.WriteAllText(Path.Combine(dir, "evals", "stories.yaml"), """
            golden_set: golden.jsonl
            prompt:
              system: You tell short stories.
              template: "{{item.prompt}}"
            graders:
              - type: regex
                name: word
                pattern: "\\b(the|a|was|and)\\b"
              - type: string_check
                name: expect
                input: "{{sample.output_text}}"
                reference: "{{item.expect}}"
                operation: ilike
            temperature: 0
            seed: 7
            max_tokens: 24
            concurrency: 2
            """);

        var inProcess = CliRunner.Run(dir, "eval", "stories", "--model", "local:" + Checkpoint, "--template", "chatml", "--json");
        Assert.True(inProcess.ExitCode == 0, inProcess.Stderr);
        Assert.Equal(0, counting.Calls);
        var served = CliRunner.Run(dir, "eval", "stories", "--model", "served:stories260K", "--json");
        Assert.True(served.ExitCode == 0, served.Stderr);
        Assert.Equal(Prompts.Length, counting.Calls);

        var a = Cases(dir, RunId(inProcess));
        var b = Cases(dir, RunId(served));
        Assert.Equal(Prompts.Length, a.Count);
        Assert.Equal(a.Keys, b.Keys);
        Assert.Contains(a.Values, x => x.Pass); // the grades say something: the "e" cases pass, the "zebra" cases fail
        Assert.Contains(a.Values, x => !x.Pass);
        foreach (var (id, ca) in a)
        {
            var cb = b[id];
            Assert.False(string.IsNullOrWhiteSpace(ca.Output), $"{id}: empty output");
            Assert.Equal(ca.Output, cb.Output);
            Assert.Equal(ca.Grades, cb.Grades);
            Assert.Equal(ca.Pass, cb.Pass);
        }

        // A second run of the same spec through the server: every response from the cache, no request reaches the model.
        var again = CliRunner.Run(dir, "eval", "stories", "--model", "served:stories260K", "--json");
        Assert.True(again.ExitCode == 0, again.Stderr);
        var run = again.Json.GetProperty("runs")[0];
        Assert.Equal(0, run.GetProperty("model_calls").GetInt64());
        Assert.Equal(Prompts.Length, run.GetProperty("summary").GetProperty("cache_hits").GetInt32());
        Assert.Equal(Prompts.Length, counting.Calls);
        var c = Cases(dir, RunId(again));
        Assert.All(a, kv => Assert.Equal((kv.Value.Output, kv.Value.Grades), (c[kv.Key].Output, c[kv.Key].Grades)));

        // And hone compare sees nothing fixed or regressed between the in-process and served runs.
        var cmp = CliRunner.Run(dir, "compare", RunId(inProcess), RunId(served), "--json");
        Assert.Equal(0, cmp.ExitCode);
        Assert.Empty(cmp.Json.GetProperty("fixed").EnumerateArray());
        Assert.Empty(cmp.Json.GetProperty("regressed").EnumerateArray());
        Assert.Equal(0, cmp.Json.GetProperty("difference").GetDouble());
    }

    private static string RunId(CliRunner.Result r) => r.Json.GetProperty("runs")[0].GetProperty("run_id").GetString()!;

    private sealed record Case(string Output, string Grades, bool Pass);

    /// <summary>Each case's output, its grades (grader, score, pass, error kind) as one string, and pass/fail.</summary>
    private static Dictionary<string, Case> Cases(string dir, string runId)
    {
        var show = CliRunner.Run(dir, "eval", "show", runId, "--json");
        Assert.True(show.ExitCode == 0, show.Stderr);
        return show.Json.GetProperty("cases").EnumerateArray().ToDictionary(
            x => x.GetProperty("case_id").GetString()!,
            x => new Case(x.GetProperty("output").GetString()!,
                string.Join("; ", x.GetProperty("grades").EnumerateArray().Select(g =>
                    $"{g.GetProperty("grader").GetString()}={g.GetProperty("score").GetDouble()}/{g.GetProperty("pass").GetBoolean()}/{(g.TryGetProperty("error_kind", out var k) ? k.GetString() : "-")}")),
                x.GetProperty("pass").GetBoolean()));
    }

    /// <summary>Counts the requests that reach the model behind the server.</summary>
    private sealed class CountingClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            return base.GetResponseAsync(messages, options, cancellationToken);
        }

        public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            return base.GetStreamingResponseAsync(messages, options, cancellationToken);
        }
    }
}
