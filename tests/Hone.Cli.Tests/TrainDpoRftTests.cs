using System.Text.Json;
using Hone.Testing;

namespace Hone.Cli.Tests;

public class TrainDpoRftTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    internal static string WritePairs(string dir, string name)
    {
        var path = Path.Combine(dir, name);
        (string P, string C, string R)[] pairs = [("Name a pet.", "A cat.", "A rock."), ("What is the sky?", "Blue.", "Green."), ("Say hello.", "Hello!", "Go away.")];
        File.WriteAllLines(path, pairs.Select(p => JsonSerializer.Serialize(new
        {
            input = new { messages = new[] { new { role = "user", content = p.P } } },
            preferred_output = new[] { new { role = "assistant", content = p.C } },
            non_preferred_output = new[] { new { role = "assistant", content = p.R } },
        })));
        return path;
    }

    [Fact]
    public void Dpo_run_reports_reward_metrics_and_writes_csv_and_checkpoints()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        WritePairs(dir, "pairs.jsonl");
        var r = CliRunner.Run(dir, "train", "dpo", "--model", Stories, "--template", "chatml", "--pairs", "pairs.jsonl", "--valid", "pairs.jsonl",
            "--epochs", "4", "--batch-size", "3", "--lr-multiplier", "25", "--beta", "0.5", "--lora-rank", "4", "--threads", "2", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = r.Json;
        Assert.Equal(4, j.GetProperty("steps").GetInt64());
        var folder = j.GetProperty("folder").GetString()!;
        Assert.StartsWith("step,epoch,train_loss,rewards/chosen", File.ReadAllLines(Path.Combine(folder, "results.csv"))[0], StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder, "reference_logprobs.json")));
        var last = j.GetProperty("epochs_metrics")[3].GetProperty("metrics");
        Assert.Equal(1.0, last.GetProperty("full_valid_rewards/accuracies").GetDouble());
        var runs = CliRunner.Run(dir, "runs", "--kind", "dpo", "--json").Json.GetProperty("runs");
        Assert.Equal("succeeded", runs[0].GetProperty("status").GetString());
    }

    [Fact]
    public void Sft_then_dpo_and_bad_inputs()
    {
        var dir = TestAssets.NewTempDir();
        WritePairs(dir, "pairs.jsonl");
        var r = CliRunner.Run(dir, "train", "sft-then-dpo", "--model", Stories, "--template", "chatml", "--pairs", "pairs.jsonl",
            "--epochs", "2", "--sft-epochs", "1", "--batch-size", "3", "--lr-multiplier", "10", "--threads", "2", "--out", "run", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(1, r.Json.GetProperty("sft_stage").GetProperty("steps").GetInt64());
        Assert.True(File.Exists(Path.Combine(dir, "run", "dpo", "results.csv")));

        File.WriteAllText(Path.Combine(dir, "bad.jsonl"), File.ReadAllLines(Path.Combine(dir, "pairs.jsonl"))[0] + "\n{\"input\": 3}\n");
        var bad = CliRunner.Run(dir, "train", "dpo", "--model", Stories, "--template", "chatml", "--pairs", "bad.jsonl", "--out", "run2");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("bad.jsonl:2", bad.Stderr, StringComparison.Ordinal);
        var beta = CliRunner.Run(dir, "train", "dpo", "--model", Stories, "--template", "chatml", "--pairs", "pairs.jsonl", "--beta", "-1", "--out", "run3");
        Assert.Equal(2, beta.ExitCode);
        Assert.Contains("--beta", beta.Stderr, StringComparison.Ordinal);
    }
}
