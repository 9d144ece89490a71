using System.Globalization;
using Hone.Data.Checks;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>The report of <c>hone data check</c>: verdict, findings by code, the first findings, tokens, dataset checks and cost.</summary>
internal static class DataCheckView
{
    public static void Render(IAnsiConsole console, DataCheckReport r, int maxShown)
    {
        var verdict = r.HasErrors ? "[red]errors found[/]" : r.Warnings > 0 ? "[yellow]no errors, some warnings[/]" : "[green]no problems found[/]";
        console.MarkupLine($"[bold]{Markup.Escape(r.File)}[/]: {r.Examples:N0} {r.Kind} examples{(r.KindDetected ? " (kind detected)" : "")}, {r.Lines:N0} lines, {r.Bytes:N0} bytes — {verdict}");
        console.MarkupLine($"  {r.Errors} errors, {r.Warnings} warnings, {r.Infos} notes");
        if (r.CountsByCode.Count > 0)
        {
            var codes = new Table().Title("findings by code").AddColumns("code", "count");
            foreach (var (code, count) in r.CountsByCode.OrderByDescending(kv => kv.Value)) codes.AddRow(Markup.Escape(code), count.ToString("N0", CultureInfo.InvariantCulture));
            console.Write(codes);
            var findings = new Table().AddColumns("severity", "where", "code", "message", "fix");
            foreach (var f in r.Findings.Take(maxShown))
            {
                var color = f.Severity switch { FindingSeverity.Error => "red", FindingSeverity.Warning => "yellow", _ => "grey" };
                var where = (f.Line is { } l ? $"line {l}" + (f.Column is { } col ? $":{col}" : "") : "file") + (f.Path is { } jp ? " " + jp : "");
                findings.AddRow($"[{color}]{f.Severity}[/]", Markup.Escape(where), Markup.Escape(f.Code), Markup.Escape(f.Message), Markup.Escape(f.Fix));
            }
            console.Write(findings);
            if (r.Findings.Count > maxShown || r.FindingsTruncated) console.MarkupLine($"  (showing {Math.Min(maxShown, r.Findings.Count)} of {r.Errors + r.Warnings + r.Infos}; --json lists all kept)");
        }
        if (r.Tokens is { } t)
        {
            var tokens = new Table().Title($"tokens per example — {Markup.Escape(t.Counter)}").AddColumns("min", "p5", "median", "mean", "p95", "max", "total", "limit", "over limit");
            tokens.AddRow(t.Min.ToString(CultureInfo.InvariantCulture), F(t.P5), F(t.Median), F(t.Mean), F(t.P95), t.Max.ToString(CultureInfo.InvariantCulture),
                t.Total.ToString("N0", CultureInfo.InvariantCulture), $"{t.ContextLimit:N0} ({Markup.Escape(t.ContextLimitSource)})", t.OverLimit.ToString(CultureInfo.InvariantCulture));
            console.Write(tokens);
            if (t.OverLimitAction is { } action) console.MarkupLine($"  [yellow]{Markup.Escape(action)}[/]");
        }
        var d = r.Dataset;
        var ds = new Table().Title("dataset").AddColumns("check", "result");
        ds.AddRow("exact duplicates", d.ExactDuplicates.ToString(CultureInfo.InvariantCulture));
        ds.AddRow("near-duplicates", d.NearDuplicates is { } nd ? $"{nd} ({Markup.Escape(d.NearDuplicateMethod ?? "")})" : "not computed (--no-near-duplicates)");
        ds.AddRow("contradictions (same input, different output)", d.Contradictions.ToString(CultureInfo.InvariantCulture));
        ds.AddRow("distinct system prompts", $"{d.DistinctSystemPrompts} ({d.ExamplesWithoutSystemPrompt} examples without one)");
        if (d.Labels is { Count: > 0 } labels)
            ds.AddRow("labels", Markup.Escape(string.Join(", ", labels.Select(l => $"{l.Label}: {l.Count}"))));
        if (d.LeakedValidExamples is { } leak) ds.AddRow("leakage into --valid", $"{leak} of {d.ValidExamples} validation examples also in training");
        console.Write(ds);
        if (r.Cost is { } c)
        {
            console.MarkupLine($"[bold]cost[/]: {c.Epochs} epochs × {c.BilledTokensPerEpoch:N0} tokens = {c.BilledTokens:N0} billed tokens" +
                (c.EstimatedUsd is { } usd ? $" ≈ [bold]${usd:0.00}[/] at ${c.PricePer1M}/1M ({Markup.Escape(c.PriceSource ?? "")})" : " (no price: give --price-per-1m or --price-model)"));
            console.MarkupLine($"  [grey]{Markup.Escape(c.Rule)}[/]");
        }
    }

    private static string F(double x) => x.ToString("0.#", CultureInfo.InvariantCulture);
}
