using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Hone.Cli.Commands;
using Hone.Server;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Cli.Tests;

/// <summary>
/// <c>hone compare</c> (and its alias <c>hone eval compare</c>) and <c>hone edge list|add|show|export</c> end to end, on
/// runs made by <c>hone eval</c> against a scripted model served by <c>hone serve</c>'s server on loopback: additions are
/// always right; multiplications are right only when <see cref="ArithmeticClient.MultiplyRight"/> is set, otherwise
/// the answer is an HTML snippet (so the report's escaping is exercised by real run data).
/// </summary>
public sealed class CompareEdgeTests : IAsyncLifetime
{
    private const string BadAnswer = "<script>alert(1)</script>";
    private readonly ArithmeticClient _client = new();
    private HoneServer _server = null!;

    public async Task InitializeAsync() => _server = await HoneServer.StartAsync(_client, new ServerOptions { Port = 0 }, "arith");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Workspace()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        File.WriteAllText(Path.Combine(dir, "hone.yaml"), $"task: arith\nproviders:\n  served:\n    base_url: {new Uri(_server.BaseAddress, "v1")}\n");
        var cases = new[] { ("p1", "1+1", "2", "add"), ("p2", "2+5", "7", "add") }
            .Concat(Enumerable.Range(2, 6).Select(i => ($"m{i}", $"{i}*3", (i * 3).ToString(CultureInfo.InvariantCulture), "mul")));
        File.WriteAllLines(Path.Combine(dir, "evals", "golden.jsonl"),
            cases.Select(c => JsonSerializer.Serialize(new { id = c.Item1, question = c.Item2, answer = c.Item3, tags = new[] { c.Item4 } })));
        File.WriteAllText(Path.Combine(dir, "evals", "arith.yaml"), """
            golden_set: golden.jsonl
            prompt:
              template: "{{item.question}}"
            model: served:arith
            graders:
              - type: string_check
                name: exact
                input: "{{sample.output_text}}"
                reference: "{{item.answer}}"
                operation: eq
            """);
        return dir;
    }

    private string Eval(string dir, bool multiplyRight)
    {
        _client.MultiplyRight = multiplyRight;
        var r = CliRunner.Run(dir, "eval", "arith", "--json", "--no-cache", "--fresh");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.Json.GetProperty("runs")[0].GetProperty("run_id").GetString()!;
    }

    [Fact]
    public void Compare_reports_the_pairs_and_statistics_and_eval_compare_is_the_same_command()
    {
        var dir = Workspace();
        var bad = Eval(dir, multiplyRight: false);
        var good = Eval(dir, multiplyRight: true);

        var cmp = CliRunner.Run(dir, "compare", bad, good, "--json");
        Assert.True(cmp.ExitCode == 0, cmp.Stderr);
        var j = cmp.Json;
        Assert.Equal(["m2", "m3", "m4", "m5", "m6", "m7"], j.GetProperty("fixed").EnumerateArray().Select(x => x.GetString()));
        Assert.Empty(j.GetProperty("regressed").EnumerateArray());
        Assert.Equal((2, 0), (j.GetProperty("both_pass").GetInt32(), j.GetProperty("both_fail").GetInt32()));
        Assert.Equal(2.0 / 64, j.GetProperty("mcnemar_p").GetDouble(), 12); // exact McNemar on 0 vs 6
        Assert.Equal(0.75, j.GetProperty("difference").GetDouble(), 12);
        // The paired bootstrap (seed 0, 10 000 resamples), recomputed here from the per-case differences: p1, p2 0; m2..m7 +1.
        double[] diffs = [0, 0, 1, 1, 1, 1, 1, 1];
        var rng = new Random(0);
        var means = new double[10_000];
        for (int r = 0; r < means.Length; r++)
        {
            double sum = 0;
            for (int i = 0; i < diffs.Length; i++) sum += diffs[rng.Next(diffs.Length)];
            means[r] = sum / diffs.Length;
        }
        Array.Sort(means);
        Assert.Equal((means[250], means[9749]), (j.GetProperty("difference_low").GetDouble(), j.GetProperty("difference_high").GetDouble()));
        var mul = j.GetProperty("tags").EnumerateArray().Single(t => t.GetProperty("tag").GetString() == "mul");
        Assert.Equal((0.0, 1.0), (mul.GetProperty("accuracy_a").GetDouble(), mul.GetProperty("accuracy_b").GetDouble()));
        Assert.Equal(BadAnswer, j.GetProperty("changed")[0].GetProperty("output_a").GetString());

        var alias = CliRunner.Run(dir, "eval", "compare", bad, good, "--json");
        Assert.Equal(cmp.Stdout, alias.Stdout);

        // The other way round: six regressions and no fix, p = 2/64 < 0.05, exit 1; --html writes the report.
        var back = CliRunner.Run(dir, "compare", good, bad, "--html", "out/report.html");
        Assert.Equal(1, back.ExitCode);
        Assert.Contains("B regresses significantly", back.Stdout, StringComparison.Ordinal);
        Assert.Contains("regressed", back.Stdout, StringComparison.Ordinal);
        var html = File.ReadAllText(Path.Combine(dir, "out", "report.html"));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("regressed 6", html, StringComparison.Ordinal);

        var baseline = CliRunner.Run(dir, "eval", "baseline", bad);
        Assert.Equal(0, baseline.ExitCode);
        Assert.Equal(0, CliRunner.Run(dir, "compare", "baseline", good).ExitCode);
        Assert.Equal(2, CliRunner.Run(dir, "compare", bad, "eval-nope").ExitCode);
        Assert.Equal(2, CliRunner.Run(dir, "compare", bad, good, "--show", "-1").ExitCode);
    }

    [Fact]
    public void Diff_markup_strikes_removed_words_in_red_and_colours_added_words_green()
    {
        var (a, b) = CompareCommand.DiffMarkup("the cat sat [here]", "the dog sat [here]");
        Assert.Equal("the [red strikethrough]cat[/] sat [[here]]", a);
        Assert.Equal("the [green]dog[/] sat [[here]]", b);
        _ = new Spectre.Console.Markup(a); // valid markup
        _ = new Spectre.Console.Markup(b);
    }

    [Fact]
    public void Edge_add_list_show_and_export()
    {
        var dir = Workspace();
        var bad = Eval(dir, multiplyRight: false);

        var add = CliRunner.Run(dir, "edge", "add", bad, "--tag", "times-table", "--json");
        Assert.True(add.ExitCode == 0, add.Stderr);
        Assert.Equal(6, add.Json.GetProperty("added").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(dir, "evals", "edge_cases.jsonl")));
        var some = CliRunner.Run(dir, "edge", "add", bad, "--case", "p1", "--case", "m2", "--json");
        Assert.Equal(["p1", "m2"], some.Json.GetProperty("added").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal("failures-" + bad, some.Json.GetProperty("name").GetString());
        Assert.Equal(2, CliRunner.Run(dir, "edge", "add", bad, "--case", "zz").ExitCode);

        var good = Eval(dir, multiplyRight: true);
        var list = CliRunner.Run(dir, "edge", "list", "--json");
        Assert.True(list.ExitCode == 0, list.Stderr);
        var names = list.Json.GetProperty("edge_cases").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.Equal(["add", "failures-" + bad, "mul", "times-table"], names.Keys.Order(StringComparer.Ordinal));
        var tt = names["times-table"];
        Assert.False(tt.GetProperty("from_tag").GetBoolean());
        Assert.Equal([0, 6], tt.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("passing").GetInt32()));
        Assert.Contains("times-table", CliRunner.Run(dir, "edge", "list").Stdout, StringComparison.Ordinal);

        var show = CliRunner.Run(dir, "edge", "show", "times-table", "--json");
        Assert.True(show.ExitCode == 0, show.Stderr);
        Assert.Equal(good, show.Json.GetProperty("latest_run").GetString());
        Assert.Equal([bad, good], show.Json.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("run_id").GetString()));
        var first = show.Json.GetProperty("latest_outputs")[0];
        Assert.Equal(("m2", true, "6"), (first.GetProperty("case_id").GetString(), first.GetProperty("pass").GetBoolean(), first.GetProperty("output").GetString()));
        Assert.Contains("m7", CliRunner.Run(dir, "edge", "show", "times-table").Stdout, StringComparison.Ordinal);
        var missing = CliRunner.Run(dir, "edge", "show", "nope");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("times-table", missing.Stderr, StringComparison.Ordinal);

        // Golden failures as training data leak the golden set: refused (exit 2, nothing written) without --allow-golden-leak.
        var refused = CliRunner.Run(dir, "edge", "export", bad, "--format", "sft", "--out", "train/edge.jsonl", "--reference-field", "answer", "--json");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("leaks the golden set", refused.Stderr + refused.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "train", "edge.jsonl")));
        var export = CliRunner.Run(dir, "edge", "export", bad, "--format", "sft", "--out", "train/edge.jsonl", "--reference-field", "answer", "--allow-golden-leak", "--json");
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.Equal((6, 6), (export.Json.GetProperty("cases").GetInt32(), export.Json.GetProperty("with_reference").GetInt32()));
        var line = JsonDocument.Parse(File.ReadAllLines(Path.Combine(dir, "train", "edge.jsonl"))[0]).RootElement;
        Assert.Equal(("user", "2*3"), (line.GetProperty("messages")[0].GetProperty("role").GetString(), line.GetProperty("messages")[0].GetProperty("content").GetString()));
        Assert.Equal(("assistant", "6"), (line.GetProperty("messages")[1].GetProperty("role").GetString(), line.GetProperty("messages")[1].GetProperty("content").GetString()));
        Assert.Equal(BadAnswer, line.GetProperty("metadata").GetProperty("model_output").GetString());

        // Killed in the middle of a write, an export leaves the old file whole and at most a stray temporary beside it
        // (AtomicFile); the same command again writes the whole export.
        var whole = File.ReadAllText(Path.Combine(dir, "train", "edge.jsonl"));
        File.WriteAllText(Path.Combine(dir, "train", ".edge.jsonl.99999.deadbeef.tmp"), whole[..(whole.Length / 2)]);
        File.WriteAllText(Path.Combine(dir, "train", "edge.jsonl"), "{\"messages\": []}\n");
        var again = CliRunner.Run(dir, "edge", "export", bad, "--format", "sft", "--out", "train/edge.jsonl", "--reference-field", "answer", "--allow-golden-leak", "--json");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(whole, File.ReadAllText(Path.Combine(dir, "train", "edge.jsonl")));

        // --tag picks an edge case by name (added cases) or by golden-set tag; the default output goes to the data folder.
        var named = CliRunner.Run(dir, "edge", "export", bad, "--tag", "failures-" + bad, "--allow-golden-leak", "--json");
        Assert.Equal(1, named.Json.GetProperty("cases").GetInt32()); // m2 fails; p1 was added but passes
        Assert.StartsWith(Path.Combine(dir, "data"), named.Json.GetProperty("path").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, CliRunner.Run(dir, "edge", "export", bad, "--tag", "nope", "--allow-golden-leak").ExitCode);
        Assert.Equal(2, CliRunner.Run(dir, "edge", "export", bad, "--format", "dpo", "--allow-golden-leak").ExitCode);
        Assert.Equal(0, CliRunner.Run(dir, "edge", "export", good, "--allow-golden-leak", "--json").Json.GetProperty("cases").GetInt32());
    }

    /// <summary>Answers "A+B" and "A*B" (the last user message); wrong multiplications are an HTML snippet.</summary>
    internal sealed class ArithmeticClient : IChatClient
    {
        public volatile bool MultiplyRight;

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var q = messages.Last(m => m.Role == ChatRole.User).Text;
            int op = q.IndexOfAny(['+', '*']);
            int x = int.Parse(q[..op], CultureInfo.InvariantCulture), y = int.Parse(q[(op + 1)..], CultureInfo.InvariantCulture);
            var answer = q[op] == '+' ? (x + y).ToString(CultureInfo.InvariantCulture)
                : MultiplyRight ? (x * y).ToString(CultureInfo.InvariantCulture) : BadAnswer;
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)));
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (var u in (await GetResponseAsync(messages, options, cancellationToken)).ToChatResponseUpdates()) yield return u;
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
