using System.Globalization;
using Hone.Data.Samples;
using Hone.Training.Analysis;
using Hone.Training.Runs;
using Hone.Training.Sft;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>What <c>hone demo</c> prints at the end: the before/after table, the curves, side-by-side examples, the phase times.</summary>
internal static class DemoOutput
{
    public static void Print(IAnsiConsole console, DemoScore before, DemoScore after, SftResult sft, IReadOnlyDictionary<string, double> phases, string root)
    {
        console.Write(new Rule("[bold]Before / after[/] (golden set, greedy, json_field_match on every field)").LeftJustified());
        var table = new Table().AddColumns("metric", "base model", "tuned model");
        table.AddRow("exact match (all 5 fields)", Pct(before), Pct(after));
        table.AddRow("mean field accuracy", FieldPct(before), FieldPct(after));
        table.AddRow("valid JSON", P(before.ValidJson), P(after.ValidJson));
        foreach (var f in OrderExtractionTask.Fields) table.AddRow("field " + f, P(before.FieldAccuracy[f]), P(after.FieldAccuracy[f]));
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
        foreach (var i in SideBySide(before, after, 3))
        {
            var b = before.Cases[i];
            var a = after.Cases[i];
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            grid.AddRow("[bold]input[/]", Markup.Escape(b.Sentence));
            grid.AddRow(b.Pass ? "[green]base[/]" : "[red]base[/]", Markup.Escape(OneLine(b.Output)));
            grid.AddRow(a.Pass ? "[green]tuned[/]" : "[red]tuned[/]", Markup.Escape(OneLine(a.Output)));
            grid.AddRow("[bold]reference[/]", Markup.Escape(b.Reference));
            console.Write(grid);
            console.WriteLine();
        }
        console.MarkupLine("time: " + string.Join(", ", phases.Select(kv => $"{kv.Key.Replace('_', ' ')} {kv.Value:0.0} s")));
    }

    /// <summary>
    /// Indices of up to <paramref name="count"/> cases to show: first those the tuning fixed, then those it broke, then
    /// any, in golden-set order.
    /// </summary>
    public static IReadOnlyList<int> SideBySide(DemoScore before, DemoScore after, int count)
    {
        var n = before.Cases.Count;
        var fixedOnes = Enumerable.Range(0, n).Where(i => !before.Cases[i].Pass && after.Cases[i].Pass);
        var broken = Enumerable.Range(0, n).Where(i => before.Cases[i].Pass && !after.Cases[i].Pass);
        return [.. fixedOnes.Concat(broken).Concat(Enumerable.Range(0, n)).Distinct().Take(count)];
    }

    public static object ScoreJson(DemoScore s) => new
    {
        cases = s.Cases.Count,
        passed = s.Passed,
        accuracy = s.Accuracy,
        ci95 = new[] { s.Interval.Low, s.Interval.High },
        valid_json = s.ValidJson,
        fields = s.FieldAccuracy,
        field_mean = s.FieldMean,
        field_ci95 = new[] { s.FieldInterval.Low, s.FieldInterval.High },
        seconds = s.Seconds,
    };

    private static string Pct(DemoScore s) => string.Create(CultureInfo.InvariantCulture,
        $"{s.Accuracy * 100:0.0}% ({s.Passed}/{s.Cases.Count}) [[95% CI {s.Interval.Low * 100:0.0}–{s.Interval.High * 100:0.0}]]");

    private static string FieldPct(DemoScore s) => string.Create(CultureInfo.InvariantCulture,
        $"{s.FieldMean * 100:0.0}% [[95% CI {s.FieldInterval.Low * 100:0.0}–{s.FieldInterval.High * 100:0.0}]]");

    private static string P(double x) => string.Create(CultureInfo.InvariantCulture, $"{x * 100:0.0}%");

    private static string OneLine(string s)
    {
        var t = s.Replace("\n", "⏎", StringComparison.Ordinal);
        return t.Length <= 160 ? t : t[..160] + "…";
    }
}

/// <summary>Progress display for the demo's long phases (bar when interactive, a few log lines otherwise, nothing with --json).</summary>
internal static class DemoProgress
{
    public static T Run<T>(CliContext ctx, string what, Func<IProgress<TrainingProgress>, T> work)
    {
        if (ctx.Json) return work(new Sync(_ => { }));
        if (!ctx.Interactive)
        {
            long next = 0;
            return work(new Sync(pr =>
            {
                if (pr.Phase != "train" || (pr.Step < next && pr.Step != pr.TotalSteps)) return;
                next = pr.Step + Math.Max(1, pr.TotalSteps / 5);
                ctx.Console.MarkupLine(Markup.Escape($"    {what}: " + Line(pr)));
            }));
        }
        T result = default!;
        ctx.Console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(p =>
            {
                var task = p.AddTask(Markup.Escape(what), maxValue: 1);
                result = work(new Sync(pr =>
                {
                    task.MaxValue = Math.Max(1, pr.TotalSteps);
                    task.Value = pr.Step;
                    task.Description = Markup.Escape($"{what}: {Line(pr)}");
                }));
            });
        return result;
    }

    public static T Count<T>(CliContext ctx, string what, int total, Func<Action<int>, T> work)
    {
        if (ctx.Json || !ctx.Interactive) return work(_ => { });
        T result = default!;
        ctx.Console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
            .Start(p =>
            {
                var task = p.AddTask(Markup.Escape(what), maxValue: Math.Max(1, total));
                result = work(done => task.Value = done);
            });
        return result;
    }

    private static string Line(TrainingProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:0.000} acc {p.Accuracy:0.000} {p.TokensPerSecond:N0} tok/s");

    private sealed class Sync(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
