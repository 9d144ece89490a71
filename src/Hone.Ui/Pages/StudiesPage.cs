using System.Globalization;
using System.Text;
using System.Text.Json;
using Hone.Evals.Compare;
using Hone.Evals.Runs;
using Hone.Training.Improve;
using Hone.Ui.Data;
using Microsoft.AspNetCore.Http;

namespace Hone.Ui.Pages;

/// <summary>
/// The studies of <c>hone scale</c> and <c>hone sweep</c>: every study folder (<c>study.json</c>, format hone-study/1) in the
/// workspace's runs folder. A scaling study shows accuracy per rung with its interval against data size on a log2 axis, the
/// weighted fit (<see cref="ScalingFit"/>) and the extrapolated gain of doubling the data, as the CLI prints it; a sweep shows
/// its trial table with golden-set score and interval, the winner (best of the final round, cheaper of equals), and which
/// trials are not significantly different from it (paired McNemar test on the trials' recorded eval runs, α 0.05).
/// </summary>
internal static class StudiesPage
{
    private const double Alpha = 0.05;
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    internal sealed record Study(string Name, string Folder, string Kind, List<TrialResult> Trials);

    /// <summary>The study folders directly under the runs folder, newest first.</summary>
    internal static List<Study> List(UiWorkspace ws)
    {
        var dir = ws.Workspace.RunsDir;
        if (!Directory.Exists(dir)) return [];
        var list = new List<Study>();
        foreach (var folder in Directory.EnumerateDirectories(dir).OrderByDescending(Directory.GetLastWriteTimeUtc))
            if (Load(folder) is { } s) list.Add(s);
        return list;
    }

    private static Study? Load(string folder)
    {
        var file = Path.Combine(folder, "study.json");
        if (!File.Exists(file)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var root = doc.RootElement;
            if (root.GetProperty("format").GetString() != "hone-study/1") return null;
            var trials = root.GetProperty("trials").Deserialize<List<TrialResult>>(Json) ?? [];
            return new Study(Path.GetFileName(folder), folder, root.GetProperty("kind").GetString() ?? "?", trials);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    public static PageResult Index(UiWorkspace ws, IQueryCollection q)
    {
        var studies = List(ws);
        if (Export.Format(q) is { } format)
            return Export.Download(format, "studies",
                () => Export.Csv(["name", "kind", "trials", "best_accuracy"], studies.Select(s => (IReadOnlyList<string?>)[s.Name, s.Kind,
                    s.Trials.Count.ToString(CultureInfo.InvariantCulture), s.Trials.Count == 0 ? null : s.Trials.Max(t => t.Score.Value).ToString("R", CultureInfo.InvariantCulture)])),
                () => Export.Jsonl(studies.Select(s => new { s.Name, s.Kind, Trials = s.Trials.Count })));
        var sb = new StringBuilder("<h1>Studies: scaling and sweeps</h1>");
        sb.Append(Html.Exports("/studies", "", "csv", "jsonl"));
        if (studies.Count == 0)
            sb.Append("<p>No studies yet: <code>hone scale</code> (accuracy vs data size) and <code>hone sweep</code> (epochs × learning rate × rank) write theirs into the runs folder.</p>");
        else
        {
            sb.Append("<table><thead><tr><th>study</th><th>kind</th><th>trials</th><th>best golden accuracy</th></tr></thead><tbody>");
            foreach (var s in studies)
                sb.Append($"<tr class=\"study\" data-study=\"{Html.E(s.Name)}\"><td><a href=\"/studies/{Html.E(Html.U(s.Name))}\">{Html.E(s.Name)}</a></td><td>{Html.E(s.Kind)}</td>")
                  .Append($"<td>{s.Trials.Count}</td><td>{(s.Trials.Count == 0 ? "–" : Html.Pct(s.Trials.Max(t => t.Score.Value)))}</td></tr>");
            sb.Append("</tbody></table>");
        }
        return PageResult.Show("Studies", "studies", sb.ToString(), live: true);
    }

    public static PageResult Render(UiWorkspace ws, string name, IQueryCollection q)
    {
        var study = List(ws).FirstOrDefault(s => s.Name == name) ?? throw new FileNotFoundException($"No study '{name}' in {ws.Workspace.RunsDir}.");
        return study.Kind == "scale" ? Scale(study, q) : Sweep(ws, study, q);
    }

    private static PageResult Scale(Study s, IQueryCollection q)
    {
        var rungs = s.Trials.OrderBy(t => t.Examples).ToList();
        var points = rungs.Select(t => new ScalingPoint(t.Examples, t.Score.Value, t.Score.Cases)).ToList();
        ScalingFitResult? fit = points.Select(p => p.Size).Distinct().Count() >= 2 && points.All(p => p.Cases > 0 && p.Size > 0) ? ScalingFit.Fit(points) : null;
        if (Export.Format(q) is { } format)
            return Export.Download(format, s.Name,
                () => Export.Csv(["examples", "epochs", "accuracy", "low", "high", "cases", "eval_run", "fitted"], rungs.Select(t => (IReadOnlyList<string?>)[
                    I(t.Examples), I(t.Epochs), R(t.Score.Value), R(t.Score.Low), R(t.Score.High), I(t.Score.Cases), t.Score.EvalRunId,
                    fit is null ? null : R(fit.Intercept + fit.GainPerDoubling * Math.Log2(t.Examples))])),
                () => Export.Jsonl(rungs.Select(t => new { t.Examples, t.Epochs, Accuracy = t.Score.Value, t.Score.Low, t.Score.High, t.Score.Cases, EvalRun = t.Score.EvalRunId })
                    .Cast<object>().Concat(fit is null ? [] : [new { Fit = new { fit.Intercept, fit.GainPerDoubling, fit.GainLow, fit.GainHigh, fit.LargestSize, fit.PredictedAtDouble, fit.Method } }])));
        var sb = new StringBuilder($"<h1>Scaling study {Html.E(s.Name)}</h1>");
        sb.Append(Html.Exports($"/studies/{Html.U(s.Name)}", "", "csv", "jsonl"));
        if (fit is not null)
        {
            sb.Append(Svg.ScalingChart($"golden accuracy vs training examples (log2) — {s.Name}", rungs.Select(t => (t.Examples, t.Score.Value, t.Score.Low, t.Score.High)).ToList(),
                fit.Intercept, fit.GainPerDoubling, fit.LargestSize, fit.PredictedAtDouble));
            sb.Append(string.Create(CultureInfo.InvariantCulture,
                $"<p class=\"fit\" data-gain=\"{fit.GainPerDoubling:R}\"><strong>doubling the data</strong> ({fit.LargestSize} → {2 * fit.LargestSize} examples): {fit.GainPerDoubling * 100:+0.0;-0.0} points per doubling (95% CI {fit.GainLow * 100:+0.0;-0.0} to {fit.GainHigh * 100:+0.0;-0.0}), extrapolated accuracy {fit.PredictedAtDouble * 100:0.0}%</p>"));
            sb.Append($"<p class=\"muted\">fit: {Html.E(fit.Method)}</p>");
        }
        else sb.Append("<p class=\"muted\">A fit needs at least two rungs of different sizes; the study has not finished them yet.</p>");
        sb.Append("<table><thead><tr><th>examples</th><th>epochs</th><th>golden accuracy</th><th>95% CI</th><th>cases</th><th>train s</th><th>score s</th><th>eval run</th></tr></thead><tbody>");
        foreach (var t in rungs)
            sb.Append($"<tr class=\"trial\" data-trial=\"{Html.E(t.Name)}\"><td>{t.Examples}</td><td>{t.Epochs}</td><td>{Html.Pct(t.Score.Value)}</td><td>{Html.Pct(t.Score.Low)}–{Html.Pct(t.Score.High)}</td>")
              .Append($"<td>{t.Score.Cases}</td><td>{Html.N(t.TrainSeconds, "0.0")}</td><td>{Html.N(t.ScoreSeconds, "0.0")}</td><td>{RunLink(t.Score.EvalRunId)}</td></tr>");
        sb.Append("</tbody></table>");
        return PageResult.Show("Scaling " + s.Name, "studies", sb.ToString(), live: true);
    }

    private sealed record Row(TrialResult Trial, bool Final, bool Winner, double? P, bool? Tied);

    private static PageResult Sweep(UiWorkspace ws, Study s, IQueryCollection q)
    {
        // As SweepStudy: the final round is the largest data size; best first by score, then the cheaper of equals.
        int last = s.Trials.Count == 0 ? 0 : s.Trials.Max(t => t.Examples);
        var ranked = s.Trials.OrderByDescending(t => t.Examples == last).ThenByDescending(t => t.Score.Value).ThenBy(t => t.Epochs).ThenBy(t => t.LrMultiplier).ThenBy(t => t.LoraRank).ToList();
        var winner = ranked.FirstOrDefault();
        using var store = ws.OpenStore();
        var rows = ranked.Select(t =>
        {
            bool final = t.Examples == last;
            if (!final || winner is null) return new Row(t, false, false, null, null);
            if (ReferenceEquals(t, winner)) return new Row(t, true, true, null, true);
            double? p = winner.Score.EvalRunId is { } a && t.Score.EvalRunId is { } b && store.FindRun(a) is not null && store.FindRun(b) is not null
                ? RunComparison.Compute(EvalRuns.Load(store, a), EvalRuns.Load(store, b), iterations: 1000).McNemarP : null;
            return new Row(t, true, false, p, p is null ? null : p >= Alpha);
        }).ToList();
        if (Export.Format(q) is { } format)
            return Export.Download(format, s.Name,
                () => Export.Csv(["name", "examples", "epochs", "lr_multiplier", "lora_rank", "accuracy", "low", "high", "cases", "final_round", "winner", "p_vs_best", "tied_with_best", "eval_run"],
                    rows.Select(r => (IReadOnlyList<string?>)[r.Trial.Name, I(r.Trial.Examples), I(r.Trial.Epochs), R(r.Trial.LrMultiplier), I(r.Trial.LoraRank), R(r.Trial.Score.Value),
                        R(r.Trial.Score.Low), R(r.Trial.Score.High), I(r.Trial.Score.Cases), r.Final ? "true" : "false", r.Winner ? "true" : "false",
                        r.P is { } p ? R(p) : null, r.Tied is { } tied ? (tied ? "true" : "false") : null, r.Trial.Score.EvalRunId])),
                () => Export.Jsonl(rows.Select(r => new { r.Trial.Name, r.Trial.Examples, r.Trial.Epochs, r.Trial.LrMultiplier, r.Trial.LoraRank, Accuracy = r.Trial.Score.Value,
                    r.Trial.Score.Low, r.Trial.Score.High, r.Trial.Score.Cases, FinalRound = r.Final, r.Winner, PVsBest = r.P, TiedWithBest = r.Tied, EvalRun = r.Trial.Score.EvalRunId })));
        var sb = new StringBuilder($"<h1>Sweep {Html.E(s.Name)}</h1>");
        sb.Append(Html.Exports($"/studies/{Html.U(s.Name)}", "", "csv", "jsonl"));
        if (winner is not null)
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"<p class=\"winner\" data-winner=\"{Html.E(winner.Name)}\"><strong>winner</strong> {Html.E(winner.Name)}: {winner.Epochs} epochs, lr × {winner.LrMultiplier:0.####}, rank {winner.LoraRank}, golden accuracy {Html.Pct(winner.Score.Value)} ({Html.Pct(winner.Score.Low)}–{Html.Pct(winner.Score.High)})</p>"));
        sb.Append($"<p class=\"muted\">≈ best: not significantly different from the winner (paired McNemar test on the two trials' eval runs, p ≥ {Alpha.ToString(CultureInfo.InvariantCulture)}); only trials of the final round (the most data, {last} examples) are compared.</p>");
        sb.Append("<table><thead><tr><th>trial</th><th>examples</th><th>epochs</th><th>lr ×</th><th>rank</th><th>golden accuracy</th><th>95% CI</th><th>p vs best</th><th>vs best</th><th>eval run</th></tr></thead><tbody>");
        foreach (var r in rows)
        {
            string mark = r.Winner ? Html.Badge("pass", "winner") : r.Tied switch { true => Html.Badge("pass", "≈ best"), false => Html.Badge("fail", "worse"), null => r.Final ? "<span class=\"muted\">no paired runs</span>" : "<span class=\"muted\">earlier round</span>" };
            sb.Append($"<tr class=\"trial\" data-trial=\"{Html.E(r.Trial.Name)}\" data-tied=\"{(r.Tied is { } t ? (t ? "1" : "0") : "")}\"{(r.Winner ? " data-winner=\"1\"" : "")}><td>{Html.E(r.Trial.Name)}</td>")
              .Append($"<td>{r.Trial.Examples}</td><td>{r.Trial.Epochs}</td><td>{Html.N(r.Trial.LrMultiplier)}</td><td>{r.Trial.LoraRank}</td><td>{Html.Pct(r.Trial.Score.Value)}</td>")
              .Append($"<td>{Html.Pct(r.Trial.Score.Low)}–{Html.Pct(r.Trial.Score.High)}</td><td>{(r.P is { } p ? Html.P(p) : "–")}</td><td>{mark}</td><td>{RunLink(r.Trial.Score.EvalRunId)}</td></tr>");
        }
        sb.Append("</tbody></table>");
        return PageResult.Show("Sweep " + s.Name, "studies", sb.ToString(), live: true);
    }

    private static string RunLink(string? id) => id is null ? "–" : $"<a href=\"/eval/{Html.E(Html.U(id))}\">{Html.E(id)}</a>";

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
