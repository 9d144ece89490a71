using System.Globalization;
using Hone.App.Demo;
using Hone.Data.Samples;
using Hone.Training.Analysis;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// The end of <c>hone demo</c>'s output: the base and tuned models side by side on the golden set (exact match, fields,
/// valid JSON, with intervals), the fine-tune's curves and diagnosis, three cases side by side and the phase times.
/// </summary>
internal static class DemoSummaryView
{
    /// <summary>The before/after table, the curves, three cases side by side and the phase times.</summary>
    public static void Print(IAnsiConsole console, DemoResult r, string root)
    {
        var before = r.Before!;
        var after = r.After!;
        var sft = r.FineTune!.Detail;
        console.Write(new Rule("[bold]Before / after[/] (golden set, greedy, json_field_match on every field)").LeftJustified());
        var table = new Table().AddColumns("metric", "base model", "tuned model");
        table.AddRow("exact match (all 5 fields)", Pct(before), Pct(after));
        table.AddRow("mean field accuracy", FieldPct(before), FieldPct(after));
        table.AddRow("valid JSON", P(before.ValidJson), P(after.ValidJson));
        foreach (var f in OrderExtractionTask.Fields) table.AddRow("field " + f, P(before.Fields[f]), P(after.Fields[f]));
        console.Write(table);

        console.Write(new Rule("[bold]Curves[/] (LoRA fine-tune)").LeftJustified());
        console.MarkupLine($"train loss      {Markup.Escape(Sparkline.Render([.. sft.History.Select(h => h.TrainLoss)], 40))}  {sft.History[0].TrainLoss:0.000} → {sft.History[^1].TrainLoss:0.000}");
        console.MarkupLine($"train token acc {Markup.Escape(Sparkline.Render([.. sft.History.Select(h => h.TrainAccuracy)], 40))}  {sft.History[0].TrainAccuracy:0.000} → {sft.History[^1].TrainAccuracy:0.000}");
        var valid = sft.History.Where(h => h.ValidLoss is not null).ToList();
        if (valid.Count > 0)
        {
            console.MarkupLine($"valid loss      {Markup.Escape(Sparkline.Render([.. valid.Select(h => h.ValidLoss!.Value)], 40))}  {valid[0].ValidLoss:0.000} → {valid[^1].ValidLoss:0.000}");
            console.MarkupLine($"valid token acc {Markup.Escape(Sparkline.Render([.. valid.Select(h => h.ValidAccuracy!.Value)], 40))}  {valid[0].ValidAccuracy:0.000} → {valid[^1].ValidAccuracy:0.000}");
        }
        console.MarkupLine($"chart {Markup.Escape(Path.GetRelativePath(root, sft.ChartPath))}");
        DiagnosisView.Print(console, sft.Findings, sft.History.Count);

        console.Write(new Rule("[bold]Side by side[/]").LeftJustified());
        foreach (var x in r.Examples ?? [])
        {
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            grid.AddRow("[bold]input[/]", Markup.Escape(x.Input));
            grid.AddRow(x.BasePass ? "[green]base[/]" : "[red]base[/]", Markup.Escape(OneLine(x.BaseOutput)));
            grid.AddRow(x.TunedPass ? "[green]tuned[/]" : "[red]tuned[/]", Markup.Escape(OneLine(x.TunedOutput)));
            grid.AddRow("[bold]reference[/]", Markup.Escape(x.Reference));
            console.Write(grid);
            console.WriteLine();
        }
        console.MarkupLine("time: " + string.Join(", ", r.Seconds.Select(kv => $"{kv.Key.Replace('_', ' ')} {kv.Value:0.0} s")));
    }

    private static string Pct(DemoScore s) => string.Create(CultureInfo.InvariantCulture,
        $"{s.Accuracy * 100:0.0}% ({s.Passed}/{s.Cases}) [[95% CI {s.Ci95[0] * 100:0.0}–{s.Ci95[1] * 100:0.0}]]");

    private static string FieldPct(DemoScore s) => string.Create(CultureInfo.InvariantCulture,
        $"{s.FieldMean * 100:0.0}% [[95% CI {s.FieldCi95[0] * 100:0.0}–{s.FieldCi95[1] * 100:0.0}]]");

    private static string P(double x) => string.Create(CultureInfo.InvariantCulture, $"{x * 100:0.0}%");

    private static string OneLine(string s)
    {
        var t = s.Replace("\n", "⏎", StringComparison.Ordinal);
        return t.Length <= 160 ? t : t[..160] + "…";
    }
}
