using System.Security.Cryptography;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>Training says its plan before the first step and its wall-time estimate once; <c>--dry-run</c> says the plan and writes nothing.</summary>
public class TrainEstimateTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    private static void WriteData(string dir, int n) => TrainCommandTests.WriteData(dir, "train.jsonl", n, 0);

    private static string[] Args(params string[] more) =>
        ["train", "sft", "--model", Stories, "--template", "chatml", "--train", "train.jsonl", "--epochs", "2", "--batch-size", "2", "--threads", "1", .. more];

    [Fact]
    public void Sft_says_its_plan_before_step_one_and_an_estimate_from_its_steady_steps()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        WriteData(dir, 12);

        var json = CliRunner.Run(dir, Args("--json"));
        Assert.True(json.ExitCode == 0, json.Stderr);
        var plan = Assert.Single(json.Json.GetProperty("plans").EnumerateArray());
        Assert.Equal(2, plan.GetProperty("epochs").GetInt32());
        Assert.Equal(12, plan.GetProperty("steps").GetInt64());
        Assert.Equal(12, plan.GetProperty("items").GetInt32());
        Assert.Equal(0, plan.GetProperty("scored_checkpoints").GetInt32());
        long tokens = plan.GetProperty("training_tokens").GetInt64();
        Assert.True(tokens > 2 * 12 * 5, $"{tokens} training tokens"); // each example is a dozen tokens or so, times 2 epochs
        Assert.Equal(0, tokens % 2);
        var estimate = Assert.Single(json.Json.GetProperty("estimates").EnumerateArray());
        Assert.Equal(12, estimate.GetProperty("steps").GetInt64());
        Assert.Equal((1, 5), (estimate.GetProperty("from_step").GetInt64(), estimate.GetProperty("to_step").GetInt64()));
        Assert.True(estimate.GetProperty("seconds").GetDouble() > 0);

        var text = CliRunner.Run(dir, Args("--out", "textrun"));
        Assert.True(text.ExitCode == 0, text.Stderr);
        var lines = text.Stdout.Split('\n');
        int planAt = Array.FindIndex(lines, l => l.StartsWith("plan: sft, 2 epoch(s) × 6 steps = 12 steps", StringComparison.Ordinal));
        int stepAt = Array.FindIndex(lines, l => l.Contains("step 1/12", StringComparison.Ordinal));
        int estimateAt = Array.FindIndex(lines, l => l.StartsWith("estimate: ~", StringComparison.Ordinal) && l.Contains("for 12 steps (from steps 1..5", StringComparison.Ordinal));
        Assert.True(planAt >= 0 && stepAt > planAt && estimateAt > stepAt, text.Stdout);
        Assert.Single(lines, l => l.StartsWith("estimate:", StringComparison.Ordinal));
    }

    [Fact]
    public void Dry_run_says_the_plan_and_the_hosted_price_and_writes_nothing()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        WriteData(dir, 12);
        var before = Snapshot(dir);

        var r = CliRunner.Run(dir, Args("--dry-run", "--json"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var plan = r.Json.GetProperty("plan");
        Assert.Equal(12, plan.GetProperty("steps").GetInt64());
        Assert.True(plan.GetProperty("training_tokens").GetInt64() > 0);
        Assert.True(r.Json.GetProperty("hosted_usd").GetDecimal() >= 0);
        Assert.StartsWith("gpt-4o-mini", r.Json.GetProperty("hosted_model").GetString(), StringComparison.Ordinal);

        var text = CliRunner.Run(dir, Args("--dry-run"));
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains("plan: sft, 2 epoch(s) × 6 steps = 12 steps", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("hosted equivalent: $", text.Stdout, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(dir)); // no run folder, no store row, nothing else
    }

    internal static SortedDictionary<string, string> Snapshot(string dir) =>
        new(Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);
}
