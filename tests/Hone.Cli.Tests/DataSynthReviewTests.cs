using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.App.Data;
using Hone.Evals.Synthesis;
using Hone.Server;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Cli.Tests;

/// <summary>
/// <c>hone data synth</c> and <c>hone data review</c> end to end against scripted models served on 127.0.0.1: an
/// arithmetic model that gets multiplication wrong (its eval run gives the failing cases), a teacher that answers by the
/// request's seed, a verifier and a reviewer. Kept and dropped reasons, the JSON documents, exit codes, nothing written
/// on failure, and resume after a kill (the use case cancelled in the middle of a call).
/// </summary>
public sealed class DataSynthReviewTests : IAsyncLifetime
{
    private readonly ScriptedModels _models = new();
    private HoneServer _server = null!;

    public async Task InitializeAsync() => _server = await HoneServer.StartAsync(_models, new ServerOptions { Port = 0 }, "arith");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>A workspace with the arithmetic spec, existing data, and an eval run whose m2, m3 and m4 fail.</summary>
    private string FailingRun(out string dir)
    {
        dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        File.WriteAllText(Path.Combine(dir, "hone.yaml"), $"task: arith\nproviders:\n  served:\n    base_url: {new Uri(_server.BaseAddress, "v1")}\n");
        File.WriteAllLines(Path.Combine(dir, "evals", "golden.jsonl"),
        [
            """{"id":"p1","question":"1+1","answer":"2"}""", """{"id":"m2","question":"2*3","answer":"6","tags":["mult"]}""",
            """{"id":"m3","question":"3*3","answer":"9","tags":["mult"]}""", """{"id":"m4","question":"4*3","answer":"12","tags":["mult"]}""",
        ]);
        File.WriteAllText(Path.Combine(dir, "evals", "arith.yaml"), """
            golden_set: golden.jsonl
            prompt:
              template: "{{item.question}}"
            model: served:arith
            reference: "{{item.answer}}"
            graders:
              - {type: string_check, name: exact, input: "{{sample.output_text}}", reference: "{{item.answer}}", operation: eq}
              - {type: regex, name: digits, pattern: "^[0-9]+$"}
            """);
        File.WriteAllText(Path.Combine(dir, "data", "train.jsonl"), """{"messages":[{"role":"user","content":"9*3"},{"role":"assistant","content":"27"}]}""" + "\n");
        var r = CliRunner.Run(dir, "eval", "arith", "--json", "--no-cache", "--fresh");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.Json.GetProperty("runs")[0].GetProperty("run_id").GetString()!;
    }

    [Fact]
    public void Synth_keeps_checked_examples_in_a_new_file_and_reports_every_drop()
    {
        var run = FailingRun(out var dir);
        var r = CliRunner.Run(dir, "data", "synth", "--for", run, "--teacher", "served:arith", "--verifier", "served:arith", "--n", "3",
            "--out", "data/synth.jsonl", "--data", "data/train.jsonl", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var j = r.Json;
        Assert.Equal((3, 3, 2, 4, 0L), (j.GetProperty("requested").GetInt32(), j.GetProperty("kept").GetInt32(), j.GetProperty("teacher_calls").GetInt32(),
            j.GetProperty("verifier_calls").GetInt32(), j.GetProperty("replayed_calls").GetInt64()));
        Assert.Equal(["m2", "m3", "m4"], j.GetProperty("failing_cases").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(("arith", false, 2), (j.GetProperty("spec").GetString(), j.GetProperty("dry_run").GetBoolean(), j.GetProperty("max_teacher_calls").GetInt32()));
        Assert.Equal(1 + 3, j.GetProperty("estimate").GetProperty("calls").GetInt64()); // one teacher call asks for 3; the verifier sees each
        var dropped = j.GetProperty("dropped").EnumerateArray().Select(d => (d.GetProperty("call").GetInt32(), d.GetProperty("line").GetInt32(),
            d.GetProperty("code").GetString(), d.GetProperty("reason").GetString())).ToList();
        Assert.Equal((1, 1, "golden-leak", "the input is the same as golden case m2's (ignoring case and whitespace); the golden score would be inflated."), dropped[0]);
        Assert.Equal((1, 3, "grader", "digits: score 0 below 1"), dropped[2]);
        Assert.Equal((1, 5, "verifier", "8*9 is 72 but the question repeats the table"), dropped[3]);
        Assert.Equal((2, 2, "duplicate", "the example is the same as train.jsonl:1 (ignoring case and whitespace)."), dropped[5]);
        Assert.Equal(1, j.GetProperty("dropped_by_code").GetProperty("golden-leak").GetInt32());
        var output = Path.Combine(dir, "data", "synth.jsonl");
        Assert.Equal(output, j.GetProperty("output").GetString());
        var lines = File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(["6*7", "7*7", "9*4"], lines.Select(l => (string?)l["messages"]![0]!["content"]));
        Assert.Equal(["42", "49", "36"], lines.Select(l => (string?)l["messages"]![1]!["content"]));
        Assert.All(lines, l => Assert.Equal(run, (string?)l["metadata"]!["for"]));
        Assert.False(File.Exists(j.GetProperty("progress_file").GetString())); // finished: no progress left behind
        var check = CliRunner.Run(dir, "data", "check", "data/synth.jsonl", "--json");
        Assert.Equal((0, 0L), (check.ExitCode, check.Json.GetProperty("errors").GetInt64())); // the kept examples pass the data check

        // An edge-case name works too; a dry run only estimates (priced from the workspace's price table): no call, no file.
        File.WriteAllText(Path.Combine(dir, "prices.yaml"), "models:\n  arith: {training_per_1m: 1, input_per_1m: 2, output_per_1m: 8}\n");
        File.AppendAllText(Path.Combine(dir, "hone.yaml"), "price_table: prices.yaml\n");
        var before = _models.TeacherCalls;
        var dry = CliRunner.Run(dir, "data", "synth", "--for", "mult", "--teacher", "served:arith", "--n", "10", "--out", "data/more.jsonl", "--dry-run", "--json");
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.True(dry.Json.GetProperty("dry_run").GetBoolean());
        var estimate = dry.Json.GetProperty("estimate");
        Assert.Equal(2, estimate.GetProperty("calls").GetInt64());
        Assert.Equal((estimate.GetProperty("input_tokens").GetInt64() * 2m + estimate.GetProperty("output_tokens").GetInt64() * 8m) / 1_000_000m,
            estimate.GetProperty("usd").GetDecimal());
        Assert.StartsWith("arith in ", dry.Json.GetProperty("price_source").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, _models.TeacherCalls);
        Assert.False(File.Exists(Path.Combine(dir, "data", "more.jsonl")));
    }

    [Fact]
    public void Synth_writes_nothing_on_bad_input_and_exits_1_when_fewer_are_kept()
    {
        var run = FailingRun(out var dir);
        var existing = Path.Combine(dir, "data", "train.jsonl");
        var bytes = File.ReadAllBytes(existing);
        var taken = CliRunner.Run(dir, "data", "synth", "--for", run, "--teacher", "served:arith", "--n", "3", "--out", "data/train.jsonl", "--json");
        Assert.Equal(2, taken.ExitCode);
        Assert.Equal(bytes, File.ReadAllBytes(existing));
        var unknown = CliRunner.Run(dir, "data", "synth", "--for", "no-such-thing", "--teacher", "served:arith", "--n", "3", "--out", "data/x.jsonl");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("neither an eval run nor an edge case", unknown.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, _models.TeacherCalls);
        File.AppendAllText(Path.Combine(dir, "hone.yaml"), "prompting: {budget_calls: 2}\n");
        var over = CliRunner.Run(dir, "data", "synth", "--for", run, "--teacher", "served:arith", "--verifier", "served:arith", "--n", "3", "--out", "data/x.jsonl");
        Assert.Equal(2, over.ExitCode); // 4 calls estimated, above the budget: refused without --yes
        Assert.Contains("nothing was sent", over.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, _models.TeacherCalls);
        Assert.False(File.Exists(Path.Combine(dir, "data", "x.jsonl")));

        var few = CliRunner.Run(dir, "data", "synth", "--for", run, "--teacher", "served:arith", "--n", "9", "--out", "data/few.jsonl", "--yes", "--json");
        Assert.Equal(1, few.ExitCode);
        Assert.Equal((9, 4), (few.Json.GetProperty("requested").GetInt32(), few.Json.GetProperty("teacher_calls").GetInt32()));
        Assert.Equal(few.Json.GetProperty("kept").GetInt32(), File.ReadAllLines(Path.Combine(dir, "data", "few.jsonl")).Length);
    }

    [Fact]
    public async Task A_killed_synth_writes_nothing_and_resumes_from_its_progress_file()
    {
        var run = FailingRun(out var dir);
        var request = new DataSynthRequest { WorkingDirectory = dir, For = run, Teacher = "served:arith", Verifier = "served:arith", Count = 3, Out = "data/s.jsonl",
            Data = ["data/train.jsonl"] };
        using (var cts = new CancellationTokenSource())
        {
            _models.OnTeacherCall = n => n == 2 && Cancel(cts); // killed while the second teacher call is in flight
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => DataSynth.RunAsync(request, ct: cts.Token));
        }
        _models.OnTeacherCall = null;
        Assert.False(File.Exists(Path.Combine(dir, "data", "s.jsonl")));
        var progress = Directory.GetFiles(Path.Combine(dir, "data"), ".s.jsonl.synth-*.progress.jsonl");
        Assert.Single(progress);
        var teacherBefore = _models.TeacherCalls;
        var result = await DataSynth.RunAsync(request);
        Assert.Equal(3, result.Kept);
        Assert.Equal(1, _models.TeacherCalls - teacherBefore); // the first call came from the progress file
        Assert.Equal(3, result.ReplayedCalls); // teacher call 1 and the verifier's two answers on its candidates
        Assert.Equal(["6*7", "7*7", "9*4"], File.ReadAllLines(Path.Combine(dir, "data", "s.jsonl")).Select(l => (string?)JsonNode.Parse(l)!["messages"]![0]!["content"]));
        Assert.False(File.Exists(progress[0]));
    }

    /// <summary>Cancels the caller and tells the scripted model to hold its answer until the caller hangs up.</summary>
    private static bool Cancel(CancellationTokenSource cts)
    {
        cts.Cancel();
        return true;
    }

    private static string Sft(string q, string a) => new JsonObject
    {
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = q }, new JsonObject { ["role"] = "assistant", ["content"] = a }),
    }.ToJsonString();

    private static string ReviewFile(string dir)
    {
        var path = Path.Combine(dir, "data", "review.jsonl");
        File.WriteAllLines(path, [Sft("2+2", "4"), Sft("3*4", "11"), """{"messages":[{"role":"user","content":"5+5"}]}""", Sft("7*3", "21 because")]);
        return path;
    }

    [Fact]
    public void Review_flags_answers_and_apply_writes_accepted_fixes_to_a_new_file()
    {
        FailingRun(out var dir);
        var path = ReviewFile(dir);
        var bytes = File.ReadAllBytes(path);
        var r = CliRunner.Run(dir, "data", "review", "data/review.jsonl", "--reviewer", "served:arith", "--json");
        Assert.True(r.ExitCode == 1, r.Stderr + r.Stdout);
        var review = r.Json.GetProperty("review");
        Assert.Equal((4, 3, 1L), (review.GetProperty("examples").GetInt32(), review.GetProperty("reviewed").GetInt32(), review.GetProperty("rule_errors").GetInt64()));
        var flags = review.GetProperty("flags").EnumerateArray().ToList();
        Assert.Equal([(2L, "wrong", "3*4 is 12", "12"), (4L, "incomplete", "the answer trails off", null)],
            flags.Select(f => (f.GetProperty("line").GetInt64(), f.GetProperty("verdict").GetString(), f.GetProperty("reason").GetString(),
                f.TryGetProperty("fix", out var fix) ? fix.GetString() : null)));
        Assert.False(r.Json.TryGetProperty("apply", out _));

        var same = CliRunner.Run(dir, "data", "review", "data/review.jsonl", "--reviewer", "served:arith", "--apply", "--out", "data/review.jsonl", "--accept", "all");
        Assert.Equal(2, same.ExitCode);
        var notTerminal = CliRunner.Run(dir, "data", "review", "data/review.jsonl", "--reviewer", "served:arith", "--apply", "--out", "data/fixed.jsonl");
        Assert.Equal(2, notTerminal.ExitCode);
        Assert.Contains("--accept", notTerminal.Stderr, StringComparison.Ordinal);
        var badLine = CliRunner.Run(dir, "data", "review", "data/review.jsonl", "--reviewer", "served:arith", "--apply", "--out", "data/fixed.jsonl", "--accept", "4");
        Assert.Equal(2, badLine.ExitCode);
        Assert.False(File.Exists(Path.Combine(dir, "data", "fixed.jsonl")));

        var applied = CliRunner.Run(dir, "data", "review", "data/review.jsonl", "--reviewer", "served:arith", "--apply", "--out", "data/fixed.jsonl", "--accept", "all", "--json");
        Assert.Equal(1, applied.ExitCode); // the rule error and the incomplete answer without a fix remain
        Assert.Equal([2L], applied.Json.GetProperty("apply").GetProperty("applied").EnumerateArray().Select(e => e.GetInt64()));
        var fixedLines = File.ReadAllLines(Path.Combine(dir, "data", "fixed.jsonl"));
        Assert.Equal(4, fixedLines.Length);
        var line2 = JsonNode.Parse(fixedLines[1])!;
        Assert.Equal(("12", "11", "served:arith"), ((string?)line2["messages"]![1]!["content"], (string?)line2["metadata"]!["review"]!["replaced"],
            (string?)line2["metadata"]!["review"]!["reviewer"]));
        Assert.Equal(Sft("2+2", "4"), fixedLines[0]);
        Assert.Equal(bytes, File.ReadAllBytes(path)); // the input is never modified
    }

    [Fact]
    public async Task Review_asks_for_each_fix_in_a_pseudo_terminal_and_writes_only_the_accepted_ones()
    {
        FailingRun(out var dir);
        var path = ReviewFile(dir);
        var bytes = File.ReadAllBytes(path);
        if (!OperatingSystem.IsLinux()) return; // /usr/bin/script: Linux only
        var cli = Path.Combine(AppContext.BaseDirectory, "Hone.Cli.dll");
        async Task<(int Exit, string Stdout)> Review(string answers, string output)
        {
            var file = Path.Combine(dir, "answers-" + output);
            File.WriteAllText(file, answers);
            var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add($"/usr/bin/script -q -e -c 'dotnet \"{cli}\" data review data/review.jsonl --reviewer served:arith --apply --out data/{output}' /dev/null < \"{file}\"");
            using var p = System.Diagnostics.Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = await p.StandardOutput.ReadToEndAsync();
            Assert.True(p.WaitForExit(60_000));
            return (p.ExitCode, stdout + await stderr);
        }

        // Line 2 has a proposed fix (12); line 4 is flagged without one and is not asked about.
        var yes = await Review("y\n", "yes.jsonl");
        Assert.True(yes.Exit == 1, yes.Stdout); // the rule error and the flag without a fix remain
        Assert.Contains("accept the fix of line 2? [y/n]", yes.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("fix of line 4", yes.Stdout, StringComparison.Ordinal);
        Assert.Contains("applied 1 fixes, left 1 flags", yes.Stdout, StringComparison.Ordinal);
        var fixedLines = File.ReadAllLines(Path.Combine(dir, "data", "yes.jsonl"));
        Assert.Equal("12", (string?)JsonNode.Parse(fixedLines[1])!["messages"]![1]!["content"]);

        var no = await Review("n\n", "no.jsonl");
        Assert.True(no.Exit == 1, no.Stdout);
        Assert.Contains("applied 0 fixes, left 2 flags", no.Stdout, StringComparison.Ordinal);
        Assert.Equal("11", (string?)JsonNode.Parse(File.ReadAllLines(Path.Combine(dir, "data", "no.jsonl"))[1])!["messages"]![1]!["content"]);
        Assert.Equal(bytes, File.ReadAllBytes(path)); // the input is never modified
    }

    [Fact]
    public void Review_estimates_before_any_call_a_dry_run_sends_nothing_and_above_the_budget_needs_yes()
    {
        FailingRun(out var dir);
        ReviewFile(dir);
        var dry = CliRunner.Run(dir, "data", "review", "data/review.jsonl", "--reviewer", "served:arith", "--dry-run", "--json");
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        var review = dry.Json.GetProperty("review");
        Assert.True(review.GetProperty("dry_run").GetBoolean());
        Assert.Equal(3, review.GetProperty("estimate").GetProperty("calls").GetInt64()); // the three examples without a rule error
        Assert.Equal(0, _models.ReviewerCalls);
        File.AppendAllText(Path.Combine(dir, "hone.yaml"), "prompting: {budget_calls: 2}\n");
        var over = CliRunner.Run(dir, "data", "review", "data/review.jsonl", "--reviewer", "served:arith");
        Assert.Equal(2, over.ExitCode);
        Assert.Contains("nothing was sent", over.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, _models.ReviewerCalls);
        Assert.Equal(1, CliRunner.Run(dir, "data", "review", "data/review.jsonl", "--reviewer", "served:arith", "--yes").ExitCode);
        Assert.Equal(3, _models.ReviewerCalls);
    }

    [Fact]
    public async Task A_killed_review_resumes_from_its_progress_file()
    {
        FailingRun(out var dir);
        ReviewFile(dir);
        var request = new DataReviewRequest { WorkingDirectory = dir, File = "data/review.jsonl", Reviewer = "served:arith" };
        using (var cts = new CancellationTokenSource())
        {
            _models.OnReviewerCall = n => n == 2 && Cancel(cts);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => DataReview.RunAsync(request, ct: cts.Token));
        }
        _models.OnReviewerCall = null;
        var before = _models.ReviewerCalls;
        var review = await DataReview.RunAsync(request);
        Assert.Equal((1L, 2), (review.ReplayedCalls, _models.ReviewerCalls - before));
        Assert.Equal([2L, 4L], review.Flags.Select(f => f.Line));
    }

    [Fact]
    public void Help_of_both_commands()
    {
        var dir = TestAssets.NewTempDir();
        var synth = CliRunner.Run(dir, "data", "synth", "--help");
        Assert.Equal(0, synth.ExitCode);
        foreach (var o in new[] { "--for", "--teacher", "--n", "--out", "--verifier", "--data", "--dry-run", "--yes", "--json" })
            Assert.Contains(o, synth.Stdout, StringComparison.Ordinal);
        var review = CliRunner.Run(dir, "data", "review", "--help");
        Assert.Equal(0, review.ExitCode);
        foreach (var o in new[] { "--reviewer", "--apply", "--out", "--accept", "--dry-run", "--json" })
            Assert.Contains(o, review.Stdout, StringComparison.Ordinal);
    }

    /// <summary>The scripted models, told apart by their instruction: teacher, verifier, reviewer, else the arithmetic model.</summary>
    private sealed class ScriptedModels : IChatClient
    {
        private static readonly string[][] TeacherAnswers =
        [
            ["""{"question":"2*3","answer":"6"}""", "not json", """{"question":"5*7","answer":"thirty-five"}""", """{"question":"6*7","answer":"42"}""",
             """{"question":"8*9","answer":"72"}""", """{"question":"6*7","answer":"42"}"""],
            ["""{"question":"7*7","answer":"49"}""", """{"question":"9*3","answer":"27"}""", """{"question":"9*4","answer":"36"}"""],
        ];

        private int _teacher;
        private int _reviewer;

        public int TeacherCalls => Volatile.Read(ref _teacher);

        public int ReviewerCalls => Volatile.Read(ref _reviewer);

        /// <summary>Sees each teacher call's number; true holds the answer until the request is aborted.</summary>
        public Func<int, bool>? OnTeacherCall { get; set; }

        /// <summary>Sees each reviewer call's number; true holds the answer until the request is aborted.</summary>
        public Func<int, bool>? OnReviewerCall { get; set; }

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            var system = list.FirstOrDefault(m => m.Role == ChatRole.System)?.Text;
            string answer;
            if (system == CaseSynthesizer.Instruction)
            {
                var n = Interlocked.Increment(ref _teacher);
                if (OnTeacherCall?.Invoke(n) == true) await Hold(cancellationToken);
                var call = (int)(options?.Seed ?? 0);
                answer = call >= 1 && call <= TeacherAnswers.Length ? string.Join("\n", TeacherAnswers[call - 1]) : "";
            }
            else if (system == ExampleSynthesis.VerifierInstruction)
            {
                var shown = JsonNode.Parse(list[^1].Text)!["messages"]!.AsArray();
                answer = (string?)shown[^1]!["content"] == "72" ? """{"ok": false, "reason": "8*9 is 72 but the question repeats the table"}""" : """{"ok": true}""";
            }
            else if (system == ExampleReviewer.Instruction)
            {
                var n = Interlocked.Increment(ref _reviewer);
                if (OnReviewerCall?.Invoke(n) == true) await Hold(cancellationToken);
                var shown = JsonNode.Parse(list[^1].Text)!["messages"]!.AsArray();
                var (q, a) = ((string)shown[0]!["content"]!, (string)shown[^1]!["content"]!);
                var right = Compute(q);
                answer = a == right ? """{"verdict": "ok"}"""
                    : a.StartsWith(right, StringComparison.Ordinal) ? """{"verdict": "incomplete", "reason": "the answer trails off"}"""
                    : JsonSerializer.Serialize(new { verdict = "wrong", reason = $"{q} is {right}", fix = right });
            }
            else
            {
                var q = list.Last(m => m.Role == ChatRole.User).Text;
                answer = q.Contains('*', StringComparison.Ordinal) ? "<b>no</b>" : Compute(q);
            }
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, answer));
        }

        /// <summary>Never answers: waits for the caller to hang up (the server cancels the request), at most 30 s.</summary>
        private static async Task Hold(CancellationToken ct)
        {
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            throw new InvalidOperationException("the caller never hung up");
        }

        private static string Compute(string q)
        {
            int op = q.IndexOfAny(['+', '*']);
            int x = int.Parse(q[..op], CultureInfo.InvariantCulture), y = int.Parse(q[(op + 1)..], CultureInfo.InvariantCulture);
            return (q[op] == '+' ? x + y : x * y).ToString(CultureInfo.InvariantCulture);
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
