using System.Text;
using Hone.Data.Checks;
using Hone.Data.Cost;
using static Hone.Data.Tests.Checks.CheckHelper;

namespace Hone.Data.Tests.Checks;

public class DatasetFindingTests
{
    private const string Long = "the quick brown fox jumps over the lazy dog while the farmer counts his sheep in the green field near the old mill by the river";

    [Fact]
    public void Near_duplicates_are_found_at_the_threshold_and_distinct_texts_are_not()
    {
        var bad = Check([.. Filler(), Chat(Long, "yes"), Chat(Long.Replace("old mill", "old barn", StringComparison.Ordinal), "yes")]);
        var f = Assert.Single(bad.Findings, x => x.Code == FindingCodes.NearDuplicateExample);
        Assert.Equal(12, f.Line);
        Assert.Equal(1, bad.Dataset.NearDuplicates);
        Assert.Contains("0.80", bad.Dataset.NearDuplicateMethod, StringComparison.Ordinal);
        var good = Check([.. Filler(), Chat(Long, "yes"), Chat("an entirely different request about tax forms and filing deadlines this spring", "no")]);
        Assert.Equal(0, good.CountOf(FindingCodes.NearDuplicateExample));
    }

    [Fact]
    public void Label_imbalance_warns_when_one_label_dominates()
    {
        IEnumerable<string> Set(int pos, int neg) =>
            Enumerable.Range(0, pos).Select(i => Chat($"review {i} loved it", "positive"))
            .Concat(Enumerable.Range(0, neg).Select(i => Chat($"review {i} hated it", "negative")));
        var bad = Check(Set(18, 2));
        Assert.Equal(1, bad.CountOf(FindingCodes.LabelImbalance));
        Assert.Equal([("positive", 18), ("negative", 2)], bad.Dataset.Labels!.Select(l => (l.Label, l.Count)));
        var good = Check(Set(10, 10));
        Assert.Equal(0, good.CountOf(FindingCodes.LabelImbalance));
        Assert.Equal(2, good.Dataset.Labels!.Count);
        Assert.Null(Check(Filler()).Dataset.Labels); // free-text outputs are not labels
    }

    [Fact]
    public void Leakage_between_train_and_valid_is_an_error_in_the_valid_file()
    {
        var train = Write(Filler());
        var leaky = Write([Chat("question number 4 about topic 28", "some other answer"), Chat("fresh question", "fresh answer")], "valid.jsonl");
        var r = new DataChecker(new DataCheckOptions { ValidFile = leaky }).Check(train);
        var f = Assert.Single(r.Findings, x => x.Code == FindingCodes.TrainValidLeakage);
        Assert.Equal(1, f.Line);
        Assert.Equal(leaky, f.File);
        Assert.Contains(train, f.Message, StringComparison.Ordinal); // the leak names its source: the training file and line
        Assert.Equal(1, r.Dataset.LeakedValidExamples);
        Assert.Equal(2, r.Dataset.ValidExamples);
        var clean = Write([Chat("fresh question", "fresh answer")], "valid.jsonl");
        Assert.Equal(0, new DataChecker(new DataCheckOptions { ValidFile = clean }).Check(train).CountOf(FindingCodes.TrainValidLeakage));
    }

    [Fact]
    public void Over_context_limit_and_too_few_examples()
    {
        var options = new DataCheckOptions { ContextLimit = 200 };
        var bad = Check([.. Filler(), Chat(new string('x', 2000), "a")], options);
        var f = Assert.Single(bad.Findings, x => x.Code == FindingCodes.OverContextLimit);
        Assert.Equal(11, f.Line);
        Assert.Equal(1, bad.Tokens!.OverLimit);
        Assert.Equal(0, Check(Filler(), options).CountOf(FindingCodes.OverContextLimit));

        Assert.Equal(1, Check(Filler(9)).CountOf(FindingCodes.TooFewExamples));
        Assert.Equal(0, Check(Filler(10)).CountOf(FindingCodes.TooFewExamples));
    }

    [Fact]
    public void Over_context_examples_say_what_training_will_do_with_them()
    {
        // With a context limit (given, or a local model's), the report says what `hone train` does: drop by default.
        var given = Check([.. Filler(), Chat(new string('x', 2000), "a"), Chat(new string('y', 3000), "b")], new DataCheckOptions { ContextLimit = 200 });
        Assert.Equal(2, given.Tokens!.OverLimit);
        Assert.StartsWith("2 examples over the 200-token context: hone train drops them by default (--on-overflow drop)", given.Tokens.OverLimitAction, StringComparison.Ordinal);
        Assert.Contains("--on-overflow truncate", given.Tokens.OverLimitAction, StringComparison.Ordinal);
        var f = given.Findings.First(x => x.Code == FindingCodes.OverContextLimit);
        Assert.Equal(11, f.Line);
        Assert.Contains("hone train drops it by default (--on-overflow drop)", f.Message, StringComparison.Ordinal);
        Assert.Contains("\"over_limit_action\"", given.ToJson(), StringComparison.Ordinal);

        // Without one (the hosted default), it says hosted fine-tuning truncates; with nothing over the limit, nothing.
        var hosted = Check([.. Filler(), Chat(new string('x', 80_000), "a")]);
        Assert.StartsWith("1 example over the 16,385-token context: hosted fine-tuning truncates them", hosted.Tokens!.OverLimitAction, StringComparison.Ordinal);
        Assert.Null(Check(Filler(), new DataCheckOptions { ContextLimit = 200 }).Tokens!.OverLimitAction);
    }

    [Fact]
    public void Malformed_lines_are_reported_and_the_rest_of_the_file_is_still_checked()
    {
        var path = Write([]);
        var bytes = new List<byte>([0xEF, 0xBB, 0xBF]);
        foreach (var l in Filler()) bytes.AddRange(Encoding.UTF8.GetBytes(l + "\r\n"));
        bytes.AddRange("\n{\"messages\": [\n"u8.ToArray());
        bytes.AddRange([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}', (byte)'\n']);
        bytes.AddRange("[1]\n"u8.ToArray());
        bytes.AddRange(Encoding.UTF8.GetBytes(Chat("last good", "one") + "\n"));
        bytes.AddRange("{\"messages\":[{\"role\":\"us"u8.ToArray());
        File.WriteAllBytes(path, [.. bytes]);
        var r = new DataChecker().Check(path);
        Assert.Equal(1, r.CountOf(FindingCodes.Bom));
        Assert.Equal(10, r.CountOf(FindingCodes.CrlfLineEnding));
        Assert.Equal(1, r.CountOf(FindingCodes.BlankLine));
        Assert.Equal(12, Assert.Single(r.Findings, f => f.Code == FindingCodes.InvalidJson).Line);
        Assert.Equal(13, Assert.Single(r.Findings, f => f.Code == FindingCodes.InvalidUtf8).Line);
        Assert.Equal(14, Assert.Single(r.Findings, f => f.Code == FindingCodes.DataType).Line);
        Assert.Equal(16, Assert.Single(r.Findings, f => f.Code == FindingCodes.TruncatedLastLine).Line);
        Assert.Equal(11, r.ValidExamples);
        Assert.Equal(16, r.Lines);
    }

    [Fact]
    public void Lone_surrogate_escapes_are_findings_on_their_line_not_a_crash()
    {
        // Issue 18 item 11: "\ud800" in content used to throw InvalidOperationException out of the validator (exit 3).
        var r = Check([.. Filler(), Chat("hi \\ud800 there", "ok"), Chat("fine \\ud83d\\ude00", "ok"), Chat("q", "low \\udc00")]);
        var found = r.Findings.Where(f => f.Code == FindingCodes.InvalidUnicodeEscape).ToList();
        Assert.Equal([11L, 13L], found.Select(f => f.Line!.Value));
        Assert.All(found, f => Assert.Contains("surrogate", f.Message, StringComparison.Ordinal));
        Assert.Equal(11, r.ValidExamples); // the surrogate pair on line 12 is a valid character
    }

    [Fact]
    public void Distinct_system_prompts_past_the_tracked_ones_are_still_counted_and_ranked()
    {
        // One system prompt per example (say, with a date in it) must not keep every prompt's text in memory: past
        // MaxTrackedSystemPrompts they are counted by sort, and the most used one is still found.
        string Line(string system, int i) => $$"""{"messages":[{"role":"system","content":"{{system}}"},{"role":"user","content":"q {{i}}"},{"role":"assistant","content":"a {{i}}"}]}""";
        var lines = new List<string>();
        for (var i = 0; i < 4300; i++) lines.Add(Line($"You are bot number {i}.", i));
        for (var i = 4300; i < 4500; i++) lines.Add(Line("The late favourite.", i));
        lines.Add(Line("You are bot number 7.", 4500));
        var r = Check(lines, new DataCheckOptions { FindNearDuplicates = false });
        Assert.Equal(4301, r.Dataset.DistinctSystemPrompts);
        var top = r.Dataset.SystemPrompts;
        Assert.Equal((200, 4301L), (top[0].Count, top[0].FirstLine));
        Assert.Contains("first used on line 4301", top[0].Preview, StringComparison.Ordinal);
        Assert.Equal(("You are bot number 7.", 2, 8L), (top[1].Preview, top[1].Count, top[1].FirstLine));
        Assert.Equal((1, 1L), (top[2].Count, top[2].FirstLine));
        Assert.Contains("4301 distinct system prompts (most used: 200 examples from line 4301)",
            Assert.Single(r.Findings, f => f.Code == FindingCodes.InconsistentSystemPrompts).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Findings_per_code_are_capped_but_all_counted()
    {
        var r = Check([.. Enumerable.Range(0, 30).Select(i => $$"""{"messages":[{"role":"user","content":"q{{i}}"},{"role":"assistant","content":"a{{i}}"}]}""")],
            new DataCheckOptions { MaxFindingsPerCode = 5 });
        Assert.Equal(30, r.CountOf(FindingCodes.MissingSystemMessage));
        Assert.Equal(5, r.Findings.Count(f => f.Code == FindingCodes.MissingSystemMessage));
        Assert.True(r.FindingsTruncated);
    }

    [Fact]
    public void Options_are_validated_once_with_the_option_named()
    {
        Assert.Contains("epochs", Assert.Throws<ArgumentException>(() => new DataChecker(new DataCheckOptions { Epochs = 0 })).Message, StringComparison.Ordinal);
        Assert.Contains("threshold", Assert.Throws<ArgumentException>(() => new DataChecker(new DataCheckOptions { NearDuplicateThreshold = 1.5 })).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DataChecker(new DataCheckOptions { ValidFile = "/nonexistent/v.jsonl" }));
    }

    [Fact]
    public void Price_from_model_table_and_flat_price()
    {
        var r = Check(Filler(), new DataCheckOptions { Model = "gpt-4o-mini" });
        Assert.Equal(3.00m, r.Cost!.PricePer1M);
        Assert.Equal(65_536, r.Tokens!.ContextLimit);
        Assert.Equal(10, r.Cost.Epochs); // 10 examples: min(25, 100 // 10)
        Assert.Equal(Math.Round(r.Cost.BilledTokens / 1_000_000m * 3m, 4), r.Cost.EstimatedUsd);
        var flat = Check(Filler(), new DataCheckOptions { PricePer1M = 2m, Epochs = 2 });
        Assert.Equal(2, flat.Cost!.Epochs);
        Assert.Contains("epochs given", flat.Cost.Rule, StringComparison.Ordinal);
    }
}

public class CostTests
{
    [Theory]
    [InlineData(1, 25)]     // 3 < 100: min(25, 100)
    [InlineData(5, 20)]     // 15 < 100: 100 // 5
    [InlineData(33, 3)]     // 99 < 100: min(25, 100 // 33) = 3
    [InlineData(34, 3)]     // 102: default
    [InlineData(8_333, 3)]  // 24,999: default
    [InlineData(8_334, 2)]  // 25,002 > 25,000: 25,000 // 8,334 = 2
    [InlineData(30_000, 1)] // max(1, 0)
    public void Auto_epochs_follow_the_openai_rule(int n, int epochs) => Assert.Equal(epochs, EpochRule.AutoEpochs(n));

    [Fact]
    public void Billed_tokens_cap_each_example_at_the_limit()
    {
        var c = CostEstimator.Estimate([100, 5_000, 300], 1_000, epochs: null, pricePer1M: 3m, priceSource: "t");
        Assert.Equal(1_400, c.BilledTokensPerEpoch);
        Assert.Equal(25, c.Epochs);
        Assert.Equal(35_000, c.BilledTokens);
        Assert.Equal(0.105m, c.EstimatedUsd);
    }

    [Fact]
    public void Percentiles_interpolate_like_numpy()
    {
        int[] x = [1, 2, 3, 4, 10];
        Assert.Equal(3, Percentiles.OfSorted(x, 50));
        Assert.Equal(1.2, Percentiles.OfSorted(x, 5), 10);
        Assert.Equal(8.8, Percentiles.OfSorted(x, 95), 10);
    }

    [Fact]
    public void Price_table_loads_yaml_and_json_and_rejects_bad_files()
    {
        var yaml = PriceTable.Parse("models:\n  my-model-2025: { training_per_1m: 1.25 }\n", "p.yaml");
        Assert.Equal(1.25m, yaml.Find("my-model")!.TrainingPer1M);
        var json = PriceTable.Parse("""{"models": {"m": {"training_per_1m": 4}}}""", "p.json");
        Assert.Equal(4m, json.Find("m")!.TrainingPer1M);
        Assert.Contains("p.yaml:2", Assert.Throws<PriceTableException>(() => PriceTable.Parse("models:\n  m: { price: 1 }\n", "p.yaml")).Message, StringComparison.Ordinal);
        Assert.Throws<PriceTableException>(() => PriceTable.Parse("models:\n  m: { training_per_1m: -1 }\n", "p.yaml"));
        Assert.Throws<PriceTableException>(() => PriceTable.Load("/nonexistent/prices.yaml"));
        Assert.Equal(3.00m, PriceTable.Default.Find("gpt-4o-mini-2024-07-18")!.TrainingPer1M);
    }
}
