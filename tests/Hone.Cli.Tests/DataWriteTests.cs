using System.Text.Json;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>
/// Issue 18 items 8, 9, 10 and 15 for the data commands: escapes in command-line templates, a mistyped --model path is
/// an error, a broken input writes nothing (exit 2) unless --skip-invalid, and split names its outputs without doubling.
/// </summary>
public class DataWriteTests
{
    private static string Chat(int i, string answer) => JsonSerializer.Serialize(new
    {
        messages = new object[] { new { role = "user", content = $"question number {i} about topic {i * 7}" }, new { role = "assistant", content = answer } },
    });

    /// <summary>20 chat examples (labels A/B) with an unreadable line 6.</summary>
    private static string BrokenFile(string dir, string name = "data.jsonl")
    {
        var lines = Enumerable.Range(0, 20).Select(i => Chat(i, i % 2 == 0 ? "A" : "B")).ToList();
        lines.Insert(5, "{oops");
        File.WriteAllLines(Path.Combine(dir, name), lines);
        return name;
    }

    private static string[] Files(string dir) => [.. Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public void Split_and_ladder_of_a_broken_file_exit_2_naming_the_line_and_write_nothing()
    {
        var dir = TestAssets.NewTempDir();
        var name = BrokenFile(dir);
        var split = CliRunner.Run(dir, "data", "split", name, "--valid", "0.5", "--stratify", "label");
        Assert.Equal(2, split.ExitCode);
        Assert.Contains("data.jsonl:6", split.Stderr, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(split.Stderr, "data\\.jsonl:6")); // named once, not file:line: file:line:col
        Assert.Contains("--skip-invalid", split.Stderr, StringComparison.Ordinal);
        var ladder = CliRunner.Run(dir, "data", "ladder", name, "--sizes", "5,10");
        Assert.Equal(2, ladder.ExitCode);
        Assert.Contains("data.jsonl:6", ladder.Stderr, StringComparison.Ordinal);
        Assert.Equal([name], Files(dir));

        var skipped = CliRunner.Run(dir, "data", "split", name, "--valid", "0.5", "--stratify", "label", "--skip-invalid", "--json");
        Assert.True(skipped.ExitCode == 0, skipped.Stderr);
        Assert.Equal(20, skipped.Json.GetProperty("total").GetInt32());
        Assert.Equal(6, skipped.Json.GetProperty("problems")[0].GetProperty("line").GetInt64());
        Assert.Equal(0, CliRunner.Run(dir, "data", "ladder", name, "--sizes", "5,10", "--skip-invalid").ExitCode);
        Assert.Equal(5, Files(dir).Length); // input, train, valid, two rungs
    }

    [Fact]
    public void Import_and_export_of_a_broken_file_exit_2_and_leave_the_output_as_it_was()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "s.jsonl"),
            """{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}""" + "\n" +
            """{"conversations": [{"from": "robot", "value": "x"}]}""" + "\n");
        File.WriteAllText(Path.Combine(dir, "out.jsonl"), "previous\n");
        var imp = CliRunner.Run(dir, "data", "import", "sharegpt", "s.jsonl", "--out", "out.jsonl");
        Assert.Equal(2, imp.ExitCode);
        Assert.Contains("s.jsonl:2", imp.Stderr, StringComparison.Ordinal);
        Assert.Contains("--skip-invalid", imp.Stderr, StringComparison.Ordinal);
        Assert.Equal("previous\n", File.ReadAllText(Path.Combine(dir, "out.jsonl")));
        var skipped = CliRunner.Run(dir, "data", "import", "sharegpt", "s.jsonl", "--out", "out.jsonl", "--skip-invalid", "--json");
        Assert.True(skipped.ExitCode == 0, skipped.Stderr);
        Assert.Equal(1, skipped.Json.GetProperty("imported").GetInt32());
        Assert.Single(File.ReadAllLines(Path.Combine(dir, "out.jsonl")));

        var name = BrokenFile(dir);
        var export = CliRunner.Run(dir, "data", "export", name, "--to", "prompt-completion", "--out", "pc.jsonl");
        Assert.Equal(2, export.ExitCode);
        Assert.Contains("data.jsonl:6", export.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "pc.jsonl")));
        Assert.Equal(0, CliRunner.Run(dir, "data", "export", name, "--to", "prompt-completion", "--out", "pc.jsonl", "--skip-invalid").ExitCode);
        Assert.Equal(20, File.ReadAllLines(Path.Combine(dir, "pc.jsonl")).Length);
    }

    [Fact]
    public void Split_names_its_outputs_without_doubling_a_split_name()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllLines(Path.Combine(dir, "train.jsonl"), Enumerable.Range(0, 10).Select(i => Chat(i, "A")));
        var r = CliRunner.Run(dir, "data", "split", "train.jsonl", "--valid", "0.2", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["split.train.jsonl", "split.valid.jsonl"], r.Json.GetProperty("parts").EnumerateArray().Select(p => Path.GetFileName(p.GetProperty("path").GetString())));

        File.Copy(Path.Combine(dir, "train.jsonl"), Path.Combine(dir, "ag.train.jsonl"));
        File.Copy(Path.Combine(dir, "train.jsonl"), Path.Combine(dir, "ag.jsonl"));
        var nested = CliRunner.Run(dir, "data", "split", "ag.train.jsonl", "--valid", "0.2", "--test", "0.2", "--json");
        Assert.Equal(["ag.split.train.jsonl", "ag.split.valid.jsonl", "ag.split.test.jsonl"],
            nested.Json.GetProperty("parts").EnumerateArray().Select(p => Path.GetFileName(p.GetProperty("path").GetString())));
        var plain = CliRunner.Run(dir, "data", "split", "ag.jsonl", "--valid", "0.2", "--json");
        Assert.Equal(["ag.train.jsonl", "ag.valid.jsonl"], plain.Json.GetProperty("parts").EnumerateArray().Select(p => Path.GetFileName(p.GetProperty("path").GetString())));
    }

    private static string Cookbook(string name) => TestAssets.Path("datasets", "openai-cookbook", name);

    private static List<string> UserTurns(string path) =>
        [.. File.ReadLines(path).Take(3).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("messages").EnumerateArray()
            .First(m => m.GetProperty("role").GetString() == "user").GetProperty("content").GetString()!)];

    [Fact]
    public void Csv_templates_take_backslash_escapes_and_real_newlines_alike()
    {
        var dir = TestAssets.NewTempDir();
        string[] Args(string template, string output, string system = "Classify.") =>
            ["data", "import", "csv", Cookbook("AG_news_samples.csv"), "--out", output, "--system", system, "--user-template", template, "--assistant-column", "label"];
        Assert.Equal(0, CliRunner.Run(dir, Args("{{title}}\\n{{description}}", "escaped.jsonl", "Classify.\\tReply with the label.")).ExitCode);
        Assert.Equal(0, CliRunner.Run(dir, Args("{{title}}\n{{description}}", "real.jsonl")).ExitCode);
        Assert.Equal(0, CliRunner.Run(dir, Args("{{title}}\\\\n{{description}}", "literal.jsonl")).ExitCode);

        var escaped = UserTurns(Path.Combine(dir, "escaped.jsonl"));
        Assert.Equal("World Briefings\nBRITAIN: BLAIR WARNS", escaped[0][..36]);
        Assert.Equal(UserTurns(Path.Combine(dir, "real.jsonl")), escaped);
        Assert.StartsWith("World Briefings\\nBRITAIN", UserTurns(Path.Combine(dir, "literal.jsonl"))[0], StringComparison.Ordinal);
        var system = JsonDocument.Parse(File.ReadLines(Path.Combine(dir, "escaped.jsonl")).First()).RootElement.GetProperty("messages")[0];
        Assert.Equal("Classify.\tReply with the label.", system.GetProperty("content").GetString());

        var help = CliRunner.Run(dir, "data", "import", "--help");
        Assert.Contains("\\n", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_that_looks_like_a_path_and_does_not_exist_is_an_error_and_an_unknown_name_lists_close_names()
    {
        var dir = TestAssets.NewTempDir();
        var file = Cookbook("toy_chat_fine_tuning.jsonl");
        foreach (var missing in new[] { "./stories260K.bin", "models/tiny", "tiny.gguf", "~/nope/model.safetensors", "weights.bin" })
        {
            var r = CliRunner.Run(dir, "data", "check", file, "--model", missing);
            Assert.True(r.ExitCode == 2, $"{missing}: {r.ExitCode} {r.Stderr}");
            Assert.Contains(missing, r.Stderr, StringComparison.Ordinal);
            Assert.Contains("no such file or folder", r.Stderr, StringComparison.Ordinal);
        }

        var known = CliRunner.Run(dir, "data", "check", file, "--model", "gpt-4o-mini", "--json");
        Assert.True(known.ExitCode == 0, known.Stderr);
        Assert.Equal(3.00m, known.Json.GetProperty("cost").GetProperty("price_per_1m").GetDecimal());
        Assert.Equal(65_536, known.Json.GetProperty("tokens").GetProperty("context_limit").GetInt32());

        var typo = CliRunner.Run(dir, "data", "check", file, "--model", "gpt-4o-mni");
        Assert.Equal(2, typo.ExitCode);
        Assert.Contains("gpt-4o-mini-2024-07-18", typo.Stderr, StringComparison.Ordinal);
        var priceTypo = CliRunner.Run(dir, "data", "check", file, "--price-model", "gpt-4.1-mnii");
        Assert.Equal(2, priceTypo.ExitCode);
        Assert.Contains("gpt-4.1-mini-2025-04-14", priceTypo.Stderr, StringComparison.Ordinal);

        var init = CliRunner.Run(dir, "init", "ws", "--model", "./stories260K.bin");
        Assert.Equal(2, init.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(dir, "ws")));
    }
}
