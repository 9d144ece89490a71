using System.Globalization;
using System.Net;
using System.Text;
using Hone.Core;
using Hone.Evals.Compare;
using Hone.Store;

namespace Hone.Evals.Reports;

/// <summary>
/// A self-contained HTML page of a <see cref="RunComparison"/>: the headline numbers (accuracies, difference with its
/// paired-bootstrap interval, McNemar's p, the verdict of the regression rule), fixed / regressed / both-pass /
/// both-fail counts, per-tag accuracy side by side, and the changed cases with their input, their reference answer,
/// both outputs and a word-level diff (<c>&lt;del&gt;</c> removed, <c>&lt;ins&gt;</c> added).
/// </summary>
/// <remarks>
/// Self-contained: one file, inline CSS, no scripts, no external resources. Every piece of text that comes from a run
/// (ids, tags, model names, inputs, references, outputs) is HTML-escaped, so an output holding markup is shown, never executed.
/// </remarks>
public static class CompareHtmlReport
{
    /// <summary>The most changed cases written (the rest are counted).</summary>
    public const int DefaultMaxCases = 500;

    private const string Css = """
        body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1f2328;max-width:1200px}
        h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
        table{border-collapse:collapse;width:100%;margin:.5rem 0}
        th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
        th{background:#f6f8fa}
        td.num{text-align:right;font-variant-numeric:tabular-nums}
        pre{white-space:pre-wrap;word-break:break-word;margin:0;font-family:ui-monospace,Consolas,monospace;font-size:.85rem}
        del{background:#ffebe9;color:#cf222e}ins{background:#dafbe1;color:#116329;text-decoration:none}
        .fixed{color:#116329;font-weight:600}.regressed{color:#cf222e;font-weight:600}
        .verdict{padding:.5rem .75rem;border-radius:6px;display:inline-block}
        .bad{background:#ffebe9}.good{background:#dafbe1}
        """;

    /// <summary>The page as a string.</summary>
    public static string Render(RunComparison cmp, int maxCases = DefaultMaxCases)
    {
        ArgumentNullException.ThrowIfNull(cmp);
        ArgumentOutOfRangeException.ThrowIfNegative(maxCases);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append("<title>hone compare ").Append(E(cmp.RunA)).Append(" vs ").Append(E(cmp.RunB)).Append("</title>\n");
        sb.Append("<style>").Append(Css).Append("</style></head><body>\n");
        sb.Append("<h1>").Append(E(cmp.RunA)).Append(" → ").Append(E(cmp.RunB)).Append("</h1>\n");

        sb.Append("<table><tr><th></th><th>run</th><th>spec</th><th>model</th><th>accuracy</th></tr>\n");
        Row(sb, "A", cmp.RunA, cmp.SpecA, cmp.ModelA, cmp.AccuracyA);
        Row(sb, "B", cmp.RunB, cmp.SpecB, cmp.ModelB, cmp.AccuracyB);
        sb.Append("</table>\n");
        sb.Append("<p>").Append(cmp.Cases.Count.ToString(CultureInfo.InvariantCulture)).Append(" shared cases; difference B − A <b>")
            .Append(Signed(cmp.Difference)).Append("</b> (95% paired bootstrap ").Append(Pct(cmp.DifferenceInterval.Low)).Append(" to ")
            .Append(Pct(cmp.DifferenceInterval.High)).Append(", seed ").Append(cmp.Seed.ToString(CultureInfo.InvariantCulture))
            .Append("); McNemar exact p = ").Append(cmp.McNemarP.ToString("0.0000", CultureInfo.InvariantCulture)).Append("</p>\n");
        sb.Append("<p><span class=\"fixed\">fixed ").Append(cmp.Fixed.Count.ToString(CultureInfo.InvariantCulture))
            .Append("</span> · <span class=\"regressed\">regressed ").Append(cmp.Regressed.Count.ToString(CultureInfo.InvariantCulture))
            .Append("</span> · both pass ").Append(cmp.BothPass.ToString(CultureInfo.InvariantCulture))
            .Append(" · both fail ").Append(cmp.BothFail.ToString(CultureInfo.InvariantCulture)).Append("</p>\n");
        if (cmp.OnlyInA.Count + cmp.OnlyInB.Count > 0)
            sb.Append("<p>Not paired: ").Append(cmp.OnlyInA.Count.ToString(CultureInfo.InvariantCulture)).Append(" cases only in A, ")
                .Append(cmp.OnlyInB.Count.ToString(CultureInfo.InvariantCulture)).Append(" only in B.</p>\n");
        if (cmp.NotComparable.Count > 0)
            sb.Append("<p>Not comparable: ").Append(cmp.NotComparable.Count.ToString(CultureInfo.InvariantCulture))
                .Append(" cases skipped as longer than the model's context in A or B.</p>\n");
        sb.Append(cmp.SignificantRegression
            ? "<p class=\"verdict bad\">B regresses significantly (more regressed than fixed, McNemar p &lt; 0.05).</p>\n"
            : "<p class=\"verdict good\">No significant regression.</p>\n");

        if (cmp.Tags.Count > 0)
        {
            sb.Append("<h2>Edge cases (per tag)</h2>\n<table><tr><th>tag</th><th>cases</th><th>A</th><th>B</th><th>fixed</th><th>regressed</th></tr>\n");
            foreach (var t in cmp.Tags)
                sb.Append("<tr><td>").Append(E(t.Tag)).Append("</td><td class=\"num\">").Append(t.Cases.ToString(CultureInfo.InvariantCulture))
                    .Append("</td><td class=\"num\">").Append(Pct(t.AccuracyA)).Append("</td><td class=\"num\">").Append(Pct(t.AccuracyB))
                    .Append("</td><td class=\"num\">").Append(t.Fixed.ToString(CultureInfo.InvariantCulture))
                    .Append("</td><td class=\"num\">").Append(t.Regressed.ToString(CultureInfo.InvariantCulture)).Append("</td></tr>\n");
            sb.Append("</table>\n");
        }

        var changed = cmp.Cases.Where(c => c.Change is CaseChange.Fixed or CaseChange.Regressed).ToList();
        sb.Append("<h2>Changed cases</h2>\n");
        if (changed.Count == 0) sb.Append("<p>None.</p>\n");
        else
        {
            sb.Append("<table><tr><th>case</th><th>change</th><th>input</th><th>reference</th><th>A output</th><th>B output</th><th>diff (A → B)</th></tr>\n");
            foreach (var c in changed.Take(maxCases))
            {
                var css = c.Change == CaseChange.Fixed ? "fixed" : "regressed";
                sb.Append("<tr><td>").Append(E(c.CaseId));
                if (c.Tags.Count > 0) sb.Append("<br><small>").Append(E(string.Join(", ", c.Tags))).Append("</small>");
                sb.Append("</td><td class=\"").Append(css).Append("\">").Append(css).Append("</td><td><pre>").Append(Known(c.Input))
                    .Append("</pre></td><td><pre>").Append(Known(c.Reference)).Append("</pre></td><td><pre>").Append(E(c.OutputA))
                    .Append("</pre></td><td><pre>").Append(E(c.OutputB)).Append("</pre></td><td><pre>");
                foreach (var s in WordDiff.Diff(c.OutputA, c.OutputB))
                {
                    sb.Append(s.Kind switch { DiffKind.Removed => "<del>", DiffKind.Added => "<ins>", _ => "" }).Append(E(s.Text))
                        .Append(s.Kind switch { DiffKind.Removed => "</del>", DiffKind.Added => "</ins>", _ => "" });
                }
                sb.Append("</pre></td></tr>\n");
            }
            sb.Append("</table>\n");
            if (changed.Count > maxCases)
                sb.Append("<p>… and ").Append((changed.Count - maxCases).ToString(CultureInfo.InvariantCulture)).Append(" more changed cases (see --json).</p>\n");
        }
        sb.Append("<p><small>Written by hone compare. A case passes when at least half its repeats pass.</small></p>\n</body></html>\n");
        return sb.ToString();
    }

    /// <summary>Writes the page to <paramref name="path"/> atomically (a crash leaves the old file or none).</summary>
    public static void Write(string path, RunComparison cmp, int maxCases = DefaultMaxCases)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var html = Render(cmp, maxCases);
        AtomicFile.WriteAllText(path, html);
    }

    private static void Row(StringBuilder sb, string label, string run, string spec, string model, double accuracy) =>
        sb.Append("<tr><th>").Append(label).Append("</th><td>").Append(E(run)).Append("</td><td>").Append(E(spec)).Append("</td><td>")
            .Append(E(model)).Append("</td><td class=\"num\">").Append(Pct(accuracy)).Append("</td></tr>\n");

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Known(string? text) => text is null ? "<i>not recorded</i>" : E(text);

    private static string Pct(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Signed(double v) => (v >= 0 ? "+" : "") + Pct(v);
}
