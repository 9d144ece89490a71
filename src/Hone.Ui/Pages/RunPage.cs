using System.Text;
using System.Text.Json;
using Hone.Ui.Data;
using Microsoft.AspNetCore.Http;

namespace Hone.Ui.Pages;

/// <summary>Any other run (prompt techniques, the demo, ...): its record, summary, metrics and artifacts.</summary>
internal static class RunPage
{
    public static PageResult Render(UiWorkspace ws, string id, IQueryCollection q)
    {
        using var store = ws.OpenStore();
        var run = store.GetRun(id);
        if (run.Kind is "eval" or "sft" or "dpo" or "rft") return new PageResult { Redirect = RunsPage.LinkOf(run.Kind, run.Id) };
        var metrics = store.GetMetricNames(run.Id).Select(n => (Name: n, Values: store.GetMetric(run.Id, n))).ToList();
        if (Export.Format(q) is { } format)
        {
            var rows = metrics.SelectMany(m => m.Values.Select(v => new { m.Name, v.Step, v.Value })).ToList();
            return Export.Download(format, "run-" + run.Id,
                () => Export.Csv(["metric", "step", "value"], rows.Select(r => (IReadOnlyList<string?>)[r.Name, r.Step.ToString(System.Globalization.CultureInfo.InvariantCulture), Html.N(r.Value, "R")])),
                () => Export.Jsonl(rows));
        }
        var sb = new StringBuilder($"<h1>{Html.E(run.Kind)} run <code>{Html.E(run.Id)}</code></h1><dl class=\"facts\">");
        sb.Append($"<div><dt>name</dt><dd>{Html.E(run.Name)}</dd></div><div><dt>status</dt><dd>{Html.Badge(run.Status.ToString().ToLowerInvariant(), run.Status.ToString().ToLowerInvariant())}</dd></div>");
        sb.Append($"<div><dt>created</dt><dd>{Html.E(run.CreatedUtc.ToString("u", System.Globalization.CultureInfo.InvariantCulture))}</dd></div></dl>");
        sb.Append(Html.Exports($"/runs/{Html.U(run.Id)}", "", "csv", "jsonl"));
        if (metrics.Count > 0)
        {
            sb.Append("<h2>Metrics</h2><table class=\"grid\"><thead><tr><th scope=\"col\">Metric</th><th scope=\"col\">Last value</th><th scope=\"col\">Points</th><th scope=\"col\">Trend</th></tr></thead><tbody>");
            foreach (var (name, values) in metrics)
                sb.Append($"<tr><td>{Html.E(name)}</td><td>{Html.N(values[^1].Value)}</td><td>{values.Count}</td><td>{Svg.Sparkline([.. values.Select(v => v.Value)], name)}</td></tr>");
            sb.Append("</tbody></table>");
        }
        sb.Append("<h2>Result</h2>").Append(Summary(run.SummaryJson, run.OptionsJson));
        var artifacts = store.GetArtifacts(run.Id);
        if (artifacts.Count > 0)
        {
            sb.Append("<h2>Artifacts</h2><ul>");
            foreach (var (name, path) in artifacts) sb.Append($"<li>{Html.E(name)}: <code>{Html.E(path)}</code></li>");
            sb.Append("</ul>");
        }
        return PageResult.Show($"{run.Kind} {run.Id}", run.Kind == "prompt" ? "prompts" : "runs", sb.ToString(), live: run.Status == Hone.Store.RunStatus.Running);
    }

    /// <summary>The summary JSON rendered (or the options when there is no summary).</summary>
    public static string Summary(string? summaryJson, string optionsJson)
    {
        var json = summaryJson ?? optionsJson;
        try
        {
            using var doc = JsonDocument.Parse(json);
            return JsonView.Render(doc.RootElement);
        }
        catch (JsonException)
        {
            return $"<pre>{Html.E(json)}</pre>";
        }
    }
}
