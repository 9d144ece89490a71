using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Hone.Data.Checks;
using Hone.Ui.Data;
using Microsoft.AspNetCore.Http;

namespace Hone.Ui.Pages;

/// <summary>
/// Dataset QA: the workspace's JSONL data files, and for one of them the report of <c>hone data check</c> (counts by
/// code, token statistics) with its findings paged and filtered by severity and code, each with the flagged line.
/// </summary>
internal static class DataPage
{
    private const int PageSize = 50;
    private static readonly ConcurrentDictionary<string, (string Key, DataCheckReport Report)> Reports = new(StringComparer.Ordinal);

    public static PageResult Render(UiWorkspace ws, IQueryCollection q)
    {
        string file = q["file"].ToString(), severity = q["severity"].ToString(), code = q["code"].ToString();
        var sb = new StringBuilder("<h1>Dataset QA</h1>");
        var files = Directory.Exists(ws.Workspace.DataDir)
            ? Directory.EnumerateFiles(ws.Workspace.DataDir, "*.jsonl", SearchOption.AllDirectories).Take(500).Select(f => Path.GetRelativePath(ws.Workspace.Root, f)).Order(StringComparer.Ordinal).ToList()
            : [];
        sb.Append("<form class=\"filters\" method=\"get\" action=\"/data\">")
          .Append(Html.Select("file", "File", file, new[] { ("", "choose…") }.Concat(files.Select(f => (f, f)))))
          .Append(Html.Select("severity", "Severity", severity, [("", "all"), ("error", "errors"), ("warning", "warnings"), ("info", "infos")]))
          .Append(Html.TextInput("code", "Code", code, "e.g. duplicate_example"))
          .Append("<button type=\"submit\">Check</button></form>");
        if (file.Length == 0)
        {
            sb.Append(files.Count == 0 ? "<p>No JSONL files in the data folder yet.</p>" : "<p>Choose a file to check.</p>");
            return PageResult.Show("Data QA", "data", sb.ToString());
        }
        var path = ws.InsideWorkspace(file) ?? throw new ArgumentException($"'{file}' is not a file inside the workspace.");
        if (!File.Exists(path)) throw new FileNotFoundException($"No file '{file}' in the workspace.");
        var key = $"{File.GetLastWriteTimeUtc(path).Ticks}|{new FileInfo(path).Length}";
        var report = Reports.TryGetValue(path, out var hit) && hit.Key == key ? hit.Report : (Reports[path] = (key, new DataChecker().Check(path))).Report;
        var findings = report.Findings.Where(f => (severity.Length == 0 || f.Severity.ToString().Equals(severity, StringComparison.OrdinalIgnoreCase))
            && (code.Length == 0 || f.Code.Contains(code, StringComparison.OrdinalIgnoreCase))).ToList();
        if (Export.Format(q) is { } format)
        {
            return Export.Download(format, "data-check-" + Path.GetFileNameWithoutExtension(file),
                () => Export.Csv(["severity", "code", "line", "path", "message", "fix"], findings.Select(f => (IReadOnlyList<string?>)[f.Severity.ToString().ToLowerInvariant(), f.Code, f.Line?.ToString(CultureInfo.InvariantCulture), f.Path, f.Message, f.Fix])),
                () => Export.Jsonl(findings));
        }
        sb.Append($"<dl class=\"facts\"><div><dt>file</dt><dd><code>{Html.E(file)}</code> ({Html.E(report.Kind.ToString())})</dd></div><div><dt>examples</dt><dd>{report.Examples} ({report.ValidExamples} valid)</dd></div>")
          .Append($"<div><dt>findings</dt><dd>{report.Errors} errors, {report.Warnings} warnings, {report.Infos} infos</dd></div></dl>");
        if (report.CountsByCode.Count > 0)
        {
            sb.Append("<table class=\"grid\"><thead><tr><th scope=\"col\">Code</th><th scope=\"col\">Count</th></tr></thead><tbody>");
            foreach (var (c, n) in report.CountsByCode.OrderByDescending(kv => kv.Value))
                sb.Append($"<tr><td><a href=\"/data{Html.E(Html.Query(("file", file), ("code", c)))}\">{Html.E(c)}</a></td><td>{n}</td></tr>");
            sb.Append("</tbody></table>");
        }
        var query = Html.Query(("file", file), ("severity", severity), ("code", code));
        sb.Append(Html.Exports("/data", query, "csv", "jsonl"));
        int pages = Math.Max(1, (findings.Count + PageSize - 1) / PageSize);
        int page = Math.Clamp(int.TryParse(q["page"], out var pg) ? pg : 1, 1, pages);
        string PageQuery(int p) => Html.Query(("file", file), ("severity", severity), ("code", code), ("page", p == 1 ? null : p.ToString(CultureInfo.InvariantCulture)));
        sb.Append(Html.Pager("/data", PageQuery, page, pages, findings.Count, "findings"));
        var shown = findings.Skip((page - 1) * PageSize).Take(PageSize).ToList();
        var wanted = shown.Where(f => f.Line is not null).Select(f => f.Line!.Value).ToHashSet();
        var text = new Dictionary<long, string>();
        long n0 = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (wanted.Count == text.Count) break;
            if (wanted.Contains(++n0)) text[n0] = line.Length > 2000 ? line[..2000] + "…" : line;
        }
        sb.Append("<table class=\"grid\" id=\"findings\"><thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">Code</th><th scope=\"col\">Line</th><th scope=\"col\">Message</th><th scope=\"col\">Example</th></tr></thead><tbody>");
        foreach (var f in shown)
        {
            var sev = f.Severity.ToString().ToLowerInvariant();
            sb.Append($"<tr tabindex=\"0\" class=\"case\"><td>{Html.Badge(sev == "error" ? "fail" : sev, sev)}</td><td>{Html.E(f.Code)}</td><td>{f.Line}{(f.Path is null ? "" : " " + Html.E(f.Path))}</td>")
              .Append($"<td>{Html.E(f.Message)}<div class=\"muted\">{Html.E(f.Fix)}</div></td><td><pre>{Html.E(f.Line is { } l && text.TryGetValue(l, out var t) ? t : "")}</pre></td></tr>");
        }
        if (shown.Count == 0) sb.Append("<tr><td colspan=\"5\">No finding matches.</td></tr>");
        sb.Append("</tbody></table>");
        if (report.FindingsTruncated) sb.Append("<p class=\"muted\">Some findings were counted but not listed (the check lists a bounded number per code).</p>");
        return PageResult.Show("Data QA", "data", sb.ToString());
    }
}
