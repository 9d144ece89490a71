using System.Text.Json;
using Hone.Testing;

namespace Hone.Cli.Tests;

public class TrainRftTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    private static readonly string[] Questions = ["Who is in the park?", "Who found the ball?", "Who was sad?", "Who likes the dog?"];

    /// <summary>Reinforcement JSONL: one user turn plus an item field (<c>word</c>) the grader reads.</summary>
    internal static void WritePrompts(string dir, string name, bool brokenSecond = false) =>
        File.WriteAllLines(Path.Combine(dir, name), Questions.Select((q, i) => JsonSerializer.Serialize(brokenSecond && i == 1
            ? new { messages = new[] { new { role = "user", content = q } } } as object
            : new { messages = new[] { new { role = "user", content = q } }, word = "Lily" })));

    /// <summary>The reward: the reply starts with one word of a list (rare for the base model); the item's word is a tracked component.</summary>
    internal const string Grader = """
        type: multi
        name: answer
        calculate_output: first_word
        graders:
          first_word:
            type: regex
            pattern: "^\\s*(Lily|Tim|Then|She|He|Sure|Her|The)\\b"
            ignore_case: true
          mentions:
            type: string_check
            input: "{{ sample.output_text }}"
            reference: "{{ item.word }}"
            operation: ilike
        """;

    private static string[] Args(params string[] extra) =>
    [
        "train", "rft", "--model", Stories, "--template", "chatml", "--train", "train.jsonl", "--valid", "valid.jsonl", "--grader", "grader.yaml",
        "--max-tokens", "4", "--lr-multiplier", "10", "--lora-rank", "4", "--seed", "11", "--threads", "2", "--eval-every", "4",
        .. extra,
    ];

    [Fact]
    public void Rft_run_raises_the_reward_and_records_metrics_csv_and_run()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        WritePrompts(dir, "train.jsonl");
        WritePrompts(dir, "valid.jsonl");
        File.WriteAllText(Path.Combine(dir, "grader.yaml"), Grader);
        var r = CliRunner.Run(dir, Args("--epochs", "8", "--samples-per-prompt", "8", "--json"));
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var j = r.Json;
        Assert.Equal(16, j.GetProperty("steps").GetInt64());
        Assert.Equal("answer", j.GetProperty("reward").GetString());
        double first = j.GetProperty("train_reward_mean_first").GetDouble(), last = j.GetProperty("train_reward_mean_last").GetDouble();
        Assert.True(last >= first + 0.3, $"train_reward_mean {first:0.00} → {last:0.00}");
        Assert.Equal(0, j.GetProperty("findings").GetArrayLength());
        var folder = j.GetProperty("folder").GetString()!;
        var csv = File.ReadAllLines(Path.Combine(folder, "results.csv"));
        Assert.StartsWith("step,epoch,train_loss,train_reward_mean,kl", csv[0], StringComparison.Ordinal);
        Assert.Equal(17, csv.Length);
        Assert.Contains("full_valid_mean_reward", File.ReadAllText(Path.Combine(folder, "chart.svg")), StringComparison.Ordinal);
        Assert.Equal(0, j.GetProperty("diagnosis").GetArrayLength()); // the reward rose: nothing to diagnose
        Assert.Equal("rft", JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "run.json"))).RootElement.GetProperty("kind").GetString());
        var epochs = j.GetProperty("epochs_metrics");
        Assert.Equal(8, epochs.GetArrayLength());
        Assert.True(epochs[7].GetProperty("full_valid_reward").TryGetProperty("first_word", out _));

        var runs = CliRunner.Run(dir, "runs", "--kind", "rft", "--json").Json.GetProperty("runs");
        Assert.Equal("succeeded", runs[0].GetProperty("status").GetString());
        using var store = Hone.Store.Workspace.Open(dir).OpenStore();
        var id = j.GetProperty("run").GetString()!;
        var names = store.GetMetricNames(id);
        foreach (var name in new[] { "train_reward_mean", "train_reward/first_word", "train_reward/mentions", "valid_reward_mean", "full_valid_mean_reward",
            "full_valid_mean_parse_error", "full_valid_reward/first_word", "kl", "zero_variance_group_share" })
            Assert.Contains(name, names);
        Assert.Equal(16, store.GetMetric(id, "train_reward_mean").Count);
    }

    [Fact]
    public void Bad_grader_is_exit_2_naming_the_key_and_a_failing_grader_is_a_finding_with_the_line()
    {
        var dir = TestAssets.NewTempDir();
        WritePrompts(dir, "train.jsonl", brokenSecond: true);
        WritePrompts(dir, "valid.jsonl");
        File.WriteAllText(Path.Combine(dir, "grader.yaml"), "type: string_check\ninput: \"{{ sample.output_text }}\"\nreference: x\noperation: equals\n");
        var bad = CliRunner.Run(dir, Args("--epochs", "1", "--out", "bad"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("grader.yaml", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("operation", bad.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "bad")) && Directory.EnumerateFileSystemEntries(Path.Combine(dir, "bad")).Any());

        // Line 2 of train.jsonl has no 'allowed' field: the grader fails on its samples (a missing field, not a parse error).
        File.WriteAllText(Path.Combine(dir, "grader.yaml"), Grader);
        var r = CliRunner.Run(dir, Args("--epochs", "1", "--samples-per-prompt", "2", "--prompts-per-step", "4", "--out", "skip", "--json"));
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var finding = Assert.Single(r.Json.GetProperty("findings").EnumerateArray());
        Assert.EndsWith("train.jsonl:2", finding.GetProperty("where").GetString(), StringComparison.Ordinal);
        Assert.Contains("word", finding.GetProperty("message").GetString(), StringComparison.Ordinal);

        var stop = CliRunner.Run(dir, Args("--epochs", "1", "--samples-per-prompt", "2", "--prompts-per-step", "4", "--on-grader-error", "stop", "--out", "stop"));
        Assert.Equal(2, stop.ExitCode);
        Assert.Contains("train.jsonl:2", stop.Stderr, StringComparison.Ordinal);

        var json = CliRunner.Run(dir, [.. Args("--epochs", "1", "--out", "json").Select(a => a == "grader.yaml" ? "grader.json" : a)]);
        Assert.Equal(2, json.ExitCode); // grader.json does not exist
        File.WriteAllText(Path.Combine(dir, "grader.json"), """{"type": "string_check", "name": "x", "input": "{{sample.output_text}}", "reference": "Lily", "operation": "eq", "extra": 1}""");
        json = CliRunner.Run(dir, [.. Args("--epochs", "1", "--out", "json").Select(a => a == "grader.yaml" ? "grader.json" : a)]);
        Assert.Equal(2, json.ExitCode);
        Assert.Contains("extra", json.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grader_results_map_to_reward_components_parse_flag_and_errors()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "grader.yaml"), Grader);
        var reward = Hone.App.Training.RewardFromGraders.Load(Path.Combine(dir, "grader.yaml"));
        Assert.Equal("answer", reward.Name);
        var item = JsonSerializer.SerializeToElement(new { word = "lily" });
        var hit = await reward.ScoreAsync("Lily ran home.", item, default);
        Assert.Equal((1.0, false, (string?)null), (hit.Reward, hit.ParseError, hit.Error));
        Assert.Equal(new Dictionary<string, double> { ["first_word"] = 1, ["mentions"] = 1 }, hit.Components);
        var miss = await reward.ScoreAsync("A dog.", item, default);
        Assert.Equal(0, miss.Reward);
        var missing = await reward.ScoreAsync("Lily ran.", JsonSerializer.SerializeToElement(new { other = 1 }), default);
        Assert.Equal(0, missing.Reward);
        Assert.Contains("word", missing.Error, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(dir, "json.yaml"), "type: json_valid\nname: is_json\n");
        var json = Hone.App.Training.RewardFromGraders.Load(Path.Combine(dir, "json.yaml"));
        var bad = await json.ScoreAsync("not json", item, default);
        Assert.Equal((0.0, true, (string?)null), (bad.Reward, bad.ParseError, bad.Error));
        var good = await json.ScoreAsync("{\"a\": 1}", item, default);
        Assert.Equal(1.0, Assert.Single(good.Components, c => c.Key == "is_json").Value);
    }
}
