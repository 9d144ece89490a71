using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Hone.Core;
using Hone.Data.Samples;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.App.Demo;

/// <summary>
/// The demo's golden set as an eval spec, and a model measured on it with <see cref="EvalRunner"/> (an eval run in the
/// workspace's store): each case answered greedily and graded by <c>json_field_match</c> over the five fields (the
/// headline, <c>order_fields</c>: every field right) and one <c>json_field_match</c> per field (the per-field accuracy).
/// </summary>
internal static class DemoGoldenEval
{
    /// <summary>Longest answer generated (the reference JSON is about 40 tokens with the demo tokenizer).</summary>
    public const int MaxOutputTokens = 80;

    /// <summary>The headline grader.</summary>
    public const string Headline = "order_fields";

    /// <summary>The grader of one field.</summary>
    public static string FieldGrader(string field) => "field_" + field;

    /// <summary>Writes <c>evals/orders.yaml</c> over <paramref name="goldenPath"/>; returns its path.</summary>
    public static string WriteSpec(Workspace ws, string goldenPath)
    {
        var path = Path.Combine(ws.EvalsDir, "orders.yaml");
        const string Grader = "  - {{type: json_field_match, name: {0}, input: \"{{{{sample.output_text}}}}\", reference: \"{{{{item.reference}}}}\", fields: [{1}]}}\n";
        var graders = string.Format(CultureInfo.InvariantCulture, Grader, Headline, string.Join(", ", OrderExtractionTask.Fields)) +
            string.Concat(OrderExtractionTask.Fields.Select(f => string.Format(CultureInfo.InvariantCulture, Grader, FieldGrader(f), f)));
        AtomicFile.WriteAllText(path, $"golden_set: {Path.GetRelativePath(ws.EvalsDir, goldenPath).Replace('\\', '/')}\ngraders:\n{graders}primary_metric: {Headline}\n" +
            $"max_tokens: {MaxOutputTokens}\ntemperature: 0\n");
        return path;
    }

    /// <summary>Measures <paramref name="client"/> on the spec's golden set (as <paramref name="model"/> in the run store).</summary>
    public static async Task<DemoScore> RunAsync(Workspace ws, RunStore store, string specPath, string model, IChatClient client,
        IReadOnlyList<OrderExtractionTask.Case> golden, IPhaseProgress progress, string what, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var spec = EvalSpec.Load(specPath) with { MaxTokens = MaxOutputTokens, Temperature = 0 };
        var options = new EvalRunOptions
        {
            Spec = spec, Model = model, Concurrency = Math.Clamp(Environment.ProcessorCount, 1, 64), UseCache = false, Resume = false, MaxRetries = 0,
        };
        var runner = new EvalRunner(store, ws.RunsDir);
        var r = await progress.EvalAsync(what, p => runner.RunAsync(options, client, p, ct)).ConfigureAwait(false);
        var cases = r.Results.Select((x, i) => new DemoCase(golden[i].Sentence, golden[i].AnswerJson, x.Output, x.Pass,
            OrderExtractionTask.Fields.ToDictionary(f => f, f => x.Grades.FirstOrDefault(g => g.Grader == FieldGrader(f))?.Score ?? 0, StringComparer.Ordinal))).ToList();
        return Summarise(r.Run.Id, cases, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The score of graded cases.</summary>
    public static DemoScore Summarise(string evalRun, IReadOnlyList<DemoCase> cases, double seconds)
    {
        var n = cases.Count;
        var passed = cases.Count(x => x.Pass);
        var acc = n == 0 ? 0 : (double)passed / n;
        var fields = OrderExtractionTask.Fields.ToDictionary(f => f, f => n == 0 ? 0 : cases.Average(x => x.FieldScores[f]), StringComparer.Ordinal);
        var valid = n == 0 ? 0 : cases.Count(x => IsJsonObject(x.Output)) / (double)n;
        var mean = fields.Count == 0 ? 0 : fields.Values.Average();
        return new DemoScore(evalRun, passed, acc, DemoStatistics.Wilson(acc, n), valid, fields, mean, DemoStatistics.Wilson(mean, n * fields.Count), seconds)
        {
            Results = cases,
        };
    }

    /// <summary>
    /// Indices of up to <paramref name="count"/> cases to show: first those the tuning fixed, then those it broke, then
    /// any, in golden-set order.
    /// </summary>
    public static IReadOnlyList<int> SideBySide(DemoScore before, DemoScore after, int count)
    {
        var n = before.Results.Count;
        var fixedOnes = Enumerable.Range(0, n).Where(i => !before.Results[i].Pass && after.Results[i].Pass);
        var broken = Enumerable.Range(0, n).Where(i => before.Results[i].Pass && !after.Results[i].Pass);
        return [.. fixedOnes.Concat(broken).Concat(Enumerable.Range(0, n)).Distinct().Take(count)];
    }

    private static bool IsJsonObject(string text)
    {
        try
        {
            using var d = JsonDocument.Parse(text);
            return d.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
