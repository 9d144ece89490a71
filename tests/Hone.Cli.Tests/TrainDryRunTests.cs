using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary><c>--dry-run</c> of dpo, sft-then-dpo and rft: the plan of each stage, the hosted price where tokens are known, nothing written.</summary>
public class TrainDryRunTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    [Fact]
    public void Dpo_and_sft_then_dpo_dry_runs_plan_each_stage_price_the_pairs_and_write_nothing()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        TrainDpoRftTests.WritePairs(dir, "pairs.jsonl");
        var before = TrainEstimateTests.Snapshot(dir);
        string[] common = ["--model", Stories, "--template", "chatml", "--pairs", "pairs.jsonl", "--epochs", "2", "--batch-size", "2", "--threads", "1", "--dry-run"];

        var dpo = CliRunner.Run(dir, ["train", "dpo", .. common, "--json"]);
        Assert.True(dpo.ExitCode == 0, dpo.Stderr);
        var plan = Assert.Single(dpo.Json.GetProperty("plans").EnumerateArray());
        Assert.Equal("dpo", plan.GetProperty("kind").GetString());
        Assert.Equal((2, 4L, 3), (plan.GetProperty("epochs").GetInt32(), plan.GetProperty("steps").GetInt64(), plan.GetProperty("items").GetInt32()));
        long dpoTokens = plan.GetProperty("training_tokens").GetInt64();
        Assert.True(dpoTokens > 2 * 3 * 2 * 5, $"{dpoTokens} tokens"); // chosen and rejected rows, each a dozen tokens or so, 2 epochs
        Assert.True(dpo.Json.GetProperty("hosted_usd").GetDecimal() >= 0);

        var two = CliRunner.Run(dir, ["train", "sft-then-dpo", .. common, "--sft-epochs", "3", "--json"]);
        Assert.True(two.ExitCode == 0, two.Stderr);
        var stages = two.Json.GetProperty("plans").EnumerateArray().ToList();
        Assert.Equal(["sft", "sft-then-dpo"], stages.Select(s => s.GetProperty("kind").GetString()));
        Assert.Equal(3, stages[0].GetProperty("epochs").GetInt32());
        long sftTokens = stages[0].GetProperty("training_tokens").GetInt64();
        Assert.True(sftTokens > 0 && sftTokens < dpoTokens * 3 / 2, $"{sftTokens} SFT tokens (chosen rows only, 3 epochs) vs {dpoTokens}");
        Assert.Equal(dpoTokens, stages[1].GetProperty("training_tokens").GetInt64());

        var text = CliRunner.Run(dir, ["train", "sft-then-dpo", .. common, "--sft-epochs", "3"]);
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains("plan: sft, 3 epoch(s)", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("plan: sft-then-dpo, 2 epoch(s) × 2 steps = 4 steps", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("hosted equivalent: $", text.Stdout, StringComparison.Ordinal);
        Assert.Equal(before, TrainEstimateTests.Snapshot(dir));
    }

    [Fact]
    public void Rft_dry_run_plans_without_sampling_checks_the_grader_and_writes_nothing()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        TrainRftTests.WritePrompts(dir, "train.jsonl");
        File.WriteAllText(Path.Combine(dir, "grader.yaml"), TrainRftTests.Grader);
        var before = TrainEstimateTests.Snapshot(dir);
        string[] args = ["train", "rft", "--model", Stories, "--template", "chatml", "--train", "train.jsonl", "--valid", "train.jsonl",
            "--grader", "grader.yaml", "--max-tokens", "4", "--epochs", "3", "--prompts-per-step", "2", "--threads", "1", "--dry-run"];

        var r = CliRunner.Run(dir, [.. args, "--json"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var plan = Assert.Single(r.Json.GetProperty("plans").EnumerateArray());
        Assert.Equal((3, 6L, 4), (plan.GetProperty("epochs").GetInt32(), plan.GetProperty("steps").GetInt64(), plan.GetProperty("items").GetInt32()));
        Assert.False(plan.TryGetProperty("training_tokens", out _)); // sampled during the run: unknown, so left out
        Assert.False(r.Json.TryGetProperty("hosted_usd", out _));
        var text = CliRunner.Run(dir, args);
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains("hosted equivalent: not priced", text.Stdout, StringComparison.Ordinal);
        Assert.Equal(before, TrainEstimateTests.Snapshot(dir));

        File.WriteAllText(Path.Combine(dir, "grader.yaml"), "type: string_check\ninput: \"{{ sample.output_text }}\"\nreference: x\noperation: equals\n");
        var bad = CliRunner.Run(dir, args);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("operation", bad.Stderr, StringComparison.Ordinal);
    }
}
