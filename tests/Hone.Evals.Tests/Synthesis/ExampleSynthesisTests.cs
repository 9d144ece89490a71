using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Data.Checks;
using Hone.Evals.Providers;
using Hone.Evals.Specs;
using Hone.Evals.Synthesis;
using Hone.Evals.Tests.Runs;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Tests.Synthesis;

/// <summary>
/// The synthesis loop with a scripted teacher and verifier on an arithmetic golden set: every candidate is kept or
/// dropped with its exact reason (unreadable, golden leak, grader, verifier, duplicates of the data and of an earlier
/// candidate), provenance is recorded, and a run cancelled mid-way resumes from its journal without paying twice.
/// </summary>
public sealed class ExampleSynthesisTests
{
    // Call 1: a golden case copied, a broken line, a grader failure, a good case, one the verifier rejects, a repeat.
    // Call 2: a good case, a golden case reworded, a copy of the existing data, a good case.
    private static readonly string[][] TeacherAnswers =
    [
        ["""{"question":"2*3","answer":"6"}""", "not json", """{"question":"5*7","answer":"thirty-five"}""", """{"question":"6*7","answer":"42"}""",
         """{"question":"8*9","answer":"72"}""", """{"id":"x","question":"6*7","answer":"42"}"""],
        ["""{"question":"7*7","answer":"49"}""", """{"question":"3 * 3","answer":"9"}""", """{"question":"9*3","answer":"27"}""", """{"question":"9*4","answer":"36"}"""],
    ];

    private static (EvalSpec Spec, IReadOnlyList<GoldenCase> Golden) Arithmetic()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllLines(Path.Combine(dir, "golden.jsonl"),
        [
            """{"id":"p1","question":"1+1","answer":"2"}""", """{"id":"m2","question":"2*3","answer":"6","tags":["mult"]}""",
            """{"id":"m3","question":"3*3","answer":"9","tags":["mult"]}""",
        ]);
        var spec = EvalSpec.Parse("""
            golden_set: golden.jsonl
            prompt:
              system: Answer with the number only.
              template: "{{item.question}}"
            reference: "{{item.answer}}"
            graders:
              - {type: string_check, name: exact, input: "{{sample.output_text}}", reference: "{{item.answer}}", operation: eq}
              - {type: regex, name: digits, pattern: "^[0-9]+$"}
              - {type: string_check, name: unit, input: "{{item.unit}}", reference: "m", operation: eq}
            """, Path.Combine(dir, "arith.yaml"));
        return (spec, GoldenSet.Load(spec.GoldenSetPath));
    }

    private static List<FailingCase> Failing(IReadOnlyList<GoldenCase> golden) =>
        [.. golden.Where(g => g.Id != "p1").Select(g => new FailingCase(g.Id, g.Item, g.Tags, "<b>wrong</b>", "exact: expected the number"))];

    /// <summary>Answers the teacher call its request's seed names (call k has seed k).</summary>
    private static CountingChatClient Teacher(Action<int>? onCall = null) => new((m, o, n, _) =>
    {
        onCall?.Invoke(n);
        Assert.Equal(CaseSynthesizer.Instruction, m[0].Text);
        return Task.FromResult(CountingChatClient.Reply(string.Join("\n", TeacherAnswers[(int)o!.Seed!.Value - 1])));
    });

    private static CountingChatClient Verifier() => new((m, _, _, _) =>
    {
        Assert.Equal(ExampleSynthesis.VerifierInstruction, m[0].Text);
        var shown = JsonNode.Parse(m[1].Text)!["messages"]!.AsArray();
        return Task.FromResult(CountingChatClient.Reply((string?)shown[^1]!["content"] == "72"
            ? """Sure: {"ok": false, "reason": "8*9 is 72 but the question repeats the table"}""" : """{"ok": true}"""));
    });

    private static readonly ScreenReference ExistingExample = new("train.jsonl:1", JsonSerializer.SerializeToElement(new JsonObject
    {
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "system", ["content"] = "Answer with the number only." },
            new JsonObject { ["role"] = "user", ["content"] = "9*3" }, new JsonObject { ["role"] = "assistant", ["content"] = "27" }),
    }));

    [Fact]
    public async Task Candidates_are_kept_or_dropped_with_exact_reasons_and_carry_provenance()
    {
        var (spec, golden) = Arithmetic();
        var teacher = Teacher();
        var verifier = Verifier();
        var synthesis = new ExampleSynthesis(spec, new CaseSynthesizer(teacher), verifier,
            new ExampleSynthesisOptions { Count = 3, BatchSize = 5, For = "run-1", Teacher = "t:m", VerifierName = "v:m" });
        var outcome = await synthesis.RunAsync(Failing(golden), golden, [ExistingExample]);

        Assert.Equal(["6*7", "7*7", "9*4"], outcome.Kept.Select(k => (string?)k["messages"]![1]!["content"]));
        Assert.All(outcome.Kept, k => Assert.Equal("Answer with the number only.", (string?)k["messages"]![0]!["content"]));
        Assert.Equal([(1, 1, ExampleScreen.GoldenLeak), (1, 2, "unreadable"), (1, 3, "grader"), (1, 5, "verifier"), (1, 6, ExampleScreen.Duplicate), (2, 2, ExampleScreen.GoldenNearDuplicate),
            (2, 3, ExampleScreen.Duplicate)],
            outcome.Dropped.Select(d => (d.Call, d.Line, d.Code)));
        Assert.Equal("the input is the same as golden case m2's (ignoring case and whitespace); the golden score would be inflated.", outcome.Dropped[0].Reason);
        Assert.StartsWith("the line is not JSON: ", outcome.Dropped[1].Reason, StringComparison.Ordinal);
        Assert.Equal("digits: score 0 below 1", outcome.Dropped[2].Reason);
        Assert.Equal("8*9 is 72 but the question repeats the table", outcome.Dropped[3].Reason);
        Assert.Equal("the example is the same as line 4 of call 1 (ignoring case and whitespace).", outcome.Dropped[4].Reason);
        Assert.Equal("a near-duplicate of golden case m3 (Jaccard 1.00); golden score would be inflated.", outcome.Dropped[5].Reason);
        Assert.Equal("the example is the same as train.jsonl:1 (ignoring case and whitespace).", outcome.Dropped[6].Reason);
        Assert.Equal(2, outcome.TeacherCalls);
        Assert.Equal(4, outcome.VerifierCalls); // 6*7, 8*9, 7*7 and 9*4: each candidate that passed the graders
        Assert.Equal(4, outcome.GradersSkipped["unit"]); // the unit grader needs item.unit, which no case has: skipped, not failed

        var meta = outcome.Kept[0]["metadata"]!;
        Assert.Equal(("hone data synth", "run-1", "t:m", "v:m", 3, 1), ((string?)meta["source"], (string?)meta["for"], (string?)meta["teacher"], (string?)meta["verifier"],
            (int)meta["count"]!, (int)meta["call"]!));
        Assert.Equal(["m2", "m3"], meta["cases"]!.AsArray().Select(c => (string?)c));
        Assert.Equal(["mult", "synth"], meta["tags"]!.AsArray().Select(c => (string?)c));
        Assert.Equal(CaseSynthesizer.Instruction, (string?)meta["prompt"]!["system"]);
        Assert.Contains("""{"question":"2*3","answer":"6"}""", (string?)meta["prompt"]!["user"], StringComparison.Ordinal); // id and tags never shown
        Assert.Contains("Why it failed: exact: expected the number", (string?)meta["prompt"]!["user"], StringComparison.Ordinal);
        Assert.EndsWith("Write 3 new cases, one JSON object per line.", (string?)meta["prompt"]!["user"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_run_resumes_from_its_journal_and_pays_only_for_new_calls()
    {
        var (spec, golden) = Arithmetic();
        var journalPath = Path.Combine(TestAssets.NewTempDir(), "progress.jsonl");
        var teacher = Teacher(n => { if (n == 2) throw new OperationCanceledException("killed during the second call"); });
        var options = new ExampleSynthesisOptions { Count = 3, For = "run-1", Teacher = "t:m" };
        using (var journal = new FileJournalCache(journalPath))
        {
            using var client = ChatClientPipeline.Build(teacher, new ChatClientPipelineOptions { Cache = journal, MaxRetries = 0 });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                new ExampleSynthesis(spec, new CaseSynthesizer(client), null, options).RunAsync(Failing(golden), golden, [ExistingExample]));
        }
        Assert.Equal(2, teacher.Calls);
        var again = Teacher(n => Assert.Equal(1, n));
        SynthesisOutcome outcome;
        using (var journal = new FileJournalCache(journalPath))
        {
            Assert.Equal(1, journal.Count); // the first call's answer, journalled before the kill
            using var client = ChatClientPipeline.Build(again, new ChatClientPipelineOptions { Cache = journal, MaxRetries = 0 });
            outcome = await new ExampleSynthesis(spec, new CaseSynthesizer(client), null, options).RunAsync(Failing(golden), golden, [ExistingExample]);
        }
        Assert.Equal(1, again.Calls); // call 1 replayed, call 2 paid
        Assert.Equal(["6*7", "8*9", "7*7"], outcome.Kept.Select(k => (string?)k["messages"]![1]!["content"]));
    }

    [Fact]
    public void A_torn_journal_line_is_cut_off()
    {
        var path = Path.Combine(TestAssets.NewTempDir(), "j.jsonl");
        using (var j = new FileJournalCache(path)) j.Set("a", [1, 2], new());
        File.AppendAllText(path, "{\"key\":\"b\",\"val");
        using (var j = new FileJournalCache(path))
        {
            Assert.Equal(1, j.Count);
            Assert.Equal(new byte[] { 1, 2 }, j.Get("a"));
            Assert.Null(j.Get("b"));
            j.Set("c", [3], new());
        }
        using var k = new FileJournalCache(path);
        Assert.Equal(2, k.Count);
        Assert.Equal(new byte[] { 3 }, k.Get("c"));
    }
}
