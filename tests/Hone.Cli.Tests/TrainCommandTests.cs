using System.Text.Json;
using Hone.Testing;

namespace Hone.Cli.Tests;

public class TrainCommandTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    internal static string WriteData(string dir, string name, int n, int offset)
    {
        var path = Path.Combine(dir, name);
        string[] answers = ["yes", "no"];
        File.WriteAllLines(path, Enumerable.Range(offset, n).Select(i => JsonSerializer.Serialize(new
        {
            messages = new object[]
            {
                new { role = "user", content = $"Is {i} even?" },
                new { role = "assistant", content = answers[i % 2] },
            },
        })));
        return path;
    }

    [Fact]
    public void Sft_lora_run_writes_metrics_curves_checkpoints_and_a_manifest_and_records_the_run()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        WriteData(dir, "train.jsonl", 12, 0);
        WriteData(dir, "valid.jsonl", 4, 100);

        var r = CliRunner.Run(dir, "train", "sft", "--model", Stories, "--template", "chatml", "--train", "train.jsonl", "--valid", "valid.jsonl",
            "--epochs", "2", "--batch-size", "4", "--lr-multiplier", "10", "--lora-rank", "4", "--threads", "1", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = r.Json;
        Assert.Equal(2, j.GetProperty("epochs").GetInt32());
        Assert.Equal(6, j.GetProperty("steps").GetInt64());
        var folder = j.GetProperty("folder").GetString()!;
        var csv = File.ReadAllLines(Path.Combine(folder, "results.csv"));
        Assert.Equal("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy", csv[0]);
        Assert.Equal(7, csv.Length);
        Assert.True(File.Exists(Path.Combine(folder, "run.json")));
        Assert.True(File.Exists(Path.Combine(folder, "chart.svg")));
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(folder, "checkpoints")).Length);
        Assert.Equal(2, j.GetProperty("epochs_metrics").GetArrayLength()); // full_valid_* at each epoch end

        var runs = CliRunner.Run(dir, "runs", "--kind", "sft", "--json").Json.GetProperty("runs");
        Assert.Equal("succeeded", runs[0].GetProperty("status").GetString());
        var train = CliRunner.Run(dir, "runs", "--json").Json; // the store lists it
        Assert.True(train.GetProperty("runs").GetArrayLength() >= 1);

        // A finished run resumes to the same end: nothing left to train, same final metrics.
        var resumed = CliRunner.Run(dir, "train", "resume", folder, "--json");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(2, resumed.Json.GetProperty("resumed_from_epoch").GetInt32());
    }

    [Fact]
    public void Bad_inputs_are_clear_errors_and_write_nothing()
    {
        var dir = TestAssets.NewTempDir();
        var missing = CliRunner.Run(dir, "train", "sft", "--model", Stories, "--template", "chatml", "--train", "nope.jsonl", "--out", "run");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.jsonl", missing.Stderr, StringComparison.Ordinal);

        var noTemplate = CliRunner.Run(dir, "train", "sft", "--model", Stories, "--train", WriteData(dir, "t.jsonl", 4, 0), "--out", "run2");
        Assert.Equal(2, noTemplate.ExitCode);
        Assert.Contains("--template", noTemplate.Stderr, StringComparison.Ordinal);

        var badEpochs = CliRunner.Run(dir, "train", "sft", "--model", Stories, "--train", "t.jsonl", "--epochs", "zero", "--out", "run3");
        Assert.Equal(2, badEpochs.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(dir, "run3")));
    }

    [Fact]
    public void Resume_dispatches_on_the_run_kind_a_dpo_run_resumes_as_dpo()
    {
        var dir = TestAssets.NewTempDir();
        TrainDpoRftTests.WritePairs(dir, "pairs.jsonl");
        var r = CliRunner.Run(dir, "train", "dpo", "--model", Stories, "--template", "chatml", "--pairs", "pairs.jsonl",
            "--epochs", "2", "--batch-size", "3", "--lora-rank", "4", "--threads", "1", "--out", "dpo", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var resumed = CliRunner.Run(dir, "train", "resume", "dpo", "--json");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(2, resumed.Json.GetProperty("resumed_from_epoch").GetInt32());
        Assert.True(resumed.Json.TryGetProperty("train_pairs", out _)); // the DPO report, not the SFT one

        Directory.CreateDirectory(Path.Combine(dir, "odd"));
        File.WriteAllText(Path.Combine(dir, "odd", "run.json"), """{"kind":"distillation"}""");
        var odd = CliRunner.Run(dir, "train", "resume", "odd");
        Assert.Equal(2, odd.ExitCode);
        Assert.Contains("distillation", odd.Stderr, StringComparison.Ordinal);
    }
}
