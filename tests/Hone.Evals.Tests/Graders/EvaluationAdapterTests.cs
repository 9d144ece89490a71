using System.Globalization;
using System.Text.Json;
using Hone.Evals.Graders;
using Hone.Evals.Graders.Config;
using Hone.Evals.Graders.Evaluation;
using Hone.Evals.Tests.Runs;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Hone.Evals.Tests.Graders;

/// <summary>
/// An evaluator written against Microsoft.Extensions.AI.Evaluation alone: the answer's distance from the item's
/// <c>answer</c> field as a 0-10 closeness score (10 exact). It records what it was given.
/// </summary>
public sealed class ClosenessEvaluator : IEvaluator
{
    public static readonly List<(int Messages, string Response, bool SawItem)> Seen = [];

    public IReadOnlyCollection<string> EvaluationMetricNames => ["closeness"];

    public ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse, ChatConfiguration? chatConfiguration = null,
        IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
    {
        var item = additionalContext?.OfType<GoldenItemContext>().SingleOrDefault();
        lock (Seen) Seen.Add((messages.Count(), modelResponse.Text, item is not null));
        var expected = int.Parse(item!.Item.GetProperty("answer").GetString()!, CultureInfo.InvariantCulture);
        if (!int.TryParse(modelResponse.Text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var got))
            return ValueTask.FromResult(new EvaluationResult(new NumericMetric("closeness") { Diagnostics = [EvaluationDiagnostic.Error($"'{modelResponse.Text}' is not a number")] }));
        return ValueTask.FromResult(new EvaluationResult(new NumericMetric("closeness", Math.Max(0, 10 - Math.Abs(expected - got)), $"off by {Math.Abs(expected - got)}")));
    }
}

public class EvaluationAdapterTests
{
    [Fact]
    public async Task A_hone_grader_is_an_IEvaluator_whose_metric_carries_the_score_and_the_verdict()
    {
        var grader = GraderFactory.FromYaml("""
            type: string_check
            name: label
            input: "{{sample.output_text}}"
            reference: "{{item.label}}"
            operation: eq
            """);
        IEvaluator evaluator = grader.AsEvaluator();
        Assert.Equal(["label"], evaluator.EvaluationMetricNames);
        var item = new GoldenItemContext("""{"label":"positive"}""");

        var right = await evaluator.EvaluateAsync(new ChatResponse(new ChatMessage(ChatRole.Assistant, "positive")), additionalContext: [item]);
        var good = right.Get<NumericMetric>("label");
        Assert.Equal(1.0, good.Value);
        Assert.False(good.Interpretation!.Failed);
        Assert.Equal(EvaluationRating.Good, good.Interpretation.Rating);

        var wrong = (await evaluator.EvaluateAsync(new ChatResponse(new ChatMessage(ChatRole.Assistant, "negative")), additionalContext: [item])).Get<NumericMetric>("label");
        Assert.Equal(0.0, wrong.Value);
        Assert.True(wrong.Interpretation!.Failed);

        // A grader that cannot grade (the item lacks the field) says so as an error diagnostic, never as a pass.
        var noItem = (await evaluator.EvaluateAsync(new ChatResponse(new ChatMessage(ChatRole.Assistant, "positive")))).Get<NumericMetric>("label");
        Assert.True(noItem.Interpretation!.Failed);
        Assert.Equal(EvaluationRating.Inconclusive, noItem.Interpretation.Rating);
        Assert.Contains(noItem.Diagnostics!, d => d.Severity == EvaluationDiagnosticSeverity.Error && d.Message.Contains("MissingField", StringComparison.Ordinal));
        Assert.Equal("MissingField", noItem.Metadata!["hone.error_kind"]);
    }

    [Fact]
    public async Task Any_IEvaluator_named_by_type_in_a_spec_grades_an_eval_run()
    {
        var spec = EvalFixture.Spec.Replace("""
              - type: string_check
                name: exact
                input: "{{sample.output_text}}"
                reference: "{{item.answer}}"
                operation: eq
            """, $"""
              - type: evaluator
                name: close
                evaluator: "{typeof(ClosenessEvaluator).FullName}, {typeof(ClosenessEvaluator).Assembly.GetName().Name}"
                range: [0, 10]
                pass_threshold: 9
            """, StringComparison.Ordinal);
        Assert.Contains("type: evaluator", spec, StringComparison.Ordinal);
        using var f = new EvalFixture(spec);
        // Right on every case except the two multiplications (a4, a5), which it gets wrong by one and by three.
        var client = CountingChatClient.Text((q, _) => q.Contains("9*9", StringComparison.Ordinal) ? "80" : q.Contains("7*8", StringComparison.Ordinal) ? "59" : EvalFixture.Solve(q));
        lock (ClosenessEvaluator.Seen) ClosenessEvaluator.Seen.Clear();

        var result = await f.Runner.RunAsync(f.Options(concurrency: 1), client);

        var byCase = result.Results.ToDictionary(r => r.CaseId, r => Assert.Single(r.Grades));
        Assert.Equal(1.0, byCase["a1"].Score);
        Assert.True(byCase["a1"].Pass);
        Assert.Equal(0.9, byCase["a4"].Score, 12); // off by one: 9 of 10, still a pass at 9
        Assert.True(byCase["a4"].Pass);
        Assert.Equal(0.7, byCase["a5"].Score, 12); // off by three: 7 of 10, a failure
        Assert.False(byCase["a5"].Pass);
        Assert.Equal(5, result.Summary.Passed);
        Assert.All(ClosenessEvaluator.Seen, s => Assert.True(s.SawItem));
        Assert.Equal(6, ClosenessEvaluator.Seen.Count);
    }

    [Fact]
    public async Task An_evaluator_error_or_missing_metric_is_a_grader_error_not_a_failure()
    {
        var grader = new EvaluatorGrader("close", new ClosenessEvaluator(), low: 0, high: 10);
        var r = await grader.GradeAsync(GradeContext.FromJson("""{"answer":"4"}""", "four"), CancellationToken.None);
        Assert.Equal(GradeErrorKind.ModelError, r.ErrorKind);
        Assert.Contains("not a number", r.Error, StringComparison.Ordinal);
        var other = new EvaluatorGrader("close", new ClosenessEvaluator(), metric: "relevance");
        var missing = await other.GradeAsync(GradeContext.FromJson("""{"answer":"4"}""", "4"), CancellationToken.None);
        Assert.Equal(GradeErrorKind.ParseError, missing.ErrorKind);
        Assert.Contains("closeness", missing.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("No.Such.Evaluator, Nowhere", "Namespace.Type, Assembly")]
    [InlineData("System.String", "not a concrete Microsoft.Extensions.AI.Evaluation.IEvaluator")]
    public void A_type_that_is_not_an_evaluator_is_a_config_error_saying_what_to_give(string type, string expected)
    {
        var e = Assert.Throws<GraderConfigException>(() => GraderFactory.FromYaml($"type: evaluator\nevaluator: \"{type}\"\n"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("evaluator", e.Message, StringComparison.Ordinal);
    }
}
