using System.Text.Json;
using Hone.Testing;

namespace Hone.Cli.Tests;

public class DemoTests
{
    [Fact]
    public void Quick_demo_runs_the_whole_loop_and_a_second_run_reuses_the_base_model()
    {
        var dir = Path.Combine(TestAssets.NewTempDir(), "demo");
        var r = CliRunner.Run(TestAssets.NewTempDir(), "demo", "--quick", "--dir", dir, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);

        // Data part: the planted problems are caught, the clean set passes.
        var planted = r.Json.GetProperty("planted_findings");
        Assert.True(planted.TryGetProperty("duplicate_example", out _));
        Assert.True(planted.TryGetProperty("contradiction", out _));
        Assert.True(planted.TryGetProperty("example_missing_assistant_message", out _));
        Assert.Equal(0, r.Json.GetProperty("clean_errors").GetInt64());
        Assert.Equal(60, File.ReadLines(Path.Combine(dir, "data", "orders.jsonl")).Count());

        // The built-in base model is a Hugging Face folder with a chat template; it was pretrained (loss fell).
        var baseModel = r.Json.GetProperty("base_model");
        Assert.True(baseModel.GetProperty("builtin").GetBoolean());
        Assert.False(baseModel.GetProperty("cached").GetBoolean());
        Assert.True(baseModel.GetProperty("pretrain_loss_final").GetDouble() < baseModel.GetProperty("pretrain_loss_first").GetDouble());
        var modelDir = baseModel.GetProperty("path").GetString()!;
        foreach (var f in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(modelDir, f)), f);

        // The prompt stage ran before fine-tuning: direct against a one-shot variant, paired, on the first golden cases.
        var variants = r.Json.GetProperty("prompt_variants").GetProperty("variants");
        Assert.Equal(["direct", "one-shot"], variants.EnumerateArray().Select(v => v.GetProperty("name").GetString()));
        Assert.Equal(4, variants[1].GetProperty("vs_direct").GetProperty("cases").GetInt32());

        // Before and after were measured on the same 30 golden cases; the fine-tune wrote its curves.
        var before = r.Json.GetProperty("before");
        var after = r.Json.GetProperty("after");
        Assert.Equal(30, before.GetProperty("cases").GetInt32());
        Assert.Equal(30, after.GetProperty("cases").GetInt32());
        foreach (var s in new[] { before, after })
        {
            var ci = s.GetProperty("ci95").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            var acc = s.GetProperty("accuracy").GetDouble();
            Assert.True(ci[0] <= acc && acc <= ci[1]);
            Assert.Equal(5, s.GetProperty("fields").EnumerateObject().Count());
            var mean = s.GetProperty("field_mean").GetDouble();
            Assert.Equal(s.GetProperty("fields").EnumerateObject().Average(f => f.Value.GetDouble()), mean, 9);
            var fci = s.GetProperty("field_ci95").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            Assert.True(fci[0] <= mean + 1e-9 && mean <= fci[1] + 1e-9, $"{fci[0]} <= {mean} <= {fci[1]}");
        }
        var tune = r.Json.GetProperty("fine_tune");
        Assert.True(File.Exists(tune.GetProperty("chart").GetString()));
        Assert.True(tune.GetProperty("history").GetArrayLength() > 0);
        Assert.Equal(3, r.Json.GetProperty("examples").GetArrayLength());

        // The last step doubles the data: half the training split, then all of it (the fine-tune, its final checkpoint),
        // same settings, scored on the golden set.
        var scaling = r.Json.GetProperty("scaling");
        var rungs = scaling.GetProperty("rungs").EnumerateArray().ToList();
        Assert.Equal([24, 48], rungs.Select(x => x.GetProperty("size").GetInt32()));
        Assert.Equal(tune.GetProperty("golden_scores").EnumerateArray().Last().GetProperty("accuracy").GetDouble(), rungs[1].GetProperty("accuracy").GetDouble(), 12);
        Assert.All(rungs, x => Assert.Equal(30, x.GetProperty("cases").GetInt32()));
        Assert.Equal(rungs[1].GetProperty("accuracy").GetDouble() - rungs[0].GetProperty("accuracy").GetDouble(), scaling.GetProperty("gain_per_doubling").GetDouble(), 9);
        Assert.True(scaling.GetProperty("gain_low").GetDouble() < scaling.GetProperty("gain_high").GetDouble());
        Assert.True(File.Exists(scaling.GetProperty("chart").GetString()));

        // The fine-tune scored its checkpoints on the golden set (epochs 2, 4, 6 of 6); the best was kept, exported by
        // default and measured as the tuned model.
        var scores = tune.GetProperty("golden_scores").EnumerateArray().ToList();
        Assert.Equal([2, 4, 6], scores.Select(x => x.GetProperty("epoch").GetInt32()));
        var top = scores.Max(x => x.GetProperty("accuracy").GetDouble());
        var bestEpoch = scores.Last(x => x.GetProperty("accuracy").GetDouble() == top).GetProperty("epoch").GetInt32(); // ties: the newest
        Assert.Equal(bestEpoch, tune.GetProperty("best").GetProperty("epoch").GetInt32());
        var export = tune.GetProperty("export");
        Assert.Equal((bestEpoch, "best by golden_accuracy"), (export.GetProperty("epoch").GetInt32(), export.GetProperty("chosen_by").GetString()));
        Assert.True(File.Exists(Path.Combine(export.GetProperty("path").GetString()!, "adapter_model.safetensors")));
        Assert.Equal(top, after.GetProperty("accuracy").GetDouble(), 12);
        var exported = CliRunner.Run(dir, "export", tune.GetProperty("folder").GetString()!, "--format", "adapter", "--out", "again", "--json");
        Assert.True(exported.ExitCode == 0, exported.Stderr);
        Assert.Equal((bestEpoch, "best by golden_accuracy"), (exported.Json.GetProperty("epoch").GetInt32(), exported.Json.GetProperty("chosen_by").GetString()));

        // hone scale on the demo task: the accuracy of each rung and the gain of doubling, as JSON and as the table.
        string[] scale = ["scale", "--model", modelDir, "--data", Path.Combine("data", "orders.train.jsonl"), "--spec", "orders", "--sizes", "12,24,48",
            "--epochs", "2", "--lr-multiplier", "25", "--lora-rank", "4", "--batch-size", "8", "--out", "scale"];
        var study = CliRunner.Run(dir, [.. scale, "--json"]);
        Assert.True(study.ExitCode == 0, study.Stderr);
        Assert.Equal([12, 24, 48], study.Json.GetProperty("rungs").EnumerateArray().Select(x => x.GetProperty("size").GetInt32()));
        Assert.All(study.Json.GetProperty("rungs").EnumerateArray(), x => Assert.Equal(30, x.GetProperty("score").GetProperty("cases").GetInt32()));
        var table = CliRunner.Run(dir, scale);
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains("golden accuracy", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("doubling the data (48 → 96 examples)", table.Stdout, StringComparison.Ordinal);
        foreach (var rung in study.Json.GetProperty("rungs").EnumerateArray())
            Assert.Contains(EvalPct(rung.GetProperty("score").GetProperty("accuracy").GetDouble()), table.Stdout, StringComparison.Ordinal);

        // Before and after are eval runs: hone compare (and hone ui) pair them case by case.
        var cmp = CliRunner.Run(dir, "compare", before.GetProperty("eval_run").GetString()!, after.GetProperty("eval_run").GetString()!, "--json");
        Assert.True(cmp.ExitCode is 0 or 1, cmp.Stderr);
        Assert.Equal(30, cmp.Json.GetProperty("cases").GetInt32());

        // The built model works with the other commands.
        var gen = CliRunner.Run(dir, "generate", "--model", modelDir, "--prompt", "Maria ordered", "--max-tokens", "5", "--seed", "1", "--json");
        Assert.True(gen.ExitCode == 0, gen.Stderr);

        // A second demo in the same workspace reuses the base model.
        var again = CliRunner.Run(TestAssets.NewTempDir(), "demo", "--quick", "--dir", dir, "--json");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.True(again.Json.GetProperty("base_model").GetProperty("cached").GetBoolean());
        Assert.All(again.Json.GetProperty("scaling").GetProperty("rungs").EnumerateArray(), x => Assert.True(x.GetProperty("reused").GetBoolean())); // not retrained
        Assert.Equal(before.GetProperty("passed").GetInt32(), again.Json.GetProperty("before").GetProperty("passed").GetInt32());
        var runs = CliRunner.Run(dir, "runs", "--json");
        Assert.True(runs.Json.GetProperty("runs").GetArrayLength() >= 4);
    }

    private static string EvalPct(double v) => (v * 100).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%";

    [Fact]
    public void Demo_rejects_bad_options()
    {
        Assert.Equal(2, CliRunner.Run(TestAssets.NewTempDir(), "demo", "--examples", "5").ExitCode);
        Assert.Equal(2, CliRunner.Run(TestAssets.NewTempDir(), "demo", "--model", "no/such/model").ExitCode);
    }
}
