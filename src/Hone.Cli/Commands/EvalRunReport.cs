using System.Globalization;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Store;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>The human-readable report of an eval run.</summary>
internal static class EvalRunReport
{
    /// <summary>Writes the summary, per-grader, per-class, per-tag and usage lines of <paramref name="r"/>.</summary>
    public static void Write(CliContext ctx, EvalRunResult r, EvalSpec spec)
    {
        var s = r.Summary;
        var c = ctx.Console;
        c.MarkupLine($"[bold]{Markup.Escape(r.Run.Id)}[/] ({Markup.Escape(r.Run.Name)}), {s.Cases} cases × {s.Repeats}" +
            (r.Reused > 0 ? $", {r.Reused} samples reused from the interrupted run" : ""));
        var headline = s.PrimaryMetric is { } pm ? $" on {Markup.Escape(pm)} (primary metric)" : "";
        c.MarkupLine($"accuracy{headline} [bold]{EvalCommands.Pct(s.Accuracy)}[/] ({s.Passed}/{s.Graded} graded), 95% Wilson interval " +
            $"{EvalCommands.Pct(s.AccuracyLow)}–{EvalCommands.Pct(s.AccuracyHigh)}");
        if (s.PassAtK is { } k) c.MarkupLine($"pass@{s.Repeats} {EvalCommands.Pct(k)}, pass^{s.Repeats} {EvalCommands.Pct(s.PassHatK ?? 0)}, flaky: {s.FlakyCases.Count}" +
            (s.FlakyCases.Count > 0 ? " (" + Markup.Escape(string.Join(", ", s.FlakyCases.Take(10))) + ")" : ""));
        if (s.GraderErrors > 0)
        {
            var first = r.Results.SelectMany(x => x.Grades).FirstOrDefault(g => g.ErrorKind is not null);
            c.MarkupLine($"[red]{s.GraderErrors} samples got a grader error[/] instead of a verdict (not counted as failures" +
                (s.PrimaryMetric is null ? ", left out of the accuracy" : "") + "); fix the spec or the golden set" +
                (first is null ? "." : $", e.g. {Markup.Escape(first.Grader)}: {Markup.Escape(first.Error ?? first.ErrorKind!)}"));
        }
        if (s.Skipped > 0)
            c.MarkupLine($"[yellow]{s.Skipped} samples skipped[/]: their prompt is longer than the model's context (not in the accuracy; " +
                "--on-overflow truncate-start cuts them instead).");
        if (s.Truncated > 0)
            c.MarkupLine($"[yellow]{s.Truncated} samples truncated[/]: their prompt lost its oldest tokens to fit the model's context.");
        var t = new Table().AddColumns("grader", "mean score", "pass rate", "graded", "errors");
        foreach (var g in s.Graders)
            t.AddRow(Markup.Escape(g.Grader) + (g.Grader == s.PrimaryMetric ? " [dim](primary)[/]" : ""), g.MeanScore.ToString("0.000", CultureInfo.InvariantCulture),
                EvalCommands.Pct(g.PassRate), g.Graded.ToString(CultureInfo.InvariantCulture), g.Errors > 0 ? $"[red]{g.Errors}[/]" : "0");
        c.Write(t);
        foreach (var cls in s.Classification) WriteClasses(c, cls);
        if (s.Tags.Count > 0)
        {
            var tags = new Table().AddColumns("tag", "cases", "accuracy");
            foreach (var g in s.Tags) tags.AddRow(Markup.Escape(g.Tag), g.Cases.ToString(CultureInfo.InvariantCulture), EvalCommands.Pct(g.Accuracy));
            c.Write(tags);
        }
        int answered = s.EndedOnOwn + s.HitTokenLimit;
        if (answered > 0)
            c.MarkupLine($"outputs: {s.EndedOnOwn} ended on their own, " + (s.HitTokenLimit > 0 ? $"[yellow]{s.HitTokenLimit} hit the token limit[/]" : "0 hit the token limit") +
                (spec.MaxTokens is { } mt ? $" (max_tokens {mt})" : "") +
                (s.HitTokenLimit * 2 > answered ? "; most answers never stopped: raise max_tokens, or check that the model learned to end its turn" : ""));
        c.MarkupLine($"model calls {r.ModelCalls}, cache hits {s.CacheHits}, tokens {s.InputTokens} in / {s.OutputTokens} out" +
            (s.CostUsd is { } cost ? $", cost ${cost.ToString("0.0000", CultureInfo.InvariantCulture)}" : "") +
            $", mean latency {s.MeanLatencyMs.ToString("0", CultureInfo.InvariantCulture)} ms");
        var overflowErrors = r.Results.Count(x => x.Error is not null && x.IsOverLong);
        if (s.ModelErrors > overflowErrors)
            c.MarkupLine($"[red]{s.ModelErrors - overflowErrors} model calls failed[/]; run the same command again to retry only those.");
        if (overflowErrors > 0)
            c.MarkupLine($"[red]{overflowErrors} cases are longer than the model's context[/] (--on-overflow fail); give --on-overflow skip or truncate-start.");
        var byStep = r.Results.Where(x => x.FailedStep is not null).GroupBy(x => x.FailedStep!).Select(g => $"{g.Key} {g.Count()}").ToList();
        if (byStep.Count > 0) c.MarkupLine($"failing cases by the step where they went wrong: {Markup.Escape(string.Join(", ", byStep))}");
        c.MarkupLine($"cases: {Markup.Escape(r.CasesPath)}");
    }

    private static void WriteClasses(IAnsiConsole c, ClassificationSummary cls)
    {
        var t = new Table().Title($"{Markup.Escape(cls.Grader)}: per class (macro-F1 {cls.MacroF1.ToString("0.000", CultureInfo.InvariantCulture)})")
            .AddColumns("expected \\ predicted");
        foreach (var col in cls.Columns) t.AddColumn(new TableColumn(Markup.Escape(col)).RightAligned());
        t.AddColumns("support", "accuracy", "F1");
        for (int i = 0; i < cls.Classes.Count; i++)
        {
            var k = cls.Classes[i];
            var cells = new List<string> { Markup.Escape(k.Label) };
            cells.AddRange(cls.Confusion[i].Select((n, j) => j == i ? $"[bold]{n}[/]" : n.ToString(CultureInfo.InvariantCulture)));
            cells.Add(k.Support.ToString(CultureInfo.InvariantCulture));
            cells.Add(EvalCommands.Pct(k.Accuracy));
            cells.Add(k.F1.ToString("0.000", CultureInfo.InvariantCulture));
            t.AddRow([.. cells]);
        }
        c.Write(t);
    }
}
