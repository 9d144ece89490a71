using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Hone.Store;
using Hone.Training.Analysis;
using Hone.Training.Runs;
using Hone.Ui.Data;
using Microsoft.AspNetCore.Http;

namespace Hone.Ui.Pages;

/// <summary>
/// The training monitor of an SFT, DPO or RFT run: loss and token accuracy (train raw and smoothed, validation batch,
/// whole validation set), learning rate, DPO/RFT rewards, epoch markers, progress and ETA, the curve diagnosis, and the
/// checkpoints with the commands that evaluate or compare them. Read from the run store's metrics, which the training
/// process writes every step, so the page grows while it trains. Curves are downsampled on the server.
/// </summary>
internal static class TrainPage
{
    public static PageResult Render(UiWorkspace ws, string id, IQueryCollection q)
    {
        using var store = ws.OpenStore();
        var run = store.GetRun(id);
        var names = store.GetMetricNames(run.Id);
        var metrics = names.ToDictionary(n => n, n => store.GetMetric(run.Id, n), StringComparer.Ordinal);
        if (Export.Format(q) is { } format)
        {
            var steps = metrics.Values.SelectMany(m => m.Select(p => p.Step)).Distinct().Order().ToList();
            var byName = metrics.ToDictionary(kv => kv.Key, kv => kv.Value.ToDictionary(p => p.Step, p => p.Value), StringComparer.Ordinal);
            return Export.Download(format, "train-" + run.Id,
                () => Export.Csv([.. new[] { "step" }.Concat(names)], steps.Select(s => (IReadOnlyList<string?>)[.. new[] { s.ToString(CultureInfo.InvariantCulture) }
                    .Concat(names.Select(n => byName[n].TryGetValue(s, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : null))])),
                () => Export.Jsonl(steps.Select(s => new Dictionary<string, object> { ["step"] = s }
                    .Concat(names.Where(n => byName[n].ContainsKey(s)).Select(n => new KeyValuePair<string, object>(n, byName[n][s])))
                    .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal))));
        }
        var folder = ws.Workspace.RunFolderOf(run);
        var manifest = ReadManifest(folder);
        long total = manifest?["resolved"]?["total_steps"]?.GetValue<long>() ?? 0;
        long done = metrics.GetValueOrDefault(MetricNames.TrainLoss) is { Count: > 0 } tl ? tl[^1].Step : 0;

        var sb = new StringBuilder($"<h1>{Html.E(run.Kind.ToUpperInvariant())} run <code>{Html.E(run.Id)}</code></h1><dl class=\"facts\">");
        void Fact(string k, string v) => sb.Append($"<div><dt>{Html.E(k)}</dt><dd>{v}</dd></div>");
        Fact("name", Html.E(run.Name));
        Fact("status", Html.Badge(run.Status.ToString().ToLowerInvariant(), run.Status.ToString().ToLowerInvariant()));
        var pct = total > 0 ? Math.Min(1, done / (double)total) : 0;
        Fact("progress", $"<progress id=\"progress\" max=\"{Math.Max(total, 1)}\" value=\"{done}\" aria-label=\"steps done\"></progress> step {done}{(total > 0 ? $" of {total} ({Html.Pct(pct)})" : "")}");
        if (run.Status == RunStatus.Running && done > 0 && total > done)
        {
            var elapsed = DateTime.UtcNow - run.CreatedUtc;
            Fact("ETA", Html.E(Duration(elapsed.TotalSeconds / done * (total - done))) + $" <span class=\"muted\">(elapsed {Html.E(Duration(elapsed.TotalSeconds))})</span>");
        }
        else if (run.FinishedUtc is { } f)
        {
            Fact("took", Html.E(Duration((f - run.CreatedUtc).TotalSeconds)));
        }
        if (manifest?["model"]?["path"]?.ToString() is { } model) Fact("model", $"<code>{Html.E(model)}</code>");
        if (folder is not null) Fact("folder", $"<code>{Html.E(folder)}</code>");
        sb.Append("</dl>");
        sb.Append(Html.Exports($"/train/{Html.U(run.Id)}", "", "csv", "jsonl"));

        var epochSteps = (metrics.GetValueOrDefault(MetricNames.FullValidLoss) ?? metrics.GetValueOrDefault(MetricNames.FullValidMeanReward) ?? [])
            .Select((p, i) => ((double)p.Step, $"epoch {i + 1} end")).ToList();
        IReadOnlyList<(double X, double Y)> Pts(string name) => metrics.GetValueOrDefault(name) is { } m ? [.. m.Select(p => ((double)p.Step, p.Value))] : [];
        Series S(string name, string css, bool smooth = false)
        {
            var pts = Pts(name);
            return new Series(smooth ? name + " (smoothed)" : name, Svg.Downsample(smooth ? Svg.Smooth(pts) : pts), css, pts.Count);
        }
        sb.Append("<div class=\"charts\">");
        sb.Append(Svg.LineChart("Loss", [S(MetricNames.TrainLoss, "s1 faint"), S(MetricNames.TrainLoss, "s1", smooth: true), S(MetricNames.ValidLoss, "s2"), S(MetricNames.FullValidLoss, "s3")], epochSteps));
        sb.Append(Svg.LineChart("Token accuracy", [S(MetricNames.TrainMeanTokenAccuracy, "s1 faint"), S(MetricNames.TrainMeanTokenAccuracy, "s1", smooth: true),
            S(MetricNames.ValidMeanTokenAccuracy, "s2"), S(MetricNames.FullValidMeanTokenAccuracy, "s3")], epochSteps));
        sb.Append(Svg.LineChart("Learning rate", [S(MetricNames.LearningRate, "s4")], epochSteps));
        var rewards = names.Where(n => n.StartsWith("rewards/", StringComparison.Ordinal) || n.Contains("reward", StringComparison.Ordinal) || n == MetricNames.Kl).ToList();
        if (rewards.Count > 0)
            sb.Append(Svg.LineChart("Rewards", [.. rewards.Take(6).Select((n, i) => S(n, "s" + ((i % 6) + 1)))], epochSteps));
        sb.Append("</div>");

        var history = Rows(metrics);
        var epochs = Epochs(metrics);
        var findings = CurveDiagnosis.Diagnose(history, epochs);
        sb.Append("<h2>Diagnosis</h2>");
        if (history.Count < 4) sb.Append("<p class=\"muted\">Too few steps to judge the curves yet.</p>");
        else if (findings.Count == 0) sb.Append("<p>The curves look healthy: the loss falls and the validation loss does not turn up.</p>");
        else
        {
            sb.Append("<ul class=\"findings\">");
            foreach (var fnd in findings) sb.Append($"<li><strong>{Html.E(fnd.Kind.ToString())}</strong>: {Html.E(fnd.Message)} <em>{Html.E(fnd.Suggestion)}</em></li>");
            sb.Append("</ul>");
        }

        sb.Append("<h2>Checkpoints</h2>");
        var checkpoints = folder is null ? [] : Checkpoints.List(Path.Combine(folder, "checkpoints"));
        if (checkpoints.Count == 0) sb.Append("<p class=\"muted\">No checkpoint yet (one is written at each epoch end).</p>");
        else
        {
            var specs = Directory.Exists(ws.Workspace.EvalsDir) ? Directory.GetFiles(ws.Workspace.EvalsDir, "*.yaml").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList() : [];
            var spec = specs.FirstOrDefault() ?? "SPEC";
            sb.Append("<table class=\"grid\" id=\"checkpoints\"><thead><tr><th scope=\"col\">Epoch</th><th scope=\"col\">Folder</th><th scope=\"col\">Full-valid loss</th><th scope=\"col\">Evaluate on the golden set</th></tr></thead><tbody>");
            foreach (var c in checkpoints)
            {
                int epoch = Checkpoints.EpochOf(c);
                var loss = epoch >= 1 && epoch <= epochs.Count ? Html.N(epochs[epoch - 1].FullValidLoss) : "–";
                var rel = Path.GetRelativePath(ws.Workspace.Root, folder!);
                var cmd = $"hone export {rel} --format merged --epoch {epoch} && hone eval {spec} --model local:{rel}/exports/merged";
                sb.Append($"<tr><td>{epoch}</td><td><code>{Html.E(Path.GetRelativePath(ws.Workspace.Root, c))}</code></td><td>{loss}</td>")
                  .Append($"<td><code class=\"cmd\">{Html.E(cmd)}</code> then <a href=\"/compare\">compare</a> with the base run</td></tr>");
            }
            sb.Append("</tbody></table><p class=\"muted\">The UI never starts training or model calls itself; copy a command above into a terminal, and the new eval run appears on the runs page as it starts.</p>");
        }
        return PageResult.Show($"{run.Kind} {run.Id}", "runs", sb.ToString(), live: true);
    }

    private static JsonNode? ReadManifest(string? folder)
    {
        if (folder is null) return null;
        var path = Path.Combine(folder, RunFolder.ManifestFile);
        try { return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) : null; }
        catch (System.Text.Json.JsonException) { return null; }
        catch (IOException) { return null; }
    }

    private static List<MetricRow> Rows(Dictionary<string, IReadOnlyList<(long Step, double Value)>> m)
    {
        var loss = m.GetValueOrDefault(MetricNames.TrainLoss) ?? [];
        var acc = (m.GetValueOrDefault(MetricNames.TrainMeanTokenAccuracy) ?? []).ToDictionary(p => p.Step, p => p.Value);
        var vl = (m.GetValueOrDefault(MetricNames.ValidLoss) ?? []).ToDictionary(p => p.Step, p => p.Value);
        var va = (m.GetValueOrDefault(MetricNames.ValidMeanTokenAccuracy) ?? []).ToDictionary(p => p.Step, p => p.Value);
        return [.. loss.Select(p => new MetricRow(p.Step, 0, p.Value, acc.GetValueOrDefault(p.Step, double.NaN),
            vl.TryGetValue(p.Step, out var a) ? a : null, va.TryGetValue(p.Step, out var b) ? b : null))];
    }

    private static List<EpochMetrics> Epochs(Dictionary<string, IReadOnlyList<(long Step, double Value)>> m)
    {
        var loss = m.GetValueOrDefault(MetricNames.FullValidLoss) ?? [];
        var acc = (m.GetValueOrDefault(MetricNames.FullValidMeanTokenAccuracy) ?? []).ToDictionary(p => p.Step, p => p.Value);
        return [.. loss.Select((p, i) => new EpochMetrics(i + 1, p.Step, p.Value, acc.GetValueOrDefault(p.Step, double.NaN)))];
    }

    private static string Duration(double seconds) =>
        seconds < 90 ? $"{seconds:0} s" : seconds < 5400 ? $"{seconds / 60:0} min" : $"{seconds / 3600:0.0} h";
}
