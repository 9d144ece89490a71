using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hone.Store;
using Hone.Testing;
using Hone.Training.Improve;
using Hone.Training.Loop;

namespace Hone.Ui.Tests;

/// <summary>
/// HTTP-level tests of the studies views (<c>/studies</c>): study folders in the hone-study/1 layout that
/// <see cref="StudyFolder"/> writes (its <see cref="TrialResult"/> records, serialised with its snake_case options), over eval
/// runs recorded through the store, so the sweep's paired tests run on real case files.
/// </summary>
public sealed partial class UiStudiesTests
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    private static void WriteStudy(Workspace ws, string name, string kind, IEnumerable<TrialResult> trials)
    {
        var folder = Path.Combine(ws.RunsDir, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "study.json"), JsonSerializer.Serialize(new { Format = "hone-study/1", Kind = kind, Settings = new { }, Trials = trials }, Json));
    }

    private static TrialResult Trial(string name, int examples, int epochs, double lr, double acc, int cases, string? evalRun = null) =>
        new(name, "/nowhere/" + name, examples, epochs, lr, 8, new CheckpointScore(acc, Math.Max(0, acc - 0.2), Math.Min(1, acc + 0.2), cases, evalRun), 1.5, 0.5);

    [GeneratedRegex("data-size=\"(\\d+)\" data-accuracy=\"([^\"]+)\"")]
    private static partial Regex Rung();

    [Fact]
    public async Task Scaling_view_plots_each_rung_and_the_fit_and_prints_the_doubling_gain_and_exports()
    {
        var ws = Workspace.Init(TestAssets.NewTempDir());
        // accuracy = 0.4, 0.5, 0.6 at 8, 16, 32 examples: exactly +10 points per doubling, 70% at 64.
        WriteStudy(ws, "scale-abc", "scale", [Trial("rung-000016", 16, 3, 1, 0.5, 40), Trial("rung-000008", 8, 3, 1, 0.4, 40), Trial("rung-000032", 32, 3, 1, 0.6, 40)]);
        await using var server = await UiServer.StartAsync(ws, new UiOptions { Port = 0 });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        var home = await http.GetStringAsync("/");
        Assert.Contains("href=\"/studies\"", home);
        var index = await http.GetStringAsync("/studies");
        Assert.Contains("data-study=\"scale-abc\"", index);
        Assert.Contains("60.0%", index);

        var page = await http.GetStringAsync("/studies/scale-abc");
        var rungs = Rung().Matches(page).Select(m => (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).ToList();
        Assert.Equal([(8, 0.4), (16, 0.5), (32, 0.6)], rungs);
        var gain = double.Parse(Regex.Match(page, "class=\"s2 fit\" data-gain=\"([^\"]+)\"").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(0.1, gain, 6);
        Assert.Contains("(32 → 64 examples): +10.0 points per doubling", page);
        Assert.Contains("extrapolated accuracy 70.0%", page);
        Assert.Contains(">8</text>", page); // log2 axis ticks at powers of two
        Assert.Contains(">64</text>", page);

        var csv = (await http.GetStringAsync("/studies/scale-abc?format=csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("examples,epochs,accuracy,low,high,cases,eval_run,fitted", csv[0]);
        Assert.Equal(4, csv.Length);
        Assert.StartsWith("8,3,0.4,", csv[1]);
        var jsonl = (await http.GetStringAsync("/studies/scale-abc?format=jsonl")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, jsonl.Length);
        Assert.Contains("\"gain_per_doubling\"", jsonl[^1]);

        using var missing = await http.GetAsync("/studies/nope");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Sweep_view_marks_the_winner_and_the_trials_not_significantly_different_from_it_and_escapes_names()
    {
        var ws = Workspace.Init(TestAssets.NewTempDir());
        string Run(int passed) => SyntheticRuns.AddEvalRun(ws, "golden", 20, i => SyntheticRuns.Sample("c" + i, "out", pass: i < passed));
        string best = Run(16), close = Run(15), poor = Run(4);
        WriteStudy(ws, "sweep-xyz", "sweep",
        [
            Trial("e1-lr1-r8", 20, 1, 1, 0.75, 20, close), // one discordant case against the best: McNemar p = 1
            Trial("e2-lr1-r8", 20, 2, 1, 0.80, 20, best),
            Trial("<script>x</script>", 20, 3, 2, 0.20, 20, poor), // 12 discordant, all one way: p < 0.001
            Trial("e3-lr0.5-r8", 5, 3, 0.5, 0.95, 20), // an earlier (halving) round: not compared
        ]);
        await using var server = await UiServer.StartAsync(ws, new UiOptions { Port = 0 });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        var page = await http.GetStringAsync("/studies/sweep-xyz");
        Assert.Contains("data-winner=\"e2-lr1-r8\"", page);
        Assert.Contains("data-trial=\"e1-lr1-r8\" data-tied=\"1\"", page);
        Assert.Contains("data-trial=\"&lt;script&gt;x&lt;/script&gt;\" data-tied=\"0\"", page);
        Assert.Contains("data-trial=\"e3-lr0.5-r8\" data-tied=\"\"", page);
        Assert.DoesNotContain("<script>x", page);
        Assert.Contains("earlier round", page);

        var csv = (await http.GetStringAsync("/studies/sweep-xyz?format=csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("name,examples,epochs,lr_multiplier,lora_rank,accuracy,low,high,cases,final_round,winner,p_vs_best,tied_with_best,eval_run", csv[0].TrimEnd('\r'));
        Assert.Equal(5, csv.Length);
        Assert.StartsWith("e2-lr1-r8,20,2,1,8,0.8,", csv[1]);
        Assert.Contains(",true,true,,true," + best, csv[1]);
        Assert.Contains(",true,false,1,true," + close, csv[2]);
        var poorRow = csv.Single(l => l.Contains(poor, StringComparison.Ordinal)).Split(',');
        Assert.True(double.Parse(poorRow[11], CultureInfo.InvariantCulture) < 0.001);
        Assert.Equal("false", poorRow[12]);
        var jsonl = (await http.GetStringAsync("/studies/sweep-xyz?format=jsonl")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, jsonl.Length);
        Assert.Contains("\"winner\":true", jsonl[0]);
    }
}
