using System.Globalization;
using System.Text;
using Hone.Evals.Compare;
using Hone.Evals.Runs;
using Hone.Ui.Data;
using Microsoft.AspNetCore.Http;

namespace Hone.Ui.Pages;

/// <summary>
/// An eval run: golden cases × outputs with the verdict, every grader's score and reasoning, filters (failures,
/// passes, errors, skipped, an edge-case tag), a search over ids, inputs, outputs and references, and paging, all in the
/// URL. Exports the filtered rows as CSV, JSONL or one self-contained HTML file.
/// </summary>
internal static class EvalPage
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    /// <summary>The verdict of a sample as the filters name it.</summary>
    public static string Verdict(CaseResult r) =>
        r.Error is not null || r.HasGraderError ? "error" : r.Status == SampleStatus.Skipped ? "skipped" : r.Pass ? "pass" : "fail";

    /// <summary>The samples the filter keeps, in golden-set order.</summary>
    public static List<CaseResult> Filter(IReadOnlyList<CaseResult> results, string show, string tag, string search) =>
        [.. results.Where(r => (show.Length == 0 || show == "all" || Verdict(r) == show)
            && (tag.Length == 0 || r.Tags.Contains(tag, StringComparer.Ordinal))
            && (search.Length == 0 || Matches(r, search)))];

    private static bool Matches(CaseResult r, string s) =>
        r.CaseId.Contains(s, StringComparison.OrdinalIgnoreCase) || r.Output.Contains(s, StringComparison.OrdinalIgnoreCase)
        || (r.Reference?.Contains(s, StringComparison.OrdinalIgnoreCase) ?? false)
        || (RunComparison.InputText(r)?.Contains(s, StringComparison.OrdinalIgnoreCase) ?? false)
        || r.Grades.Any(g => g.Detail?.Contains(s, StringComparison.OrdinalIgnoreCase) ?? false);

    public static PageResult Render(UiWorkspace ws, string id, IQueryCollection q)
    {
        using var store = ws.OpenStore();
        var run = ws.LoadEval(store, id);
        string show = q["show"].ToString(), tag = q["tag"].ToString(), search = q["q"].ToString();
        int size = Math.Clamp(int.TryParse(q["size"], out var sz) ? sz : DefaultPageSize, 1, MaxPageSize);
        var kept = Filter(run.Results, show, tag, search);
        int pages = Math.Max(1, (kept.Count + size - 1) / size);
        int page = Math.Clamp(int.TryParse(q["page"], out var pg) ? pg : 1, 1, pages);
        var baseQuery = Html.Query(("show", show), ("tag", tag), ("q", search), ("size", size == DefaultPageSize ? null : size.ToString(CultureInfo.InvariantCulture)));
        var graders = run.Results.SelectMany(r => r.Grades.Select(g => g.Grader)).Distinct(StringComparer.Ordinal).ToList();
        var baseName = "eval-" + run.Run.Id;
        switch (Export.Format(q))
        {
            case "html":
                return PageResult.File(Export.StandaloneHtml($"Eval {run.Run.Id}", Header(run, kept.Count) + Table(run.Run.Id, kept, graders, withTeach: false)),
                    "text/html; charset=utf-8", baseName + ".html");
            case { } format:
                return Export.Download(format, baseName,
                    () => Export.Csv([.. new[] { "case_id", "repeat", "tags", "verdict", "output", "reference", "error" }.Concat(graders.SelectMany(g => new[] { g + ".score", g + ".pass", g + ".detail" }))],
                        kept.Select(r => (IReadOnlyList<string?>)[.. new[] { r.CaseId, r.Repeat.ToString(CultureInfo.InvariantCulture), string.Join(";", r.Tags), Verdict(r), r.Output, r.Reference, r.Error }
                            .Concat(graders.SelectMany(g => r.Grades.FirstOrDefault(x => x.Grader == g) is { } o
                                ? new[] { o.Score.ToString("R", CultureInfo.InvariantCulture), o.Pass ? "true" : "false", o.Detail ?? o.Error }
                                : new string?[] { null, null, null }))])),
                    () => Export.Jsonl(kept.Select(r => new { r.CaseId, r.Repeat, r.Tags, Verdict = Verdict(r), r.Output, r.Reference, r.Error, r.Grades })));
        }

        var sb = new StringBuilder();
        sb.Append($"<h1>Eval run <code>{Html.E(run.Run.Id)}</code></h1>").Append(Header(run, kept.Count));
        sb.Append($"<form class=\"filters\" method=\"get\" action=\"/eval/{Html.E(Html.U(run.Run.Id))}\" role=\"search\">")
          .Append(Html.Select("show", "Show", show, [("", "all"), ("fail", "failures"), ("pass", "passes"), ("error", "errors"), ("skipped", "skipped")]))
          .Append(Html.Select("tag", "Edge case", tag, new[] { ("", "any") }.Concat(run.Results.SelectMany(r => r.Tags).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(t => (t, t)))))
          .Append(Html.TextInput("q", "Search", search, "id, input, output, reference (press /)"))
          .Append(Html.Select("size", "Per page", size.ToString(CultureInfo.InvariantCulture), [("50", "50"), ("100", "100"), ("500", "500")]))
          .Append("<button type=\"submit\">Filter</button></form>");
        sb.Append(Html.Exports($"/eval/{Html.U(run.Run.Id)}", baseQuery, "csv", "jsonl", "html"));
        sb.Append($"<p><a href=\"/compare{Html.E(Html.Query(("b", run.Run.Id)))}\">Compare with another run…</a> · <a href=\"/teach/{Html.E(Html.U(run.Run.Id))}\" accesskey=\"t\">Edit to teach (failures first)</a></p>");
        string PageQuery(int p) => Html.Query(("show", show), ("tag", tag), ("q", search), ("size", size == DefaultPageSize ? null : size.ToString(CultureInfo.InvariantCulture)), ("page", p == 1 ? null : p.ToString(CultureInfo.InvariantCulture)));
        var path = $"/eval/{Html.U(run.Run.Id)}";
        sb.Append(Html.Pager(path, PageQuery, page, pages, kept.Count, "samples"));
        sb.Append(Table(run.Run.Id, kept.Skip((page - 1) * size).Take(size).ToList(), graders, withTeach: true));
        sb.Append(Html.Pager(path, PageQuery, page, pages, kept.Count, "samples"));
        return PageResult.Show($"Eval {run.Run.Id}", "runs", sb.ToString(), live: run.Run.Status == Hone.Store.RunStatus.Running);
    }

    private static string Header(LoadedEvalRun run, int shown)
    {
        var summary = Stored(run) ?? EvalSummary.Compute(run.Results, [.. run.Results.SelectMany(r => r.Grades.Select(g => g.Grader)).Distinct(StringComparer.Ordinal)]);
        var sb = new StringBuilder("<dl class=\"facts\">");
        void Fact(string k, string v) => sb.Append($"<div><dt>{Html.E(k)}</dt><dd>{v}</dd></div>");
        Fact("spec", Html.E(run.Run.Name));
        Fact("model", Html.E(run.Model));
        Fact("status", Html.Badge(run.Run.Status.ToString().ToLowerInvariant(), run.Run.Status.ToString().ToLowerInvariant()));
        Fact("accuracy", $"{Html.Pct(summary.Accuracy)} <span class=\"muted\">(95% CI {Html.Pct(summary.AccuracyLow)}–{Html.Pct(summary.AccuracyHigh)}; {summary.Passed}/{summary.Graded} graded)</span>");
        Fact("cases", $"{summary.Cases.ToString("N0", CultureInfo.InvariantCulture)} ({summary.Samples.ToString("N0", CultureInfo.InvariantCulture)} samples)");
        Fact("errors", $"{summary.ModelErrors} model, {summary.GraderErrors} grader; {summary.Skipped} skipped");
        Fact("shown", shown.ToString("N0", CultureInfo.InvariantCulture));
        sb.Append("</dl>");
        if (summary.Tags.Count > 0)
        {
            sb.Append("<details><summary>Accuracy by edge case</summary><table class=\"grid\"><thead><tr><th scope=\"col\">Tag</th><th scope=\"col\">Cases</th><th scope=\"col\">Accuracy</th></tr></thead><tbody>");
            foreach (var t in summary.Tags)
                sb.Append($"<tr><td><a href=\"/eval/{Html.E(Html.U(run.Run.Id))}{Html.E(Html.Query(("tag", t.Tag)))}\">{Html.E(t.Tag)}</a></td><td>{t.Cases}</td><td>{Html.Pct(t.Accuracy)}</td></tr>");
            sb.Append("</tbody></table></details>");
        }
        return sb.ToString();
    }

    /// <summary>The summary the run recorded (with its spec's primary metric), or null when it has none or it cannot be read.</summary>
    private static EvalSummary? Stored(LoadedEvalRun run)
    {
        if (run.Run.SummaryJson is not { } json) return null;
        try { return System.Text.Json.JsonSerializer.Deserialize<EvalSummary>(json, CaseResult.JsonOptions); }
        catch (System.Text.Json.JsonException) { return null; }
        catch (NotSupportedException) { return null; }
    }

    private static string Table(string runId, IReadOnlyList<CaseResult> rows, IReadOnlyList<string> graders, bool withTeach)
    {
        var sb = new StringBuilder("<table class=\"grid cases\" id=\"cases\"><thead><tr><th scope=\"col\">Case</th><th scope=\"col\">Verdict</th><th scope=\"col\">Output</th><th scope=\"col\">Reference</th><th scope=\"col\">Grades</th></tr></thead><tbody>");
        foreach (var r in rows)
        {
            var verdict = Verdict(r);
            sb.Append($"<tr class=\"case\" tabindex=\"0\" data-verdict=\"{verdict}\" data-case=\"{Html.E(r.CaseId)}\"><th scope=\"row\">{Html.E(r.CaseId)}{(r.Repeat > 0 ? $" <span class=\"muted\">#{r.Repeat}</span>" : "")}");
            foreach (var t in r.Tags) sb.Append($" <span class=\"tag\">{Html.E(t)}</span>");
            if (RunComparison.InputText(r) is { } input) sb.Append($"<details><summary>input</summary><pre>{Html.E(input)}</pre></details>");
            if (withTeach) sb.Append($"<br><a class=\"small\" href=\"/teach/{Html.E(Html.U(runId))}{Html.E(Html.Query(("case", r.CaseId)))}\">teach</a>");
            sb.Append($"</th><td>{Html.Badge(verdict, verdict)}");
            if (r.Error is not null) sb.Append($"<div class=\"error\">{Html.E(r.Error)}</div>");
            if (r.StatusDetail is not null) sb.Append($"<div class=\"muted\">{Html.E(r.StatusDetail)}</div>");
            sb.Append($"</td><td><pre class=\"output\">{Html.E(r.Output)}</pre></td><td><pre>{Html.E(r.Reference)}</pre></td><td><ul class=\"grades\">");
            foreach (var g in r.Grades)
            {
                sb.Append($"<li>{Html.Badge(g.ErrorKind is not null ? "error" : g.Pass ? "pass" : "fail", g.Grader)} {Html.N(g.Score, "0.###")}");
                if (g.Error is not null) sb.Append($" <span class=\"error\">{Html.E(g.Error)}</span>");
                if (g.Detail is not null) sb.Append($"<details><summary>reasoning</summary><pre>{Html.E(g.Detail)}</pre></details>");
                sb.Append("</li>");
            }
            sb.Append("</ul></td></tr>");
        }
        if (rows.Count == 0) sb.Append($"<tr><td colspan=\"5\">No sample matches the filter.{(graders.Count == 0 ? "" : "")}</td></tr>");
        return sb.Append("</tbody></table>").ToString();
    }
}
