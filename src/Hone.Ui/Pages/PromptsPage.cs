using System.Text;
using Hone.Ui.Data;
using Microsoft.AspNetCore.Http;

namespace Hone.Ui.Pages;

/// <summary>
/// The prompt stage's runs (<c>hone prompt variants</c>, <c>best-of</c>, <c>induce</c>, <c>debug</c>, <c>optimize</c>): each
/// technique's result as recorded, variants and candidates as tables.
/// </summary>
internal static class PromptsPage
{
    public static PageResult Render(UiWorkspace ws, IQueryCollection q)
    {
        using var store = ws.OpenStore();
        var search = q["q"].ToString();
        var runs = store.ListRuns("prompt", 1000).Where(r => search.Length == 0 || r.Name.Contains(search, StringComparison.OrdinalIgnoreCase)).ToList();
        if (Export.Format(q) is { } format)
        {
            return Export.Download(format, "prompts",
                () => Export.Csv(["id", "name", "status", "created_utc", "summary_json"], runs.Select(r => (IReadOnlyList<string?>)[r.Id, r.Name, r.Status.ToString(), r.CreatedUtc.ToString("O"), r.SummaryJson])),
                () => Export.Jsonl(runs.Select(r => new { r.Id, r.Name, Status = r.Status.ToString(), r.CreatedUtc, Summary = r.SummaryJson })));
        }
        var sb = new StringBuilder("<h1>Prompt variants and best-of-N</h1>");
        sb.Append("<form class=\"filters\" method=\"get\" action=\"/prompts\" role=\"search\">").Append(Html.TextInput("q", "Search", search, "technique or prompt (press /)"))
          .Append("<button type=\"submit\">Filter</button></form>");
        sb.Append(Html.Exports("/prompts", Html.Query(("q", search)), "csv", "jsonl"));
        if (runs.Count == 0) sb.Append("<p>No prompt-stage runs yet: <code>hone prompt variants</code> or <code>hone prompt best-of</code> record theirs here.</p>");
        foreach (var r in runs.Take(50))
        {
            sb.Append($"<section class=\"card\"><h2><a href=\"/runs/{Html.E(Html.U(r.Id))}\">{Html.E(r.Name)}</a> <span class=\"muted\">{Html.E(r.Id)}</span></h2>")
              .Append(RunPage.Summary(r.SummaryJson, r.OptionsJson)).Append("</section>");
        }
        sb.Append("<h2>Scaling and sweeps</h2><p>The studies of <code>hone scale</code> (accuracy vs data size) and <code>hone sweep</code> are on <a href=\"/studies\">Studies</a>.</p>");
        return PageResult.Show("Prompts", "prompts", sb.ToString(), live: true);
    }
}
