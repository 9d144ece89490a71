using System.Text.Json;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>
/// <c>hone train sft --eval-spec</c> scores each checkpoint on a golden set (eval runs of model run:RUN@EPOCH in the
/// store), <c>hone eval --model run:RUN[@EPOCH]</c> evaluates a run's checkpoint with no export, and <c>hone export</c>
/// takes the best checkpoint by default.
/// </summary>
public sealed class EvalSpecTrainingTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    /// <summary>A workspace with train.jsonl (parity questions) and evals/parity.yaml over 6 golden cases.</summary>
    internal static string ParityWorkspace()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        static string Line(int i) => JsonSerializer.Serialize(new
        {
            messages = new object[] { new { role = "user", content = $"Is {i} even?" }, new { role = "assistant", content = i % 2 == 0 ? "yes" : "no" } },
        });
        File.WriteAllLines(Path.Combine(dir, "train.jsonl"), Enumerable.Range(0, 16).Select(Line));
        File.WriteAllLines(Path.Combine(dir, "evals", "golden.jsonl"), Enumerable.Range(100, 6).Select(i =>
            JsonSerializer.Serialize(new { id = $"c{i}", q = $"Is {i} even?", a = i % 2 == 0 ? "yes" : "no" })));
        File.WriteAllText(Path.Combine(dir, "evals", "parity.yaml"), """
            golden_set: golden.jsonl
            prompt:
              template: "{{item.q}}"
            graders:
              - type: classification
                name: label
                reference: "{{item.a}}"
                labels: ["yes", "no"]
            primary_metric: label
            max_tokens: 3
            """);
        return dir;
    }

    [Fact]
    public void Checkpoints_are_scored_on_the_golden_set_and_the_run_is_a_model_for_eval_and_export()
    {
        var dir = ParityWorkspace();
        var r = CliRunner.Run(dir, "train", "sft", "--model", Stories, "--template", "chatml", "--train", "train.jsonl", "--epochs", "2",
            "--batch-size", "8", "--lora-rank", "2", "--threads", "1", "--eval-spec", "parity", "--out", "run", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("--eval-spec: 2 epoch checkpoint(s) × 6 golden cases", r.Stderr, StringComparison.Ordinal); // said before training
        var scores = r.Json.GetProperty("golden_scores");
        Assert.Equal(2, scores.GetArrayLength());
        var best = r.Json.GetProperty("best_checkpoint");
        var csv = File.ReadAllLines(Path.Combine(dir, "run", "results.csv"));
        Assert.EndsWith(",golden_accuracy", csv[0], StringComparison.Ordinal);
        Assert.Contains(r.Json.GetProperty("diagnosis").EnumerateArray(), f => f.GetProperty("kind").GetString() == "BestCheckpoint");

        // Each checkpoint's score is an eval run of run:FOLDER@EPOCH in the store.
        var evals = CliRunner.Run(dir, "runs", "--kind", "eval", "--json").Json.GetProperty("runs");
        Assert.Equal(2, evals.GetArrayLength());

        // hone eval on run:run@1 is the same model as the scorer's: every answer from the cache, the same accuracy.
        var e = CliRunner.Run(dir, "eval", "parity", "--model", "run:run@1", "--json");
        Assert.True(e.ExitCode == 0, e.Stderr);
        var run0 = e.Json.GetProperty("runs")[0];
        Assert.Equal(0, run0.GetProperty("model_calls").GetInt64());
        Assert.Equal(scores[0].GetProperty("accuracy").GetDouble(), run0.GetProperty("summary").GetProperty("accuracy").GetDouble());
        var bad = CliRunner.Run(dir, "eval", "parity", "--model", "run:nowhere");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("neither a run folder nor a run id", bad.Stderr, StringComparison.Ordinal);

        var x = CliRunner.Run(dir, "export", "run", "--format", "adapter", "--json");
        Assert.True(x.ExitCode == 0, x.Stderr);
        Assert.Equal(best.GetProperty("epoch").GetInt32(), x.Json.GetProperty("epoch").GetInt32());
        Assert.Equal("best by golden_accuracy", x.Json.GetProperty("chosen_by").GetString());
        var latest = CliRunner.Run(dir, "export", "run", "--format", "adapter", "--latest", "--out", "latest", "--json");
        Assert.Equal((2, "newest"), (latest.Json.GetProperty("epoch").GetInt32(), latest.Json.GetProperty("chosen_by").GetString()));
    }

    [Theory]
    [InlineData("dpo")]
    [InlineData("rft")]
    public void Dpo_and_rft_runs_score_their_checkpoints_too(string kind)
    {
        var dir = ParityWorkspace();
        File.WriteAllLines(Path.Combine(dir, "pairs.jsonl"), Enumerable.Range(0, 8).Select(i => JsonSerializer.Serialize(new
        {
            input = new { messages = new[] { new { role = "user", content = $"Is {i} even?" } } },
            preferred_output = new[] { new { role = "assistant", content = i % 2 == 0 ? "yes" : "no" } },
            non_preferred_output = new[] { new { role = "assistant", content = i % 2 == 0 ? "no" : "yes" } },
        })));
        File.WriteAllLines(Path.Combine(dir, "prompts.jsonl"), Enumerable.Range(0, 8).Select(i => JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = $"Is {i} even?" } }, label = i % 2 == 0 ? "yes" : "no",
        })));
        File.WriteAllText(Path.Combine(dir, "grader.yaml"), "type: string_check\nname: label\ninput: \"{{sample.output_text}}\"\nreference: \"{{item.label}}\"\noperation: eq\n");
        string[] args = kind == "dpo"
            ? ["train", "dpo", "--pairs", "pairs.jsonl", "--batch-size", "8"]
            : ["train", "rft", "--train", "prompts.jsonl", "--valid", "prompts.jsonl", "--grader", "grader.yaml", "--samples-per-prompt", "2", "--prompts-per-step", "4", "--max-tokens", "2"];
        var r = CliRunner.Run(dir, [.. args, "--model", Stories, "--template", "chatml", "--epochs", "2", "--lora-rank", "2", "--threads", "1",
            "--eval-spec", "parity", "--out", kind, "--json"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal([1, 2], r.Json.GetProperty("golden_scores").EnumerateArray().Select(g => g.GetProperty("epoch").GetInt32()));
        var best = r.Json.GetProperty("best_checkpoint").GetProperty("epoch").GetInt32();
        Assert.Contains(r.Json.GetProperty("diagnosis").EnumerateArray(), f => f.GetProperty("kind").GetString() == "BestCheckpoint");
        Assert.Contains(",golden_accuracy", File.ReadLines(Path.Combine(dir, kind, "results.csv")).First(), StringComparison.Ordinal);
        Assert.Equal(2, CliRunner.Run(dir, "runs", "--kind", "eval", "--json").Json.GetProperty("runs").GetArrayLength());
        var x = CliRunner.Run(dir, "export", kind, "--format", "adapter", "--json");
        Assert.True(x.ExitCode == 0, x.Stderr);
        Assert.Equal((best, "best by golden_accuracy"), (x.Json.GetProperty("epoch").GetInt32(), x.Json.GetProperty("chosen_by").GetString()));
    }

    [Fact]
    public void Eval_spec_outside_a_workspace_is_a_usage_error_and_starts_nothing()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "t.jsonl"), "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}\n");
        var r = CliRunner.Run(dir, "train", "sft", "--model", Stories, "--template", "chatml", "--train", "t.jsonl", "--eval-spec", "x.yaml", "--out", "run");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--eval-spec needs a workspace", r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "run")));
    }
}
