using System.Text.Json;
using Hone.Cli;
using Hone.Cli.Commands;
using Hone.Testing;
using Hone.Training.Analysis;

namespace Hone.Cli.Tests;

/// <summary>The curve diagnosis as people read it: named in words, and present when training went fine.</summary>
public class DiagnosisViewTests
{
    private static string Print(IReadOnlyList<CurveFinding> findings, long steps)
    {
        var stdout = new StringWriter();
        var ctx = new CliContext(stdout, TextWriter.Null, Path.GetTempPath(), json: false, interactive: false);
        DiagnosisView.Print(ctx.Console, findings, steps);
        return stdout.ToString();
    }

    [Fact]
    public void Findings_are_named_in_words_not_enum_names()
    {
        var text = Print(
        [
            new(CurveFindingKind.OverFitting, "Validation loss rose.", "Train for fewer epochs."),
            new(CurveFindingKind.UnderFitting, "Still falling.", "Train longer."),
            new(CurveFindingKind.NotConverging, "Barely moved.", "Raise the rate."),
        ], 40);
        Assert.Contains("diagnosis over-fitting: Validation loss rose. Train for fewer epochs.", text, StringComparison.Ordinal);
        Assert.Contains("diagnosis under-fitting: Still falling.", text, StringComparison.Ordinal);
        Assert.Contains("diagnosis not converging: Barely moved.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("OverFitting", text, StringComparison.Ordinal);
        Assert.DoesNotContain("UnderFitting", text, StringComparison.Ordinal);
        Assert.DoesNotContain("NotConverging", text, StringComparison.Ordinal);
        Assert.DoesNotContain("no problems", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_healthy_run_says_no_problems_were_found_and_a_short_one_says_it_is_too_short()
    {
        Assert.Contains("diagnosis no problems found", Print([], 40), StringComparison.Ordinal);
        var shortRun = Print([], 3);
        Assert.Contains("too few steps (3)", shortRun, StringComparison.Ordinal);
        Assert.DoesNotContain("no problems", shortRun, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_sft_prints_a_diagnosis_line()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        File.WriteAllLines(Path.Combine(dir, "train.jsonl"), Enumerable.Range(0, 8).Select(i => JsonSerializer.Serialize(new
        {
            messages = new object[] { new { role = "user", content = $"Is {i} even?" }, new { role = "assistant", content = i % 2 == 0 ? "yes" : "no" } },
        })));
        var r = CliRunner.Run(dir, "train", "sft", "--model", TestAssets.Path("models", "stories260K", "stories260K.bin"), "--template", "chatml",
            "--train", "train.jsonl", "--epochs", "2", "--batch-size", "2", "--lora-rank", "2", "--threads", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // Whatever the curves say, there is a diagnosis line, in words.
        var lines = r.Stdout.Split('\n').Where(l => l.StartsWith("diagnosis", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(lines);
        foreach (var l in lines)
            Assert.Matches(@"^diagnosis( (not converging|under-fitting|over-fitting): | no problems found|: too few steps)", l);
    }
}
