using System.Globalization;
using System.Net;
using System.Text;

namespace Hone.Migrate.Report;

/// <summary>The report as one self-contained HTML page (inline CSS, no scripts, no external resources).</summary>
public static class ReportHtml
{
    /// <summary>Renders <paramref name="d"/>.</summary>
    public static string Render(ReportData d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Hone migration report</title><style>")
         .Append("body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}table{border-collapse:collapse;margin:1em 0}")
         .Append("td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}")
         .Append(".num{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#1a7f37}.bad{color:#b42318}pre{white-space:pre-wrap;margin:0;font-size:.9em}")
         .Append("</style></head><body>");
        h.Append("<h1>Moving off ").Append(E(d.Source)).Append("</h1>");
        h.Append("<p>Held-out cases (never trained on): <b>").Append(d.HeldOut).Append("</b>. Agreement with the hosted model: base <b>")
         .Append(P(d.BaseAgreement)).Append("</b> → tuned <b class=\"").Append(d.Reached ? "ok" : "bad").Append("\">").Append(P(d.TunedAgreement))
         .Append("</b> (target ").Append(Pct(d.Target)).Append(d.Reached ? ", reached" : ", not reached").Append("; stopped: ").Append(E(d.StopReason))
         .Append(" after ").Append(d.Rounds).Append(d.Rounds == 1 ? " round" : " rounds").Append(").</p>");
        h.Append("<p>Base model: <code>").Append(E(d.BaseModel)).Append("</code><br>Tuned model: <code>").Append(E(d.TunedModel)).Append("</code><br>Graders: ")
         .Append(E(d.GradersReason)).Append(".</p>");

        h.Append("<h2>Agreement per grader</h2>");
        Rows(h, "Grader", d.PerGrader);
        h.Append("<h2>Agreement per tag</h2>");
        Rows(h, "Tag", d.PerTag);
        h.Append("<h2>Fixed and regressed against the open base model</h2><p>Fixed (base disagreed, tuned agrees): <b>").Append(d.Fixed)
         .Append("</b>; regressed (base agreed, tuned disagrees): <b>").Append(d.Regressed).Append("</b>; exact McNemar p = ")
         .Append(d.McNemarP.ToString("0.####", CultureInfo.InvariantCulture)).Append(".</p>");

        h.Append("<h2>Cost per 1,000 requests</h2><table><tr><th></th><th>Before (hosted)</th><th>After (open model on this machine)</th></tr>");
        h.Append("<tr><td>Dollars</td><td class=\"num\">").Append(d.Cost.HostedUsd is { } usd ? "$" + usd.ToString("0.####", CultureInfo.InvariantCulture) : "price unknown (give --input-price/--output-price at capture)")
         .Append("</td><td class=\"num\">$").Append(d.Cost.LocalUsd.ToString("0.####", CultureInfo.InvariantCulture)).Append(" (no API bill; machine time as priced by --machine-usd-per-hour)</td></tr>");
        h.Append("<tr><td>Tokens / compute</td><td class=\"num\">").Append(d.Cost.HostedTokens.ToString("N0", CultureInfo.InvariantCulture))
         .Append(" tokens</td><td class=\"num\">").Append(d.Cost.LocalComputeSeconds.ToString("0.##", CultureInfo.InvariantCulture)).Append(" s of this machine</td></tr></table>");

        h.Append("<h2>Latency</h2><table><tr><th>Model</th><th>Mean ms</th><th>p50 ms</th><th>p95 ms</th><th>Requests</th></tr>");
        Latency(h, "Hosted (network included, capture)", d.HostedLatency);
        Latency(h, "Open base (this machine)", d.BaseLatency);
        Latency(h, "Open tuned (this machine)", d.TunedLatency);
        h.Append("</table>");

        h.Append("<h2>Rounds</h2><table><tr><th>Round</th><th>Examples</th><th>Synthesised</th><th>DPO pairs</th><th>Agreement</th><th>Seconds</th></tr>");
        foreach (var r in d.RoundResults)
            h.Append("<tr><td>").Append(r.Round).Append("</td><td class=\"num\">").Append(r.TrainExamples).Append("</td><td class=\"num\">").Append(r.Synthesized)
             .Append("</td><td class=\"num\">").Append(r.DpoPairs).Append("</td><td class=\"num\">").Append(Pct(r.Agreement)).Append("</td><td class=\"num\">")
             .Append(r.Seconds.ToString("0.0", CultureInfo.InvariantCulture)).Append("</td></tr>");
        h.Append("</table>");

        h.Append("<h2>Cases that still differ (").Append(d.Differences.Count).Append(")</h2>");
        if (d.Differences.Count == 0) h.Append("<p class=\"ok\">None: the tuned model agrees on every held-out case.</p>");
        else
        {
            h.Append("<table><tr><th>Case</th><th>Input</th><th>Hosted</th><th>Open (tuned)</th><th>Open (base)</th></tr>");
            foreach (var x in d.Differences)
                h.Append("<tr><td>").Append(E(x.Id)).Append(x.Tags.Count > 0 ? "<br><small>" + E(string.Join(", ", x.Tags)) + "</small>" : "")
                 .Append("</td><td><pre>").Append(E(x.Input)).Append("</pre></td><td><pre>").Append(E(x.Hosted)).Append("</pre></td><td><pre>")
                 .Append(E(x.Open)).Append("</pre></td><td><pre>").Append(E(x.BaseOpen)).Append("</pre></td></tr>");
            h.Append("</table>");
        }
        h.Append("<p><small>Generated by hone migrate report, ").Append(E(d.GeneratedAt)).Append(". Intervals: 95% Wilson.</small></p></body></html>");
        return h.ToString();
    }

    private static void Rows(StringBuilder h, string what, IReadOnlyList<AgreementRow> rows)
    {
        h.Append("<table><tr><th>").Append(what).Append("</th><th>Cases</th><th>Base</th><th>Tuned</th></tr>");
        foreach (var r in rows)
            h.Append("<tr><td>").Append(E(r.Name)).Append("</td><td class=\"num\">").Append(r.Tuned.Cases).Append("</td><td class=\"num\">")
             .Append(P(r.Base)).Append("</td><td class=\"num\">").Append(P(r.Tuned)).Append("</td></tr>");
        h.Append("</table>");
    }

    private static void Latency(StringBuilder h, string name, Latency l) =>
        h.Append("<tr><td>").Append(E(name)).Append("</td><td class=\"num\">").Append(l.MeanMs.ToString("0.#", CultureInfo.InvariantCulture))
         .Append("</td><td class=\"num\">").Append(l.P50Ms.ToString("0.#", CultureInfo.InvariantCulture)).Append("</td><td class=\"num\">")
         .Append(l.P95Ms.ToString("0.#", CultureInfo.InvariantCulture)).Append("</td><td class=\"num\">").Append(l.Requests).Append("</td></tr>");

    /// <summary>A rate with its interval, e.g. "62% [41%, 79%]".</summary>
    public static string P(Rate r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return $"{Pct(r.Value)} [{Pct(r.Low)}, {Pct(r.High)}] ({r.Passed}/{r.Cases})";
    }

    private static string Pct(double v) => (v * 100).ToString("0", CultureInfo.InvariantCulture) + "%";

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
