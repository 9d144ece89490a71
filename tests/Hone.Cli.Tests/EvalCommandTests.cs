using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>
/// <c>hone eval</c> end to end against a loopback OpenAI-compatible endpoint whose answers the test computes from each
/// request (right on additions, wrong on multiplications unless told otherwise), so concurrency cannot reorder them.
/// </summary>
public sealed class EvalCommandTests : IDisposable
{
    private readonly AnsweringServer _server = new();

    public void Dispose() => _server.Dispose();

    private string Workspace()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        File.WriteAllText(Path.Combine(dir, "hone.yaml"), $"task: arith\nproviders:\n  fake:\n    base_url: {_server.BaseUrl}\n");
        File.WriteAllText(Path.Combine(dir, "evals", "golden.jsonl"), """
            {"id": "p1", "question": "1+1", "answer": "2", "tags": ["add"]}
            {"id": "p2", "question": "2+5", "answer": "7", "tags": ["add"]}
            {"id": "m1", "question": "3*3", "answer": "9", "tags": ["mul"]}
            {"id": "m2", "question": "4*6", "answer": "24", "tags": ["mul"]}
            """);
        File.WriteAllText(Path.Combine(dir, "evals", "arith.yaml"), """
            golden_set: golden.jsonl
            prompt:
              template: "{{item.question}}"
            model: fake:m
            graders:
              - type: string_check
                name: exact
                input: "{{sample.output_text}}"
                reference: "{{item.answer}}"
                operation: eq
            """);
        return dir;
    }

    [Fact]
    public void Eval_runs_the_spec_and_reports_accuracy_with_its_interval()
    {
        var dir = Workspace();
        var r = CliRunner.Run(dir, "eval", "arith", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var run = Assert.Single(r.Json.GetProperty("runs").EnumerateArray());
        var summary = run.GetProperty("summary");
        Assert.Equal(0.5, summary.GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(2, summary.GetProperty("passed").GetInt32());
        Assert.True(summary.GetProperty("accuracy_low").GetDouble() < 0.5);
        Assert.Equal(4, run.GetProperty("model_calls").GetInt64());
        Assert.Equal(4, _server.Requests);

        // Served from the cache the second time: no request reaches the endpoint.
        var again = CliRunner.Run(dir, "eval", "evals/arith.yaml", "--json");
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(4, _server.Requests);
        Assert.Equal(4, again.Json.GetProperty("runs")[0].GetProperty("summary").GetProperty("cache_hits").GetInt32());

        var show = CliRunner.Run(dir, "eval", "show", run.GetProperty("run_id").GetString()!, "--json");
        Assert.Equal(0, show.ExitCode);
        Assert.Equal(4, show.Json.GetProperty("cases").GetArrayLength());
        var human = CliRunner.Run(dir, "eval", "show", run.GetProperty("run_id").GetString()!);
        Assert.Contains("m2", human.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Baseline_compare_and_edge_cases_across_two_models()
    {
        var dir = Workspace();
        var a = CliRunner.Run(dir, "eval", "arith", "--model", "fake:bad-at-mul", "--json").Json.GetProperty("runs")[0].GetProperty("run_id").GetString()!;
        _server.MultiplyRight = true;
        var b = CliRunner.Run(dir, "eval", "arith", "--model", "fake:good", "--json").Json.GetProperty("runs")[0].GetProperty("run_id").GetString()!;

        var baseline = CliRunner.Run(dir, "eval", "baseline", a, "--json");
        Assert.Equal(0, baseline.ExitCode);
        Assert.Equal(a, baseline.Json.GetProperty("run_id").GetString());

        var cmp = CliRunner.Run(dir, "eval", "compare", "baseline", b, "--json");
        Assert.Equal(0, cmp.ExitCode);
        Assert.Equal(["m1", "m2"], cmp.Json.GetProperty("fixed").EnumerateArray().Select(x => x.GetString()));
        Assert.Empty(cmp.Json.GetProperty("regressed").EnumerateArray());
        Assert.Equal(0.5, cmp.Json.GetProperty("mcnemar_p").GetDouble(), 12); // 2·(1/4)
        Assert.Equal(0.5, cmp.Json.GetProperty("difference").GetDouble(), 12);

        // The other way round is a regression, but 2 discordant cases cannot be significant: exit 0.
        var back = CliRunner.Run(dir, "eval", "compare", b, a, "--json");
        Assert.Equal(0, back.ExitCode);
        Assert.Equal(["m1", "m2"], back.Json.GetProperty("regressed").EnumerateArray().Select(x => x.GetString()));

        var leak = CliRunner.Run(dir, "eval", "edge-cases", a, "--export", "edge.jsonl", "--reference-field", "answer", "--json");
        Assert.Equal(2, leak.ExitCode); // golden failures as training data need --allow-golden-leak
        Assert.False(File.Exists(Path.Combine(dir, "edge.jsonl")));
        var edges = CliRunner.Run(dir, "eval", "edge-cases", a, "--export", "edge.jsonl", "--reference-field", "answer", "--allow-golden-leak", "--json");
        Assert.Equal(1, edges.ExitCode); // failing cases
        var mul = Assert.Single(edges.Json.GetProperty("edge_cases").EnumerateArray());
        Assert.Equal("mul", mul.GetProperty("name").GetString());
        var lines = File.ReadAllLines(Path.Combine(dir, "edge.jsonl"));
        Assert.Equal(2, lines.Length);
        Assert.Equal("9", JsonDocument.Parse(lines[0]).RootElement.GetProperty("messages")[1].GetProperty("content").GetString());

        var fixedEdges = CliRunner.Run(dir, "eval", "edge-cases", b, "--json");
        Assert.Equal(0, fixedEdges.ExitCode);
        Assert.Equal(a, fixedEdges.Json.GetProperty("against").GetString());
        Assert.Equal(2, fixedEdges.Json.GetProperty("edge_cases")[0].GetProperty("fixed").GetArrayLength());
    }

    [Fact]
    public void The_estimate_comes_before_any_call_a_dry_run_sends_nothing_and_dollars_above_the_budget_need_yes()
    {
        var dir = Workspace();
        File.AppendAllText(Path.Combine(dir, "evals", "arith.yaml"), "\nprice: {input_per_1m: 1000, output_per_1m: 1000}\n");
        var dry = CliRunner.Run(dir, "eval", "arith", "--dry-run", "--json");
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.True(dry.Json.GetProperty("dry_run").GetBoolean());
        Assert.Equal(0, dry.Json.GetProperty("runs").GetArrayLength());
        var e = Assert.Single(dry.Json.GetProperty("estimates").EnumerateArray());
        // 4 cases × 1 sample: prompts of 3 characters are 3/4+4 = 4 tokens each; 128 tokens out each without max_tokens.
        Assert.Equal((4, 4, 1, 0L, 16L, 512L), (e.GetProperty("samples").GetInt32(), (int)e.GetProperty("model_calls").GetInt64(), e.GetProperty("graders").GetInt32(),
            e.GetProperty("grader_calls").GetInt64(), e.GetProperty("input_tokens").GetInt64(), e.GetProperty("output_tokens").GetInt64()));
        Assert.Equal(0.528m, e.GetProperty("usd").GetDecimal()); // (16 + 512) tokens at $1000 per million
        Assert.Equal(4.0 / 4, e.GetProperty("seconds").GetDouble(), 9); // a second per hosted call, 4 in flight
        Assert.Equal(0, _server.Requests);

        File.AppendAllText(Path.Combine(dir, "hone.yaml"), "\nprompting: {budget_usd: 0.5}\n");
        var refused = CliRunner.Run(dir, "eval", "arith");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("nothing was sent", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, _server.Requests);

        var human = CliRunner.Run(dir, "eval", "arith", "--yes");
        Assert.True(human.ExitCode == 0, human.Stderr);
        Assert.Equal(4, _server.Requests);
        int estimate = human.Stdout.IndexOf("estimate fake:m: 4 cases × 1 samples × 1 graders: 4 model calls, 16 tokens in / at most 512 out, $0.528", StringComparison.Ordinal);
        Assert.True(estimate >= 0, human.Stdout);
        Assert.True(estimate < human.Stdout.IndexOf("accuracy", StringComparison.Ordinal), human.Stdout); // told before the results

        var help = CliRunner.Run(dir, "eval", "--help");
        foreach (var o in new[] { "--dry-run", "--yes", "--json", "--fresh", "Exit codes" })
            Assert.Contains(o, help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_input_is_exit_2_with_a_clear_message()
    {
        var dir = Workspace();
        var unknownProvider = CliRunner.Run(dir, "eval", "arith", "--model", "nowhere:x");
        Assert.Equal(2, unknownProvider.ExitCode);
        Assert.Contains("no provider 'nowhere'", unknownProvider.Stderr, StringComparison.Ordinal);

        File.AppendAllText(Path.Combine(dir, "evals", "arith.yaml"), "\nrepeets: 2\n");
        var badKey = CliRunner.Run(dir, "eval", "arith", "--json");
        Assert.Equal(2, badKey.ExitCode);
        Assert.Contains("unknown key 'repeets'", badKey.Stderr, StringComparison.Ordinal);
        Assert.Contains("arith.yaml:11:1", badKey.Stderr, StringComparison.Ordinal);

        Assert.Equal(2, CliRunner.Run(dir, "eval", "missing-spec").ExitCode);
        Assert.Equal(2, CliRunner.Run(dir, "eval", "show", "eval-nope").ExitCode);
        Assert.Equal(0, _server.Requests);
    }

    [Fact]
    public void A_missing_api_key_variable_is_named_and_never_sent()
    {
        var dir = Workspace();
        var name = "HONE_TEST_KEY_" + Guid.NewGuid().ToString("N")[..8];
        File.WriteAllText(Path.Combine(dir, "hone.yaml"), $"task: arith\nproviders:\n  fake:\n    base_url: {_server.BaseUrl}\n    api_key_env: {name}\n");
        var r = CliRunner.Run(dir, "eval", "arith");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(name, r.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, _server.Requests);
    }

    /// <summary>Answers "A+B" / "A*B" chat requests on loopback; multiplications are off by one unless told otherwise.</summary>
    private sealed class AnsweringServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly CancellationTokenSource _cts = new();
        private readonly Task _loop;
        private int _requests;

        public AnsweringServer()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            BaseUrl = $"http://127.0.0.1:{port}/v1/";
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _loop = Task.Run(Loop);
        }

        public string BaseUrl { get; }

        public int Requests => Volatile.Read(ref _requests);

        public volatile bool MultiplyRight;

        private async Task Loop()
        {
            while (!_cts.IsCancellationRequested)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); }
                catch (Exception) when (_cts.IsCancellationRequested) { return; }
                catch (HttpListenerException) { return; }
                Interlocked.Increment(ref _requests);
                using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
                var body = JsonNode.Parse(await reader.ReadToEndAsync())!;
                var question = body["messages"]!.AsArray()[^1]!["content"]!.GetValue<string>();
                var answer = Answer(question);
                var reply = new JsonObject
                {
                    ["id"] = "chatcmpl-x", ["object"] = "chat.completion", ["created"] = 1700000000, ["model"] = body["model"]!.GetValue<string>(),
                    ["choices"] = new JsonArray(new JsonObject
                    {
                        ["index"] = 0, ["finish_reason"] = "stop",
                        ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = answer },
                    }),
                    ["usage"] = new JsonObject { ["prompt_tokens"] = 7, ["completion_tokens"] = 1, ["total_tokens"] = 8 },
                };
                var bytes = Encoding.UTF8.GetBytes(reply.ToJsonString());
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentType = "application/json";
                await ctx.Response.OutputStream.WriteAsync(bytes);
                ctx.Response.Close();
            }
        }

        private string Answer(string q)
        {
            var plus = q.IndexOf('+', StringComparison.Ordinal);
            if (plus > 0) return (int.Parse(q[..plus], System.Globalization.CultureInfo.InvariantCulture) + int.Parse(q[(plus + 1)..], System.Globalization.CultureInfo.InvariantCulture)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var times = q.IndexOf('*', StringComparison.Ordinal);
            var product = int.Parse(q[..times], System.Globalization.CultureInfo.InvariantCulture) * int.Parse(q[(times + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            return (MultiplyRight ? product : product + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        public void Dispose()
        {
            _cts.Cancel();
            _listener.Close();
            try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
            _cts.Dispose();
        }
    }
}
