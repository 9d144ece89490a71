using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Store;
using Hone.Testing;
using Hone.Tokenizers.Chat;
using Hone.Training.Batching;
using Hone.Training.Dpo;
using Hone.Training.Rft;
using Hone.Training.Sft;

namespace Hone.Training.Tests;

/// <summary>
/// <c>--on-overflow</c>: examples longer than the context (stories260K: 512 tokens) are dropped by default (counted, with
/// their lines, in the result and run.json), truncated (the earliest non-system turns cut, the system prompt and the
/// last assistant turn whole), or stop the run naming file:line and the token count before anything is written.
/// </summary>
public class OverflowTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    private static string Chat(string user, string answer, string? system = null)
    {
        var messages = new List<object>();
        if (system is not null) messages.Add(new { role = "system", content = system });
        messages.Add(new { role = "user", content = user });
        messages.Add(new { role = "assistant", content = answer });
        return JsonSerializer.Serialize(new { messages });
    }

    private static string LongText(int words) => string.Join(' ', Enumerable.Range(0, words).Select(i => $"cat{i % 10}"));

    /// <summary>Eight examples; lines 3 and 7 are over the context.</summary>
    private static string WriteTrain(string dir)
    {
        var lines = Enumerable.Range(0, 8).Select(i => i is 2 or 6 ? Chat(LongText(400), "long") : Chat($"Is {i} even?", i % 2 == 0 ? "yes" : "no"));
        var path = Path.Combine(dir, "train.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static SftRunOptions Options(string train, OverflowPolicy policy) => new()
    {
        ModelPath = Stories,
        Template = "chatml",
        TrainFile = train,
        Threads = 1,
        OnOverflow = policy,
        Trainer = new SftOptions { Epochs = 1, BatchSize = 3, EvalEvery = 0, Seed = 1 },
        Lora = new() { Rank = 2, Alpha = 4, TargetModules = ["q_proj"], Seed = 1 },
    };

    [Fact]
    public void Drop_is_the_default_and_counts_the_over_long_examples_with_their_lines_in_the_result_and_run_json()
    {
        var dir = TestAssets.NewTempDir();
        var train = WriteTrain(dir);
        Assert.Equal(OverflowPolicy.Drop, new SftRunOptions { ModelPath = Stories, TrainFile = train }.OnOverflow);
        var warnings = new List<string>();
        var r = SftRun.Start(Options(train, OverflowPolicy.Drop), Path.Combine(dir, "run"), null, null, warnings.Add);
        using (r.Model)
        {
            Assert.Equal(6, r.TrainExamples);
            var report = Assert.Single(r.Overflow);
            Assert.Equal((2, 0, 512, 8), (report.Dropped, report.Truncated, report.Limit, report.Total));
            Assert.Equal([$"{train}:3", $"{train}:7"], report.Entries.Select(e => e.Where));
            Assert.All(report.Entries, e => Assert.True(e.Tokens > 512, $"{e.Tokens}"));
            Assert.Contains(warnings, w => w.StartsWith("2 of 8 training examples are over the 512-token context (--on-overflow drop): 2 dropped", StringComparison.Ordinal));
            Assert.Equal(r.Warnings, warnings);
        }

        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run", "run.json")))!;
        Assert.Equal("drop", (string?)manifest["options"]!["on_overflow"]);
        var recorded = manifest["resolved"]!["overflow"]!["training"]!;
        Assert.Equal(2, (int)recorded["dropped"]!);
        Assert.Equal($"{train}:7", (string?)recorded["entries"]![1]!["where"]);
        Assert.Equal(6, (int)manifest["resolved"]!["train_examples"]!);
    }

    [Fact]
    public void Fail_names_file_line_and_token_count_and_registers_and_writes_nothing()
    {
        var dir = TestAssets.NewTempDir();
        var train = WriteTrain(dir);
        using var store = RunStore.Open(Path.Combine(dir, "hone.db"));
        var run = Path.Combine(dir, "run");
        var e = Assert.Throws<TrainingException>(() => SftRun.Start(Options(train, OverflowPolicy.Fail), run, store));
        Assert.Contains("2 training examples are over the 512-token context (--on-overflow fail)", e.Message, StringComparison.Ordinal);
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(train)}:3: \d{{3,}} tokens", e.Message);
        Assert.Contains($"{train}:7: ", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(run));
        Assert.Empty(store.ListRuns());
    }

    [Fact]
    public void Truncate_cuts_the_earliest_turns_and_keeps_the_system_prompt_and_the_last_assistant_turn_whole()
    {
        var encoder = ChatEncoder.Load(Stories, null, "chatml");
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "t.jsonl");
        File.WriteAllLines(path,
        [
            Chat("START " + LongText(400), "The answer is four.", system: "You answer questions about cats."),
            Chat("What is it?", LongText(400)), // the answer alone is over the context: dropped with the reason
            Chat("Short.", "Fine."),
        ]);
        var read = SftData.Read(path, encoder);
        var original = read[0].Example;
        Assert.True(original.Length > 512);

        var (kept, report) = SftData.Fit(read, encoder, "training", 512, OverflowPolicy.Truncate);
        Assert.Equal(2, kept.Count);
        var cut = kept[0].Example;
        Assert.Equal(512, cut.Length);
        var entry = report.Entries[0];
        Assert.True(entry.Truncated);
        Assert.Equal($"{path}:1", entry.Where);

        // The system turn is kept whole and the start of the user turn is gone; the last assistant turn (every trained
        // token) and the tokens just before it are unchanged.
        var text = encoder.Tokenizer.Decode(cut.Ids);
        Assert.StartsWith(encoder.Tokenizer.Decode(original.Ids.AsSpan(0, 12)), text, StringComparison.Ordinal);
        Assert.Contains("<|im_start|>system\nYou answer questions about cats.<|im_end|>", text, StringComparison.Ordinal);
        Assert.DoesNotContain("START", text, StringComparison.Ordinal);
        int target = ContextOverflow.LastTargetStart(original);
        Assert.Equal(original.Ids[(target - 3)..], cut.Ids[^(original.Length - target + 3)..]);
        Assert.Equal(original.Ids.Where((_, i) => original.Trained[i]), cut.Ids.Where((_, i) => cut.Trained[i]));
        Assert.Contains($"cut {original.Length - 512} tokens", entry.Detail, StringComparison.Ordinal);
        Assert.Contains("the last assistant turn", entry.Detail, StringComparison.Ordinal);
        Assert.Contains("system prompt", entry.Detail, StringComparison.Ordinal);

        var dropped = report.Entries[1];
        Assert.False(dropped.Truncated);
        Assert.Equal($"{path}:2", dropped.Where);
        Assert.Contains("dropped: ", dropped.Detail, StringComparison.Ordinal);
        Assert.Contains("alone need", dropped.Detail, StringComparison.Ordinal);
        Assert.Equal((1, 1), (report.Truncated, report.Dropped));
    }

    [Fact]
    public void Every_example_over_the_context_is_an_error_not_an_empty_run()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "all-long.jsonl");
        File.WriteAllLines(path, [Chat(LongText(400), "a"), Chat(LongText(420), "b")]);
        var e = Assert.Throws<TrainingException>(() => SftRun.Start(Options(path, OverflowPolicy.Drop), Path.Combine(dir, "run")));
        Assert.Contains("Every one of the 2 training examples is over the 512-token context", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "run")));
    }

    [Fact]
    public void Dpo_pairs_are_cut_alike_in_both_sequences_or_dropped_and_fail_names_the_line()
    {
        var encoder = ChatEncoder.Load(Stories, null, "chatml");
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "pairs.jsonl");
        string Pair(string? system, string user, string chosen, string rejected)
        {
            var messages = new List<object>();
            if (system is not null) messages.Add(new { role = "system", content = system });
            messages.Add(new { role = "user", content = user });
            return JsonSerializer.Serialize(new
            {
                input = new { messages },
                preferred_output = new[] { new { role = "assistant", content = chosen } },
                non_preferred_output = new[] { new { role = "assistant", content = rejected } },
            });
        }

        File.WriteAllLines(path,
        [
            Pair(null, "Name a pet.", "A cat.", "A rock."),
            Pair("Be kind.", "START " + LongText(400), "Yes, gladly.", "No."),
            Pair(null, "Say it.", LongText(400), "No."), // a completion alone over the context
        ]);
        var pairs = PreferenceData.ReadOrThrow(path, encoder);
        var (kept, report) = PreferenceData.Fit(pairs, encoder, "training", 512, OverflowPolicy.Truncate);
        Assert.Equal(2, kept.Count);
        Assert.Equal([$"{path}:2", $"{path}:3"], report.Entries.Select(e => e.Where));
        Assert.Equal((1, 1), (report.Truncated, report.Dropped));
        var cut = kept[1];
        int c = ContextOverflow.FirstTargetStart(cut.Chosen), r = ContextOverflow.FirstTargetStart(cut.Rejected);
        Assert.Equal(512, Math.Max(cut.Chosen.Length, cut.Rejected.Length));
        Assert.Equal(cut.Chosen.Ids[..c], cut.Rejected.Ids[..r]); // the same prompt in both
        Assert.Equal(pairs[1].Chosen.Ids[ContextOverflow.FirstTargetStart(pairs[1].Chosen)..], cut.Chosen.Ids[c..]);
        Assert.Equal(pairs[1].Rejected.Ids[ContextOverflow.FirstTargetStart(pairs[1].Rejected)..], cut.Rejected.Ids[r..]);
        var prompt = encoder.Tokenizer.Decode(cut.Chosen.Ids.AsSpan(0, c));
        Assert.Contains("Be kind.", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("START", prompt, StringComparison.Ordinal);
        Assert.Contains("both completions", report.Entries[0].Detail, StringComparison.Ordinal);

        var (dropped, dropReport) = PreferenceData.Fit(pairs, encoder, "training", 512, OverflowPolicy.Drop);
        Assert.Single(dropped);
        Assert.Equal(2, dropReport.Dropped);

        var e = Assert.Throws<TrainingException>(() => DpoRun.Start(new DpoRunOptions
        {
            ModelPath = Stories, Template = "chatml", PairsFile = path, Threads = 1, OnOverflow = OverflowPolicy.Fail,
        }, Path.Combine(dir, "run")));
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(path)}:2: \d{{3,}} tokens", e.Message);
        Assert.Contains($"{path}:3: ", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "run")));
    }

    [Fact]
    public void Rft_prompts_count_the_sampled_tokens_and_truncation_keeps_the_system_prompt_and_the_last_user_turn()
    {
        var encoder = ChatEncoder.Load(Stories, null, "chatml");
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "prompts.jsonl");
        File.WriteAllLines(path,
        [
            JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = "Name a pet." } }, answer = "cat" }),
            JsonSerializer.Serialize(new
            {
                messages = new[]
                {
                    new { role = "system", content = "Be kind." },
                    new { role = "user", content = "START " + LongText(120) },
                    new { role = "assistant", content = "Sure." },
                    new { role = "user", content = "And the final question?" },
                },
                answer = "dog",
            }),
        ]);
        var prompts = RftPromptData.ReadOrThrow(path, encoder);
        Assert.True(prompts[1].PromptIds.Length < 512, "the prompt alone fits; only with --max-tokens it does not");
        var (kept, report) = RftPromptData.Fit(prompts, encoder, "training", 512, maxTokens: 200, OverflowPolicy.Truncate);
        var entry = Assert.Single(report.Entries);
        Assert.Equal($"{path}:2", entry.Where);
        Assert.Equal(prompts[1].PromptIds.Length + 200 + 1, entry.Tokens);
        Assert.True(entry.Truncated, entry.Detail);
        Assert.Equal(512 - 200 - 1, kept[1].PromptIds.Length);
        var text = encoder.Tokenizer.Decode(kept[1].PromptIds);
        Assert.Contains("Be kind.", text, StringComparison.Ordinal);
        Assert.Contains("And the final question?", text, StringComparison.Ordinal);
        Assert.DoesNotContain("START", text, StringComparison.Ordinal);
        Assert.Equal("dog", kept[1].Item.GetProperty("answer").GetString()); // the grader still sees the whole item

        var (dropped, dropReport) = RftPromptData.Fit(prompts, encoder, "training", 512, maxTokens: 200, OverflowPolicy.Drop);
        Assert.Single(dropped);
        Assert.Equal(1, dropReport.Dropped);
    }
}
