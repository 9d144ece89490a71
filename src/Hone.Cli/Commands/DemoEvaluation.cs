using System.Diagnostics;
using System.Text.Json;
using Hone.Data.Samples;
using Hone.Evals.Compare;
using Hone.Evals.Graders;
using Hone.Evals.Graders.Json;
using Hone.Evals.Runs;
using Hone.Evals.Templating;
using Hone.Store;
using Hone.Models.Chat;
using Microsoft.Extensions.AI;

namespace Hone.Cli.Commands;

/// <summary>One golden case answered by a model and graded.</summary>
/// <param name="Sentence">The user's sentence.</param>
/// <param name="Reference">The reference JSON.</param>
/// <param name="Output">What the model wrote (greedy).</param>
/// <param name="Pass">Every field matches.</param>
/// <param name="FieldScores">1 or 0 per field (all 0 when the output is not JSON).</param>
internal sealed record DemoCase(string Sentence, string Reference, string Output, bool Pass, IReadOnlyDictionary<string, double> FieldScores);

/// <summary>
/// A model's accuracy on the golden set: exact match (every field right) with its 95% Wilson interval over the cases,
/// and mean per-field accuracy with its 95% Wilson interval over the case × field decisions.
/// </summary>
internal sealed record DemoScore(IReadOnlyList<DemoCase> Cases, int Passed, double Accuracy, Interval Interval,
    IReadOnlyDictionary<string, double> FieldAccuracy, double FieldMean, Interval FieldInterval, double ValidJson, double Seconds);

/// <summary>
/// Measures a chat model on the demo's golden set with the task's grader: each case is answered greedily (temperature 0)
/// and graded by <c>json_field_match</c> over the five fields; a case passes when every field matches exactly.
/// </summary>
internal static class DemoEvaluation
{
    /// <summary>Longest answer generated (the reference JSON is about 40 tokens with the demo tokenizer).</summary>
    public const int MaxOutputTokens = 80;

    private static readonly JsonFieldMatchGrader Grader = new("order_fields", Template.Parse("{{sample.output_text}}"),
        Template.Parse("{{item.reference}}"), OrderExtractionTask.Fields, passThreshold: 1.0);

    public static DemoScore Run(IChatClient client, IReadOnlyList<OrderExtractionTask.Case> golden, Action<int>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var cases = new DemoCase[golden.Count];
        var done = 0;
        var local = client as LocalChatClient;
        Parallel.For(0, golden.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount), CancellationToken = ct }, i =>
        {
            var c = golden[i];
            IList<ChatMessage> messages = [new ChatMessage(ChatRole.System, OrderExtractionTask.SystemPrompt), new ChatMessage(ChatRole.User, c.Sentence)];
            var room = local is null ? MaxOutputTokens : local.MaxContext - local.EncodePrompt(messages).Length;
            if (room < 1) throw new CliUsageException($"The golden case '{c.Sentence}' leaves no room to answer in the model's context of {local!.MaxContext} tokens.");
            var options = new ChatOptions { Temperature = 0, MaxOutputTokens = Math.Min(MaxOutputTokens, room), Seed = 1 };
            var response = client.GetResponseAsync(messages, options, ct)
                .GetAwaiter().GetResult();
            var output = response.Text ?? "";
            cases[i] = Grade(c, output);
            progress?.Invoke(Interlocked.Increment(ref done));
        });
        return Summarise(cases, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Grades one output against a case's reference.</summary>
    public static DemoCase Grade(OrderExtractionTask.Case c, string output)
    {
        var item = JsonSerializer.Serialize(new { reference = JsonSerializer.Deserialize<JsonElement>(c.AnswerJson) });
        var r = Grader.GradeAsync(GradeContext.FromJson(item, output), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        var fields = OrderExtractionTask.Fields.ToDictionary(f => f, f => r.FieldScores.GetValueOrDefault(f), StringComparer.Ordinal);
        return new DemoCase(c.Sentence, c.AnswerJson, output, r.Pass, fields);
    }

    public static DemoScore Summarise(IReadOnlyList<DemoCase> cases, double seconds)
    {
        var n = cases.Count;
        var passed = cases.Count(x => x.Pass);
        var acc = n == 0 ? 0 : (double)passed / n;
        var fields = OrderExtractionTask.Fields.ToDictionary(f => f, f => n == 0 ? 0 : cases.Average(x => x.FieldScores[f]), StringComparer.Ordinal);
        var valid = n == 0 ? 0 : cases.Count(x => IsJsonObject(x.Output)) / (double)n;
        var mean = fields.Count == 0 ? 0 : fields.Values.Average();
        return new DemoScore(cases, passed, acc, EvalStatistics.Wilson(acc, n), fields, mean, EvalStatistics.Wilson(mean, n * fields.Count),
            valid, seconds);
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

    /// <summary>
    /// Records a measurement as an eval run (kind <c>eval</c>, name <c>demo-golden</c>, its <c>cases.jsonl</c> and summary),
    /// so <c>hone compare</c>, <c>hone eval show</c> and <c>hone ui</c> (compare, edit to teach) work on the demo's before and after.
    /// </summary>
    public static string Record(Workspace ws, RunStore store, string model, IReadOnlyList<DemoCase> cases)
    {
        var run = store.CreateRun(EvalRunner.Kind, "demo-golden", JsonSerializer.Serialize(new { demo = true, model }));
        var results = cases.Select((c, i) => new CaseResult
        {
            CaseId = "g" + i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture),
            Output = c.Output,
            Pass = c.Pass,
            Reference = c.Reference,
            Input = JsonSerializer.SerializeToElement(new[] { new { role = "system", content = OrderExtractionTask.SystemPrompt }, new { role = "user", content = c.Sentence } }),
            Grades = [new GraderOutcome("order_fields", c.FieldScores.Count == 0 ? 0 : c.FieldScores.Values.Average(), c.Pass,
                Detail: string.Join(", ", c.FieldScores.Select(f => $"{f.Key} {(f.Value >= 1 ? "ok" : "wrong")}")))],
        }).ToList();
        var path = Path.Combine(ws.RunsDir, run.Id, EvalRunner.CasesArtifact);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteText(path, w => { foreach (var r in results) w.Write(r.ToJsonLine() + "\n"); });
        store.AddArtifact(run.Id, EvalRunner.CasesArtifact, path, null, new FileInfo(path).Length);
        store.SetTag(run.Id, "eval.model", model);
        var summary = EvalSummary.Compute(results, ["order_fields"]);
        store.LogMetrics(run.Id, 0, [new("accuracy", summary.Accuracy), new("cases", summary.Cases)]);
        store.SetStatus(run.Id, RunStatus.Succeeded, JsonSerializer.Serialize(summary, CaseResult.JsonOptions));
        return run.Id;
    }
}
