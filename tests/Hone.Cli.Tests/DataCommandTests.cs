using System.Text.Json;
using Hone.Testing;

namespace Hone.Cli.Tests;

public class DataCommandTests
{
    private static string Cookbook(string name) => TestAssets.Path("datasets", "openai-cookbook", name);

    [Fact]
    public void Check_toy_file_finds_no_format_error_and_warns_about_lines_3_and_4()
    {
        var r = CliRunner.Run(TestAssets.NewTempDir(), "data", "check", Cookbook("toy_chat_fine_tuning.jsonl"), "--json");
        Assert.Equal(0, r.ExitCode);
        var j = r.Json;
        Assert.Equal(5, j.GetProperty("examples").GetInt64());
        Assert.Equal(0, j.GetProperty("errors").GetInt64());
        var findings = j.GetProperty("findings").EnumerateArray().ToList();
        Assert.Contains(findings, f => f.GetProperty("code").GetString() == "missing_system_message" && Line(f) == 3);
        Assert.Contains(findings, f => f.GetProperty("code").GetString() == "missing_user_message" && Line(f) == 4);
    }

    [Fact]
    public void Check_drone_file_passes_with_its_tools()
    {
        var r = CliRunner.Run(TestAssets.NewTempDir(), "data", "check", Cookbook("drone_training.jsonl"), "--json");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(0, r.Json.GetProperty("errors").GetInt64());
        Assert.Equal(103, r.Json.GetProperty("examples").GetInt64());
    }

    [Fact]
    public void Check_a_malformed_file_exits_1_with_line_numbers_and_leaves_the_file_untouched()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "bad.jsonl");
        var text = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}\nnot json\n{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}\n";
        File.WriteAllText(path, text);
        var r = CliRunner.Run(dir, "data", "check", "bad.jsonl", "--json");
        Assert.Equal(1, r.ExitCode);
        var findings = r.Json.GetProperty("findings").EnumerateArray().ToList();
        Assert.Contains(findings, f => Line(f) == 2 && f.GetProperty("severity").GetString() == "Error");
        Assert.Contains(findings, f => f.GetProperty("code").GetString() == "unrecognized_role" && Line(f) == 3);
        Assert.Equal(text, File.ReadAllText(path));
    }

    [Fact]
    public void Check_no_near_duplicates_skips_the_search_and_keeps_exact_duplicates()
    {
        var dir = TestAssets.NewTempDir();
        const string Long = "the quick brown fox jumps over the lazy dog while the farmer counts his sheep in the green field near the old mill by the river";
        string Line(string user) => $$"""{"messages":[{"role":"system","content":"s"},{"role":"user","content":"{{user}}"},{"role":"assistant","content":"yes"}]}""";
        File.WriteAllLines(Path.Combine(dir, "d.jsonl"), [Line(Long), Line(Long.Replace("old mill", "old barn", StringComparison.Ordinal)), Line(Long)]);
        var with = CliRunner.Run(dir, "data", "check", "d.jsonl", "--json").Json.GetProperty("dataset");
        Assert.Equal(1, with.GetProperty("near_duplicates").GetInt32());
        Assert.Equal(1, with.GetProperty("exact_duplicates").GetInt32());
        var without = CliRunner.Run(dir, "data", "check", "d.jsonl", "--no-near-duplicates", "--json").Json.GetProperty("dataset");
        Assert.False(without.TryGetProperty("near_duplicates", out var nd) && nd.ValueKind != JsonValueKind.Null);
        Assert.Equal(1, without.GetProperty("exact_duplicates").GetInt32());
        var human = CliRunner.Run(dir, "data", "check", "d.jsonl", "--no-near-duplicates");
        Assert.Contains("not computed (--no-near-duplicates)", human.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_a_missing_file_is_an_input_error()
    {
        var r = CliRunner.Run(TestAssets.NewTempDir(), "data", "check", "nope.jsonl");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("not found", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_with_a_local_model_counts_real_tokens()
    {
        var dir = TestAssets.NewTempDir();
        var r = CliRunner.Run(dir, "data", "check", Cookbook("toy_chat_fine_tuning.jsonl"), "--json",
            "--model", TestAssets.Path("models", "stories260K", "stories260K.bin"), "--template", "chatml");
        Assert.Equal(0, r.ExitCode);
        var tokens = r.Json.GetProperty("tokens");
        Assert.False(tokens.GetProperty("is_estimate").GetBoolean());
        Assert.Equal(512, tokens.GetProperty("context_limit").GetInt32()); // stories260K's context, from the model
        Assert.Equal("context length of the model stories260K.bin", tokens.GetProperty("context_limit_source").GetString());

        var given = CliRunner.Run(dir, "data", "check", Cookbook("toy_chat_fine_tuning.jsonl"), "--json", "--context-limit", "300",
            "--model", TestAssets.Path("models", "stories260K", "stories260K.bin"), "--template", "chatml");
        Assert.Equal(300, given.Json.GetProperty("tokens").GetProperty("context_limit").GetInt32());
        Assert.Equal("given", given.Json.GetProperty("tokens").GetProperty("context_limit_source").GetString());
    }

    [Fact]
    public void Import_ag_news_then_split_and_ladder_keep_class_proportions()
    {
        var dir = TestAssets.NewTempDir();
        var imp = CliRunner.Run(dir, "data", "import", "csv", Cookbook("AG_news_samples.csv"), "--out", "ag.jsonl",
            "--system", "Classify the news headline into World, Sports, Business or Sci/Tech.",
            "--user-template", "{{title}}\n{{description}}", "--assistant-column", "label", "--json");
        Assert.Equal(0, imp.ExitCode);
        Assert.Equal(2000, imp.Json.GetProperty("imported").GetInt32());
        Assert.Equal(2000, File.ReadLines(Path.Combine(dir, "ag.jsonl")).Count());

        var split = CliRunner.Run(dir, "data", "split", "ag.jsonl", "--valid", "0.2", "--test", "0.2", "--stratify", "label", "--seed", "7", "--json");
        Assert.Equal(0, split.ExitCode);
        var all = Labels(split.Json.GetProperty("labels"));
        Assert.Equal(4, all.Count);
        var parts = split.Json.GetProperty("parts").EnumerateArray().ToList();
        Assert.Equal(2000, parts.Sum(p => p.GetProperty("count").GetInt32()));
        foreach (var part in parts)
        {
            var count = part.GetProperty("count").GetInt32();
            foreach (var (label, n) in Labels(part.GetProperty("labels")))
                Assert.InRange(n, all[label] * (double)count / 2000 - 1, all[label] * (double)count / 2000 + 1);
        }

        var ladder = CliRunner.Run(dir, "data", "ladder", "ag.jsonl", "--sizes", "25,50,100,200", "--seed", "7", "--json");
        Assert.Equal(0, ladder.ExitCode);
        var rungs = ladder.Json.GetProperty("rungs").EnumerateArray().ToList();
        Assert.Equal([25, 50, 100, 200], rungs.Select(r => r.GetProperty("size").GetInt32()));
        HashSet<string>? smaller = null;
        foreach (var rung in rungs)
        {
            var size = rung.GetProperty("size").GetInt32();
            foreach (var (label, n) in Labels(rung.GetProperty("labels")))
                Assert.InRange(n, all[label] * (double)size / 2000 - 1, all[label] * (double)size / 2000 + 1);
            var lines = File.ReadLines(rung.GetProperty("path").GetString()!).ToHashSet();
            Assert.Equal(size, lines.Count);
            if (smaller is not null) Assert.Subset(lines, smaller); // nested: each contains the smaller ones
            smaller = lines;
        }
    }

    [Fact]
    public void Export_converts_chat_to_prompt_completion()
    {
        var dir = TestAssets.NewTempDir();
        var r = CliRunner.Run(dir, "data", "export", Cookbook("toy_chat_fine_tuning.jsonl"), "--to", "prompt-completion", "--out", "pc.jsonl", "--json");
        Assert.Equal(0, r.ExitCode);
        var first = JsonDocument.Parse(File.ReadLines(Path.Combine(dir, "pc.jsonl")).First()).RootElement;
        Assert.True(first.TryGetProperty("prompt", out _));
        Assert.True(first.TryGetProperty("completion", out _));
    }

    [Fact]
    public void Import_refuses_to_overwrite_its_input()
    {
        var dir = TestAssets.NewTempDir();
        var input = Path.Combine(dir, "in.json");
        File.WriteAllText(input, "[]");
        var r = CliRunner.Run(dir, "data", "import", "alpaca", "in.json", "--out", "in.json");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("[]", File.ReadAllText(input));
    }

    [Fact]
    public void Mask_preview_shows_trained_and_masked_tokens()
    {
        var dir = TestAssets.NewTempDir();
        var r = CliRunner.Run(dir, "data", "mask-preview", Cookbook("toy_chat_fine_tuning.jsonl"), "--example", "1",
            "--model", TestAssets.Path("models", "stories260K", "stories260K.bin"), "--template", "chatml", "--json");
        Assert.Equal(0, r.ExitCode);
        var trained = r.Json.GetProperty("trained_tokens").GetInt32();
        var masked = r.Json.GetProperty("masked_tokens").GetInt32();
        Assert.True(trained > 0 && masked > 0);
        var trainedText = string.Concat(r.Json.GetProperty("tokens").EnumerateArray()
            .Where(t => t.GetProperty("trained").GetBoolean()).Select(t => t.GetProperty("text").GetString()));
        var answer = JsonDocument.Parse(File.ReadLines(Cookbook("toy_chat_fine_tuning.jsonl")).First()).RootElement
            .GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString()!;
        Assert.StartsWith(answer, trainedText, StringComparison.Ordinal);
    }

    private static long? Line(JsonElement finding) =>
        finding.GetProperty("line").ValueKind == JsonValueKind.Number ? finding.GetProperty("line").GetInt64() : null;

    private static Dictionary<string, int> Labels(JsonElement e) =>
        e.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
}
