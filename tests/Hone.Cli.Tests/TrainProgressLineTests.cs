using System.Text.RegularExpressions;
using Hone.Cli;
using Hone.Cli.Commands;
using Hone.Training.Runs;

namespace Hone.Cli.Tests;

/// <summary>The training progress line: one ETA from the measured pace, and a line that fits the terminal.</summary>
public class TrainProgressLineTests
{
    private static TrainingProgress At(long step, long total = 400, string phase = "train") =>
        new(phase, 1, 3, step, total, 12.3456, 0.512, 123_456, TimeSpan.FromHours(9)) { AccuracyName = "reward acc" };

    [Fact]
    public void Eta_comes_from_the_pace_after_the_warm_up_step()
    {
        // The first step takes 30 s (JIT, first allocations), every later one 1 s. After step 11 of 100 the honest ETA
        // is 89 s; a pace taken from the start (41 s for 11 steps) would say about 5.5 minutes.
        var now = TimeSpan.Zero;
        var line = new TrainProgressLine(() => now);
        now = TimeSpan.FromSeconds(30);
        line.Update(At(1, 100), 80, bar: false);
        Assert.Null(line.Eta);
        for (var step = 2; step <= 11; step++)
        {
            now += TimeSpan.FromSeconds(1);
            line.Update(At(step, 100), 80, bar: false);
        }
        Assert.NotNull(line.Eta);
        Assert.InRange(line.Eta!.Value.TotalSeconds, 88.5, 89.5);
    }

    [Fact]
    public void The_eta_is_gone_when_the_run_is_done_and_restarts_after_a_resume()
    {
        var now = TimeSpan.Zero;
        var line = new TrainProgressLine(() => now);
        line.Update(At(5, 10), 80, bar: false);
        now = TimeSpan.FromSeconds(5);
        line.Update(At(10, 10, "done"), 80, bar: false);
        Assert.Null(line.Eta);
        now = TimeSpan.FromSeconds(500);
        line.Update(At(3, 10), 80, bar: false); // a resumed run reports a lower step: measure afresh
        now = TimeSpan.FromSeconds(502);
        var text = line.Update(At(4, 10), 80, bar: false);
        Assert.InRange(line.Eta!.Value.TotalSeconds, 11.5, 12.5);
        Assert.Contains("ETA 0:12", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(80, true)]
    [InlineData(80, false)]
    [InlineData(40, true)]
    [InlineData(40, false)]
    [InlineData(120, true)]
    public void The_line_fits_the_width_and_shows_one_eta(int width, bool bar)
    {
        var progress = At(12_345, 99_999);
        var text = TrainProgressLine.Format(progress, TimeSpan.FromSeconds(276), width, bar);
        Assert.InRange(text.Length, 1, width);
        Assert.DoesNotContain('\n', text);
        Assert.Contains("step 12345/99999", text, StringComparison.Ordinal);
        Assert.Equal(1, CountOf(text, "ETA"));
        Assert.Contains("ETA 4:36", text, StringComparison.Ordinal);
        if (width >= 80) Assert.Contains("loss 12.3456", text, StringComparison.Ordinal);
        if (width >= 120) Assert.Contains("123,456 tok/s", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Interactive_display_at_80_columns_writes_lines_that_fit_with_one_eta()
    {
        var stdout = new StringWriter();
        var ctx = new CliContext(stdout, TextWriter.Null, Path.GetTempPath(), json: false, interactive: true);
        ctx.Console.Profile.Width = 80;
        TrainProgressView.Run(ctx, progress =>
        {
            for (var step = 1; step <= 5; step++) progress.Report(At(step, 5, step == 5 ? "done" : "train"));
            return "ok";
        });
        // Cursor movements and line ends separate what the terminal shows as lines.
        var lines = Regex.Split(stdout.ToString(), @"\x1b\[[0-9;?]*[A-Za-z]|\r|\n").Where(l => l.Trim().Length > 0).ToList();
        Assert.Contains(lines, l => l.Contains("step 3/5", StringComparison.Ordinal));
        foreach (var l in lines)
        {
            Assert.True(l.Length <= 80, $"{l.Length} chars: {l}");
            // One ETA: at most one duration (m:ss or h:mm:ss) on a line, and the whole report on one line.
            Assert.True(Regex.Matches(l, @"\d+:\d\d").Count <= 1, l);
            if (l.Contains("step", StringComparison.Ordinal)) Assert.Contains("loss", l, StringComparison.Ordinal);
        }
    }

    private static int CountOf(string s, string what)
    {
        var n = 0;
        for (var i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
