using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>
/// <c>hone scale</c> and <c>hone sweep</c> end to end on stories260K with tiny budgets: estimates first, every trial
/// scored on the golden set, resumable (finished trials not retrained), the sweep's winner written back and taken by
/// the next <c>hone train sft</c>.
/// </summary>
public sealed class ScaleSweepTests
{
    private static readonly string Stories = TestAssets.Path("models", "stories260K", "stories260K.bin");

    private static string[] Common(params string[] more) =>
        ["--model", Stories, "--template", "chatml", "--data", "train.jsonl", "--spec", "parity", "--batch-size", "4", "--threads", "1", .. more, "--json"];

    [Fact]
    public void Scale_trains_each_rung_fits_the_gain_of_doubling_plots_it_and_resumes_without_retraining()
    {
        var dir = EvalSpecTrainingTests.ParityWorkspace();
        var r = CliRunner.Run(dir, ["scale", .. Common("--sizes", "4,8,16", "--epochs", "1", "--lora-rank", "2", "--out", "scale")]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var j = r.Json;
        Assert.True(j.GetProperty("estimate").GetProperty("tokens_per_second").GetDouble() > 0);
        Assert.True(j.GetProperty("estimate").GetProperty("seconds").GetDouble() > 0);
        Assert.Equal([4, 8, 16], j.GetProperty("rungs").EnumerateArray().Select(x => x.GetProperty("size").GetInt32()));
        Assert.All(j.GetProperty("rungs").EnumerateArray(), x => Assert.Equal(6, x.GetProperty("score").GetProperty("cases").GetInt32()));
        var fit = j.GetProperty("fit");
        Assert.True(fit.GetProperty("gain_low").GetDouble() <= fit.GetProperty("gain_per_doubling").GetDouble());
        Assert.True(fit.GetProperty("gain_high").GetDouble() >= fit.GetProperty("gain_per_doubling").GetDouble());
        Assert.True(File.Exists(j.GetProperty("chart").GetString()) && File.Exists(j.GetProperty("chart_png").GetString()));
        // The estimate comes from the probe at the study's batch size; the closing output holds it beside the time taken, kept in the folder.
        var probe = j.GetProperty("estimate").GetProperty("probe");
        Assert.Equal(4, probe.GetProperty("batch_size").GetInt32());
        Assert.True(probe.GetProperty("steps").GetInt32() >= 1 && probe.GetProperty("cases").GetInt32() == 6);
        var timing = j.GetProperty("timing");
        Assert.Equal(j.GetProperty("estimate").GetProperty("seconds").GetDouble(), timing.GetProperty("estimated_seconds").GetDouble());
        Assert.Equal(timing.GetProperty("actual_seconds").GetDouble() / timing.GetProperty("estimated_seconds").GetDouble(), timing.GetProperty("ratio").GetDouble(), 9);
        var kept = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "scale", "timing.json")))!.AsArray();
        Assert.Equal(timing.GetProperty("actual_seconds").GetDouble(), (double)kept.Single()!["actual_seconds"]!);

        // A killed study: the last rung's record lost after its run finished. Again: the other rungs reused, that one's
        // run resumed (nothing left to train: its checkpoint untouched) and scored; the same fit.
        var studyFile = Path.Combine(dir, "scale", "study.json");
        var study = JsonNode.Parse(File.ReadAllText(studyFile))!;
        study["trials"]!.AsArray().RemoveAt(2);
        File.WriteAllText(studyFile, study.ToJsonString());
        var checkpoint = Directory.GetDirectories(Path.Combine(dir, "scale", "rung-000016", "checkpoints")).Single();
        var written = File.GetLastWriteTimeUtc(Path.Combine(checkpoint, "state.safetensors"));
        var again = CliRunner.Run(dir, ["scale", .. Common("--sizes", "4,8,16", "--epochs", "1", "--lora-rank", "2", "--out", "scale")]);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal([true, true, false], again.Json.GetProperty("rungs").EnumerateArray().Select(x => x.GetProperty("reused").GetBoolean()));
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(checkpoint, "state.safetensors")));
        Assert.Equal(fit.GetProperty("gain_per_doubling").GetDouble(), again.Json.GetProperty("fit").GetProperty("gain_per_doubling").GetDouble());

        // Other settings in the same study folder are refused, naming the fix.
        var other = CliRunner.Run(dir, ["scale", .. Common("--sizes", "4,8,16", "--epochs", "2", "--lora-rank", "2", "--out", "scale")]);
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("other settings", other.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Sweep_scores_the_grid_marks_ties_with_the_best_and_writes_the_winner_for_the_next_train()
    {
        var dir = EvalSpecTrainingTests.ParityWorkspace();
        var r = CliRunner.Run(dir, ["sweep", .. Common("--epochs", "1,2", "--lr-multiplier", "8", "--lora-rank", "2", "--out", "sweep")]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var trials = r.Json.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(["e1-lr8-r2", "e2-lr8-r2"], trials.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(r.Json.GetProperty("estimate").GetProperty("seconds").GetDouble(), r.Json.GetProperty("timing").GetProperty("estimated_seconds").GetDouble());
        Assert.Equal(r.Json.GetProperty("seconds").GetDouble(), r.Json.GetProperty("timing").GetProperty("actual_seconds").GetDouble());
        Assert.All(trials, t => Assert.Equal("scored", t.GetProperty("status").GetString()));
        var best = Assert.Single(trials, t => t.GetProperty("best").GetBoolean());
        Assert.True(best.GetProperty("tied_with_best").GetBoolean());
        var top = trials.Max(t => t.GetProperty("score").GetProperty("accuracy").GetDouble());
        Assert.Equal(top, best.GetProperty("score").GetProperty("accuracy").GetDouble());
        foreach (var t in trials.Where(t => !t.GetProperty("best").GetBoolean()))
            Assert.Equal(t.GetProperty("p_value_vs_best").GetDouble() >= 0.05, t.GetProperty("tied_with_best").GetBoolean());

        var defaults = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "train-defaults.json")))!;
        Assert.Equal(best.GetProperty("epochs").GetInt32(), (int)defaults["epochs"]!);
        Assert.Equal(best.GetProperty("lr_multiplier").GetDouble(), (double)defaults["lr_multiplier"]!);
        var train = CliRunner.Run(dir, "train", "sft", "--model", Stories, "--template", "chatml", "--train", "train.jsonl", "--batch-size", "8",
            "--lr-multiplier", "3", "--threads", "1", "--out", "next", "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Equal(best.GetProperty("epochs").GetInt32(), train.Json.GetProperty("epochs").GetInt32());
        Assert.Equal(3 * 2e-4, train.Json.GetProperty("learning_rate").GetDouble(), 12); // given on the command line: kept
        Assert.Contains("train-defaults.json", train.Stderr, StringComparison.Ordinal);

        // Resumed: nothing retrained.
        var again = CliRunner.Run(dir, ["sweep", .. Common("--epochs", "1,2", "--lr-multiplier", "8", "--lora-rank", "2", "--out", "sweep")]);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.All(again.Json.GetProperty("trials").EnumerateArray(), t => Assert.Equal("reused", t.GetProperty("status").GetString()));
        Assert.False(again.Json.TryGetProperty("estimate", out var e) && e.ValueKind != JsonValueKind.Null); // nothing left to estimate
    }

    [Fact]
    public void Successive_halving_keeps_the_better_half_each_round_and_a_budget_too_small_for_any_trial_exits_1()
    {
        var dir = EvalSpecTrainingTests.ParityWorkspace();
        var r = CliRunner.Run(dir, ["sweep", .. Common("--epochs", "1", "--lr-multiplier", "1,2,8", "--lora-rank", "2", "--halving", "--no-write-defaults", "--out", "halving")]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var trials = r.Json.GetProperty("trials").EnumerateArray().ToList();
        int Count(int round, string status) => trials.Count(t => t.GetProperty("round").GetInt32() == round && t.GetProperty("status").GetString() == status);
        Assert.Equal((3, 2, 1), (Count(0, "scored"), Count(1, "scored"), Count(2, "scored"))); // the better half, rounded up
        Assert.Equal((1, 1), (Count(1, "stopped: halved out"), Count(2, "stopped: halved out")));
        Assert.Equal([4, 8, 16], trials.Where(t => t.GetProperty("status").GetString() == "scored").Select(t => t.GetProperty("examples").GetInt32()).Distinct());
        Assert.Equal(2, Assert.Single(trials, t => t.GetProperty("best").GetBoolean()).GetProperty("round").GetInt32());
        Assert.False(File.Exists(Path.Combine(dir, "train-defaults.json")));

        var tight = CliRunner.Run(dir, ["sweep", .. Common("--epochs", "50", "--lr-multiplier", "1", "--lora-rank", "2", "--time-budget", "1s", "--out", "tight")]);
        Assert.Equal(1, tight.ExitCode);
        Assert.Equal("skipped: time budget", tight.Json.GetProperty("trials")[0].GetProperty("status").GetString());
    }

    [Fact]
    public void Help_and_usage_errors()
    {
        var dir = EvalSpecTrainingTests.ParityWorkspace();
        foreach (var command in new[] { "scale", "sweep" })
        {
            var help = CliRunner.Run(dir, command, "--help");
            Assert.Equal(0, help.ExitCode);
            Assert.Contains("--spec", help.Stdout, StringComparison.Ordinal);
            Assert.Contains("--estimate-only", help.Stdout, StringComparison.Ordinal);
        }
        Assert.Equal(2, CliRunner.Run(dir, ["sweep", .. Common("--epochs", "1,x")]).ExitCode);
        Assert.Equal(2, CliRunner.Run(dir, ["sweep", .. Common("--time-budget", "soon")]).ExitCode);
        Assert.Equal(2, CliRunner.Run(dir, ["scale", .. Common("--sizes", "4,zero")]).ExitCode);
        var estimate = CliRunner.Run(dir, ["scale", .. Common("--sizes", "8,16", "--epochs", "1", "--lora-rank", "2", "--estimate-only", "--out", "est")]);
        Assert.True(estimate.ExitCode == 0, estimate.Stderr);
        Assert.True(estimate.Json.GetProperty("estimate").GetProperty("training_tokens").GetInt64() > 0);
        Assert.False(File.Exists(Path.Combine(dir, "est", "study.json")));
    }
}
