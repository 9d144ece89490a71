using System.Globalization;
using System.Text;
using Hone.Evals.Compare;
using Hone.Evals.Reports;
using Hone.Ui.Data;
using Microsoft.AspNetCore.Http;

namespace Hone.Ui.Pages;

/// <summary>
/// Two eval runs side by side (base vs tuned, prompt A vs B) through Hone.Evals' paired comparison: the headline
/// difference with its paired-bootstrap interval and McNemar's p, fixed / regressed / unchanged, per-tag accuracy, and
/// each case's outputs with a word-level diff; a changed-only switch, a search, paging. Exports CSV, JSONL and the
/// self-contained HTML report of <c>hone compare --html</c>.
/// </summary>
internal static class ComparePage
{
    private const int PageSize = 50;

    public static PageResult Render(UiWorkspace ws, IQueryCollection q)
    {
        string a = q["a"].ToString(), b = q["b"].ToString(), search = q["q"].ToString(), change = q["change"].ToString();
        bool changedOnly = q["changed"] == "1";
        using var store = ws.OpenStore();
        var evals = store.ListRuns("eval", 10_000).Where(r => store.GetArtifacts(r.Id).ContainsKey(Hone.Evals.Runs.EvalRunner.CasesArtifact)).ToList();
        var sb = new StringBuilder("<h1>Compare two eval runs</h1>");
        var options = evals.Select(r => (r.Id, $"{r.Id} · {r.Name} · {r.CreatedUtc:yyyy-MM-dd HH:mm}")).ToList();
        sb.Append("<form class=\"filters\" method=\"get\" action=\"/compare\">")
          .Append(Html.Select("a", "Run A (before)", a, new[] { ("", "choose…") }.Concat(options)))
          .Append(Html.Select("b", "Run B (after)", b, new[] { ("", "choose…") }.Concat(options)))
          .Append($"<label><input type=\"checkbox\" name=\"changed\" value=\"1\"{(changedOnly ? " checked" : "")}> changed only</label>")
          .Append(Html.Select("change", "Outcome", change, [("", "any"), ("fixed", "fixed"), ("regressed", "regressed"), ("bothpass", "both pass"), ("bothfail", "both fail")]))
          .Append(Html.TextInput("q", "Search", search, "case id or output (press /)"))
          .Append("<button type=\"submit\">Compare</button></form>");
        if (a.Length == 0 || b.Length == 0)
        {
            sb.Append(evals.Count < 2 ? "<p>Two eval runs are needed: run <code>hone eval SPEC</code> with two models or prompts.</p>" : "<p>Choose two runs.</p>");
            return PageResult.Show("Compare", "compare", sb.ToString(), live: true);
        }
        var cmp = ws.Compare(store, a, b);
        var kept = cmp.Cases.Where(c => (!changedOnly || c.Change is CaseChange.Fixed or CaseChange.Regressed)
                && (change.Length == 0 || c.Change.ToString().Equals(change, StringComparison.OrdinalIgnoreCase))
                && (search.Length == 0 || c.CaseId.Contains(search, StringComparison.OrdinalIgnoreCase)
                    || c.OutputA.Contains(search, StringComparison.OrdinalIgnoreCase) || c.OutputB.Contains(search, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        var baseName = $"compare-{cmp.RunA}-{cmp.RunB}";
        switch (Export.Format(q))
        {
            case "html":
                return PageResult.File(CompareHtmlReport.Render(cmp with { Cases = kept }, maxCases: int.MaxValue), "text/html; charset=utf-8", baseName + ".html");
            case { } format:
                return Export.Download(format, baseName,
                    () => Export.Csv(["case_id", "tags", "change", "rate_a", "rate_b", "output_a", "output_b", "reference"],
                        kept.Select(c => (IReadOnlyList<string?>)[c.CaseId, string.Join(";", c.Tags), Name(c.Change), Html.N(c.RateA), Html.N(c.RateB), c.OutputA, c.OutputB, c.Reference])),
                    () => Export.Jsonl(kept.Select(c => new { c.CaseId, c.Tags, Change = Name(c.Change), c.RateA, c.RateB, c.OutputA, c.OutputB, c.Reference })));
        }

        sb.Append("<section class=\"headline\" aria-label=\"Headline\"><dl class=\"facts\">");
        void Fact(string k, string v) => sb.Append($"<div><dt>{Html.E(k)}</dt><dd>{v}</dd></div>");
        Fact("A", $"<a href=\"/eval/{Html.E(Html.U(cmp.RunA))}\">{Html.E(cmp.RunA)}</a> {Html.E(cmp.ModelA)}: {Html.Pct(cmp.AccuracyA)}");
        Fact("B", $"<a href=\"/eval/{Html.E(Html.U(cmp.RunB))}\">{Html.E(cmp.RunB)}</a> {Html.E(cmp.ModelB)}: {Html.Pct(cmp.AccuracyB)}");
        Fact("difference B − A", $"<strong id=\"difference\">{(cmp.Difference >= 0 ? "+" : "")}{Html.Pct(cmp.Difference)}</strong> (95% paired bootstrap {Html.Pct(cmp.DifferenceInterval.Low)} to {Html.Pct(cmp.DifferenceInterval.High)})");
        Fact("McNemar exact p", $"<span id=\"mcnemar\">{Html.P(cmp.McNemarP)}</span>");
        Fact("cases", $"<span class=\"fixed\">fixed {cmp.Fixed.Count}</span> · <span class=\"regressed\">regressed {cmp.Regressed.Count}</span> · unchanged {cmp.BothPass + cmp.BothFail} ({cmp.BothPass} pass, {cmp.BothFail} fail)");
        if (cmp.OnlyInA.Count + cmp.OnlyInB.Count + cmp.NotComparable.Count > 0)
            Fact("not paired", $"{cmp.OnlyInA.Count} only in A, {cmp.OnlyInB.Count} only in B, {cmp.NotComparable.Count} skipped in one");
        sb.Append("</dl>");
        if (cmp.SignificantRegression) sb.Append("<p class=\"error\" role=\"alert\">B regresses significantly (more regressed than fixed, McNemar p &lt; 0.05).</p>");
        sb.Append("</section>");
        if (cmp.Tags.Count > 0)
        {
            sb.Append("<details><summary>By edge case</summary><table class=\"grid\"><thead><tr><th scope=\"col\">Tag</th><th scope=\"col\">Cases</th><th scope=\"col\">A</th><th scope=\"col\">B</th><th scope=\"col\">Fixed</th><th scope=\"col\">Regressed</th></tr></thead><tbody>");
            foreach (var t in cmp.Tags)
                sb.Append($"<tr><td>{Html.E(t.Tag)}</td><td>{t.Cases}</td><td>{Html.Pct(t.AccuracyA)}</td><td>{Html.Pct(t.AccuracyB)}</td><td>{t.Fixed}</td><td>{t.Regressed}</td></tr>");
            sb.Append("</tbody></table></details>");
        }
        var query = Html.Query(("a", a), ("b", b), ("changed", changedOnly ? "1" : null), ("change", change), ("q", search));
        sb.Append(Html.Exports("/compare", query, "csv", "jsonl", "html"));
        int pages = Math.Max(1, (kept.Count + PageSize - 1) / PageSize);
        int page = Math.Clamp(int.TryParse(q["page"], out var pg) ? pg : 1, 1, pages);
        string PageQuery(int p) => Html.Query(("a", a), ("b", b), ("changed", changedOnly ? "1" : null), ("change", change), ("q", search), ("page", p == 1 ? null : p.ToString(CultureInfo.InvariantCulture)));
        sb.Append(Html.Pager("/compare", PageQuery, page, pages, kept.Count, "cases"));
        sb.Append("<table class=\"grid cases\" id=\"pairs\"><thead><tr><th scope=\"col\">Case</th><th scope=\"col\">Outcome</th><th scope=\"col\">Output A</th><th scope=\"col\">Output B</th><th scope=\"col\">Word diff A → B</th></tr></thead><tbody>");
        foreach (var c in kept.Skip((page - 1) * PageSize).Take(PageSize))
        {
            var name = Name(c.Change);
            sb.Append($"<tr class=\"case\" tabindex=\"0\" data-change=\"{name}\"><th scope=\"row\">{Html.E(c.CaseId)}");
            foreach (var t in c.Tags) sb.Append($" <span class=\"tag\">{Html.E(t)}</span>");
            if (c.Reference is not null) sb.Append($"<details><summary>reference</summary><pre>{Html.E(c.Reference)}</pre></details>");
            sb.Append($"</th><td>{Html.Badge(name, Label(c.Change))}</td><td><pre>{Html.E(c.OutputA)}</pre></td><td><pre>{Html.E(c.OutputB)}</pre></td><td><pre class=\"diff\">{DiffHtml(c.OutputA, c.OutputB)}</pre></td></tr>");
        }
        if (kept.Count == 0) sb.Append("<tr><td colspan=\"5\">No case matches.</td></tr>");
        sb.Append("</tbody></table>");
        sb.Append(Html.Pager("/compare", PageQuery, page, pages, kept.Count, "cases"));
        return PageResult.Show("Compare", "compare", sb.ToString(), live: true);
    }

    /// <summary>A word diff as HTML: removed words in <c>del</c>, added in <c>ins</c>, all text encoded.</summary>
    public static string DiffHtml(string oldText, string newText)
    {
        var sb = new StringBuilder();
        foreach (var s in WordDiff.Diff(oldText, newText))
            sb.Append(s.Kind switch
            {
                DiffKind.Removed => $"<del>{Html.E(s.Text)}</del>",
                DiffKind.Added => $"<ins>{Html.E(s.Text)}</ins>",
                _ => Html.E(s.Text),
            });
        return sb.ToString();
    }

    private static string Label(CaseChange c) => c switch
    {
        CaseChange.BothPass => "both pass",
        CaseChange.BothFail => "both fail",
        _ => Name(c),
    };

    private static string Name(CaseChange c) => c switch
    {
        CaseChange.Fixed => "fixed",
        CaseChange.Regressed => "regressed",
        CaseChange.BothPass => "bothpass",
        _ => "bothfail",
    };
}
