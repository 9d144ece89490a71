using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>
/// The walkthrough's two blocks: an example over the context (data check warned, train sft stopped with no line), and
/// LoRA on stories260K whose end-of-turn token is one the base never used.
/// </summary>
public class TrainOverflowAndModulesTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    private static string Chat(string user, string answer) => JsonSerializer.Serialize(new
    {
        messages = new object[] { new { role = "user", content = user }, new { role = "assistant", content = answer } },
    });

    /// <summary>Seven examples; line 3 is far over the 512-token context.</summary>
    private static void WriteTrain(string dir) => File.WriteAllLines(Path.Combine(dir, "train.jsonl"),
        Enumerable.Range(0, 7).Select(i => i == 2
            ? Chat(string.Join(' ', Enumerable.Range(0, 400).Select(w => $"dog{w % 10}")), "long")
            : Chat($"Is {i} even?", i % 2 == 0 ? "yes" : "no")));

    [Fact]
    public void Data_check_says_training_drops_the_over_long_example_train_drops_it_by_default_and_fail_names_its_line()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        WriteTrain(dir);

        var check = CliRunner.Run(dir, "data", "check", "train.jsonl", "--model", Stories, "--template", "chatml", "--json");
        Assert.True(check.ExitCode == 0, check.Stderr);
        var tokens = check.Json.GetProperty("tokens");
        Assert.Equal(1, tokens.GetProperty("over_limit").GetInt32());
        Assert.StartsWith("1 example over the 512-token context: hone train drops it by default (--on-overflow drop)",
            tokens.GetProperty("over_limit_action").GetString(), StringComparison.Ordinal);
        var human = CliRunner.Run(dir, "data", "check", "train.jsonl", "--model", Stories, "--template", "chatml");
        Assert.Contains("1 example over the 512-token context", human.Stdout, StringComparison.Ordinal);

        var train = CliRunner.Run(dir, "train", "sft", "--model", Stories, "--template", "chatml", "--train", "train.jsonl",
            "--epochs", "1", "--batch-size", "3", "--lora-rank", "2", "--threads", "1", "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Equal(6, train.Json.GetProperty("train_examples").GetInt32());
        var overflow = train.Json.GetProperty("overflow").GetProperty("training");
        Assert.Equal(("drop", 1, 0), (overflow.GetProperty("policy").GetString(), overflow.GetProperty("dropped").GetInt32(), overflow.GetProperty("truncated").GetInt32()));
        Assert.EndsWith("train.jsonl:3", overflow.GetProperty("entries")[0].GetProperty("where").GetString(), StringComparison.Ordinal);
        Assert.Contains("warning: 1 of 7 training examples are over the 512-token context (--on-overflow drop): 1 dropped", train.Stderr, StringComparison.Ordinal);
        var folder = train.Json.GetProperty("folder").GetString()!;
        Assert.Equal(1, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "run.json")))!["resolved"]!["overflow"]!["training"]!["dropped"]!);

        var fail = CliRunner.Run(dir, "train", "sft", "--model", Stories, "--template", "chatml", "--train", "train.jsonl",
            "--epochs", "1", "--threads", "1", "--on-overflow", "fail", "--out", "failed-run");
        Assert.Equal(2, fail.ExitCode);
        Assert.Matches(@"train\.jsonl:3: \d{3,} tokens", fail.Stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "failed-run")));
        Assert.Equal(1, CliRunner.Run(dir, "runs", "--json").Json.GetProperty("runs").GetArrayLength()); // nothing registered

        var bad = CliRunner.Run(dir, "train", "sft", "--model", Stories, "--template", "chatml", "--train", "train.jsonl", "--on-overflow", "squeeze", "--out", "x");
        Assert.Equal(2, bad.ExitCode);
    }

    [Fact]
    public void Lora_warns_about_the_unused_end_of_turn_token_and_modules_to_save_train_export_and_generate()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllLines(Path.Combine(dir, "train.jsonl"), Enumerable.Range(0, 6).Select(i => Chat($"Is {i} even?", i % 2 == 0 ? "yes" : "no")));
        string[] common = ["train", "sft", "--model", Stories, "--template", "plain", "--train", "train.jsonl", "--epochs", "1", "--batch-size", "3",
            "--lora-rank", "2", "--threads", "1", "--json"];

        var plain = CliRunner.Run(dir, [.. common, "--out", "lora"]);
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.Contains("warning: the end-of-turn token '</s>' (id 2) looks untrained in the base", plain.Stderr, StringComparison.Ordinal);
        Assert.Contains("--modules-to-save embed_tokens,lm_head", plain.Stderr, StringComparison.Ordinal);
        Assert.Contains(plain.Json.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("end-of-turn", StringComparison.Ordinal));

        var saved = CliRunner.Run(dir, [.. common, "--modules-to-save", "embed_tokens,lm_head", "--out", "lora-saved"]);
        Assert.True(saved.ExitCode == 0, saved.Stderr);
        Assert.DoesNotContain("end-of-turn", saved.Stderr, StringComparison.Ordinal);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "lora-saved", "run.json")))!;
        Assert.Equal(["embed_tokens", "lm_head"], manifest["options"]!["lora"]!["modules_to_save"]!.AsArray().Select(x => (string)x!));

        var resumed = CliRunner.Run(dir, "train", "resume", "lora-saved", "--json"); // the manifest gives the modules back
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(1, resumed.Json.GetProperty("resumed_from_epoch").GetInt32());

        var export = CliRunner.Run(dir, "export", "lora-saved", "--format", "adapter", "--out", "adapter", "--json");
        Assert.True(export.ExitCode == 0, export.Stderr);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapter", "adapter_config.json")))!;
        Assert.Equal(["embed_tokens", "lm_head"], config["modules_to_save"]!.AsArray().Select(x => (string)x!));
        var generate = CliRunner.Run(dir, "generate", "--model", Stories, "--adapter", "adapter", "--prompt", "Once", "--max-tokens", "4", "--threads", "1");
        Assert.True(generate.ExitCode == 0, generate.Stderr);

        var unknown = CliRunner.Run(dir, [.. common, "--modules-to-save", "norm", "--out", "bad"]);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("embed_tokens", unknown.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "bad")));
    }

    [Fact]
    public void Trainable_tokens_train_the_end_of_turn_rows_reach_the_manifest_and_the_adapter_and_bad_ids_register_nothing()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode); // a workspace: runs are registered
        File.WriteAllLines(Path.Combine(dir, "train.jsonl"), Enumerable.Range(0, 6).Select(i => Chat($"Is {i} even?", i % 2 == 0 ? "yes" : "no")));
        string[] common = ["train", "sft", "--model", Stories, "--template", "plain", "--train", "train.jsonl", "--epochs", "1", "--batch-size", "3",
            "--lora-rank", "2", "--threads", "1", "--json"];

        var rows = CliRunner.Run(dir, [.. common, "--trainable-tokens", "2", "--out", "lora-rows"]);
        Assert.True(rows.ExitCode == 0, rows.Stderr);
        Assert.DoesNotContain("end-of-turn", rows.Stderr, StringComparison.Ordinal); // the token the warning names now trains
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "lora-rows", "run.json")))!;
        Assert.Equal([2], manifest["options"]!["lora"]!["trainable_token_indices"]!.AsArray().Select(x => (int)x!));

        var export = CliRunner.Run(dir, "export", "lora-rows", "--format", "adapter", "--out", "adapter", "--json");
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.Contains("trainable_token_indices", File.ReadAllText(Path.Combine(dir, "adapter", "adapter_config.json")), StringComparison.Ordinal);

        var outside = CliRunner.Run(dir, [.. common, "--trainable-tokens", "2,99999", "--out", "outside"]);
        Assert.Equal(2, outside.ExitCode);
        Assert.Contains("99999", outside.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "outside")));
        var text = CliRunner.Run(dir, [.. common, "--trainable-tokens", "eos", "--out", "text"]);
        Assert.Equal(2, text.ExitCode);
        Assert.Contains("--trainable-tokens", text.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, CliRunner.Run(dir, "runs", "--json").Json.GetProperty("runs").GetArrayLength()); // only the good run
    }
}
