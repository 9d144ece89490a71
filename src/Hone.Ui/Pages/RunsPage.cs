using System.Globalization;
using System.Text;
using Hone.Store;
using Hone.Training.Runs;
using Hone.Ui.Data;
using Microsoft.AspNetCore.Http;

namespace Hone.Ui.Pages;

/// <summary>One row of the runs home.</summary>
internal sealed record RunRow(string Id, string Kind, string Name, string Status, string Created, string? Finished, string KeyMetric, double? KeyValue,
    IReadOnlyList<double> Trend);

/// <summary>
/// The runs home: every run (eval, training, prompt, demo...) with status, its key metric and a sparkline (an eval's
/// accuracy over the runs of the same spec; a training run's loss curve), filtered by kind, status and a search over id
/// and name. The filter lives in the URL; the page follows other processes live.
/// </summary>
internal static class RunsPage
{
    public const int MaxShown = 500;

    public static PageResult Render(UiWorkspace ws, IQueryCollection q)
    {
        string kind = q["kind"].ToString(), status = q["status"].ToString(), search = q["q"].ToString();
        using var store = ws.OpenStore();
        var all = store.ListRuns(null, 100_000);
        var shown = all.Where(r => (kind.Length == 0 || r.Kind == kind)
                && (status.Length == 0 || string.Equals(r.Status.ToString(), status, StringComparison.OrdinalIgnoreCase))
                && (search.Length == 0 || r.Id.Contains(search, StringComparison.OrdinalIgnoreCase) || r.Name.Contains(search, StringComparison.OrdinalIgnoreCase)))
            .Take(MaxShown).ToList();
        var evalHistory = all.Where(r => r.Kind == "eval").GroupBy(r => r.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(r => r.CreatedUtc).ToList(), StringComparer.Ordinal);
        var accuracy = new Dictionary<string, double?>(StringComparer.Ordinal);
        double? Acc(RunRecord r) => accuracy.TryGetValue(r.Id, out var a) ? a : accuracy[r.Id] = Accuracy(store, r);
        var rows = shown.Select(r => Row(store, r, evalHistory, Acc)).ToList();
        var query = Html.Query(("kind", kind), ("status", status), ("q", search));
        if (Export.Format(q) is { } format)
        {
            return Export.Download(format, "runs",
                () => Export.Csv(["id", "kind", "name", "status", "created_utc", "finished_utc", "key_metric", "key_value"],
                    rows.Select(r => (IReadOnlyList<string?>)[r.Id, r.Kind, r.Name, r.Status, r.Created, r.Finished, r.KeyMetric, r.KeyValue?.ToString("R", CultureInfo.InvariantCulture)])),
                () => Export.Jsonl(rows));
        }

        var sb = new StringBuilder("<h1>Runs</h1>");
        sb.Append($"<p class=\"muted\">Workspace <code>{Html.E(ws.Workspace.Root)}</code> · {all.Count} runs; this page follows other <code>hone</code> processes live.</p>");
        sb.Append("<form class=\"filters\" method=\"get\" action=\"/\" role=\"search\">")
          .Append(Html.Select("kind", "Kind", kind, new[] { ("", "all") }.Concat(all.Select(r => r.Kind).Distinct().Order().Select(k => (k, k)))))
          .Append(Html.Select("status", "Status", status, new[] { ("", "all") }.Concat(Enum.GetNames<RunStatus>().Select(s => (s.ToLowerInvariant(), s.ToLowerInvariant())))))
          .Append(Html.TextInput("q", "Search", search, "id or name  (press /)"))
          .Append("<button type=\"submit\">Filter</button></form>");
        sb.Append(Html.Exports("/", query, "csv", "jsonl"));
        if (rows.Count == 0)
        {
            sb.Append(all.Count == 0
                ? "<p>No runs yet. <code>hone eval SPEC</code>, <code>hone train sft</code> or <code>hone demo</code> make some; they appear here as they start.</p>"
                : "<p>No run matches the filter.</p>");
            return PageResult.Show("Runs", "runs", sb.ToString(), live: true);
        }
        sb.Append("<table class=\"grid\" id=\"runs\"><caption class=\"sr\">Runs, newest first</caption><thead><tr><th scope=\"col\">Run</th><th scope=\"col\">Kind</th><th scope=\"col\">Name</th>")
          .Append("<th scope=\"col\">Status</th><th scope=\"col\">Created (UTC)</th><th scope=\"col\">Key metric</th><th scope=\"col\">Trend</th><th scope=\"col\">Actions</th></tr></thead><tbody>");
        foreach (var r in rows)
        {
            sb.Append($"<tr data-kind=\"{Html.E(r.Kind)}\" data-status=\"{Html.E(r.Status)}\"><td><a href=\"{Html.E(Link(r))}\">{Html.E(r.Id)}</a></td><td>{Html.E(r.Kind)}</td><td>{Html.E(r.Name)}</td>")
              .Append($"<td>{Html.Badge(r.Status, r.Status)}</td><td>{Html.E(r.Created)}</td>")
              .Append($"<td>{Html.E(r.KeyMetric)} {(r.KeyValue is { } v ? Html.E(r.KeyMetric == "accuracy" ? Html.Pct(v) : Html.N(v)) : "")}</td>")
              .Append($"<td>{Svg.Sparkline(r.Trend, r.KeyMetric + " trend")}</td><td>{Actions(r)}</td></tr>");
        }
        sb.Append("</tbody></table>");
        if (shown.Count == MaxShown) sb.Append($"<p class=\"muted\">The first {MaxShown} matching runs are shown; narrow the filter for the rest.</p>");
        return PageResult.Show("Runs", "runs", sb.ToString(), live: true);
    }

    /// <summary>The page of a run by its kind.</summary>
    public static string Link(RunRow r) => LinkOf(r.Kind, r.Id);

    public static string LinkOf(string kind, string id) => kind switch
    {
        "eval" => "/eval/" + Html.U(id),
        "sft" or "dpo" or "rft" => "/train/" + Html.U(id),
        _ => "/runs/" + Html.U(id),
    };

    private static string Actions(RunRow r) => r.Kind == "eval"
        ? $"<a href=\"/compare{Html.E(Html.Query(("b", r.Id)))}\">compare…</a> · <a href=\"/teach/{Html.E(Html.U(r.Id))}\">teach</a>"
        : "";

    private static RunRow Row(RunStore store, RunRecord r, Dictionary<string, List<RunRecord>> evalHistory, Func<RunRecord, double?> accuracy)
    {
        string created = r.CreatedUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        string? finished = r.FinishedUtc?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        string status = r.Status.ToString().ToLowerInvariant();
        switch (r.Kind)
        {
            case "eval":
            {
                var history = evalHistory.GetValueOrDefault(r.Name) ?? [];
                var trend = history.Where(h => h.CreatedUtc <= r.CreatedUtc).Select(accuracy).OfType<double>().ToList();
                return new RunRow(r.Id, r.Kind, r.Name, status, created, finished, "accuracy", accuracy(r), trend);
            }
            case "sft" or "dpo" or "rft":
            {
                var loss = store.GetMetric(r.Id, MetricNames.TrainLoss);
                var down = Svg.Downsample([.. loss.Select(p => ((double)p.Step, p.Value))], 120);
                return new RunRow(r.Id, r.Kind, r.Name, status, created, finished, "train_loss", loss.Count > 0 ? loss[^1].Value : null, [.. down.Select(p => p.Y)]);
            }
            default:
            {
                var names = store.GetMetricNames(r.Id);
                var first = names.FirstOrDefault(n => n.Contains("accuracy", StringComparison.Ordinal)) ?? names.FirstOrDefault();
                var values = first is null ? [] : store.GetMetric(r.Id, first);
                return new RunRow(r.Id, r.Kind, r.Name, status, created, finished, first ?? "", values.Count > 0 ? values[^1].Value : null, [.. values.Select(v => v.Value)]);
            }
        }
    }

    private static double? Accuracy(RunStore store, RunRecord r)
    {
        var m = store.GetMetric(r.Id, "accuracy");
        return m.Count > 0 ? m[^1].Value : null;
    }
}
