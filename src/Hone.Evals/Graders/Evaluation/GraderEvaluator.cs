using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Hone.Evals.Graders.Evaluation;

/// <summary>
/// A Hone grader as a Microsoft.Extensions.AI.Evaluation <see cref="IEvaluator"/>, so .NET test suites (and the
/// library's reporting) can use it: the response is the sample, the golden-set item comes as a
/// <see cref="GoldenItemContext"/> (an empty object when none is given), and the result is one
/// <see cref="NumericMetric"/> named after the grader whose value is the score in [0, 1], interpreted as failed unless the
/// grade passed.
/// </summary>
/// <remarks>
/// A grader error (unparseable output, a missing field, a failed judge call) is an error diagnostic on the metric,
/// rated inconclusive and failed. Metadata: <c>hone.pass_threshold</c>, and when present <c>hone.raw_score</c>,
/// <c>hone.label</c>, <c>hone.error_kind</c>.
/// </remarks>
public sealed class GraderEvaluator(IGrader grader) : IEvaluator
{
    private readonly IGrader _grader = grader ?? throw new ArgumentNullException(nameof(grader));

    /// <summary>The wrapped grader.</summary>
    public IGrader Grader => _grader;

    /// <inheritdoc />
    public IReadOnlyCollection<string> EvaluationMetricNames => [_grader.Name];

    /// <inheritdoc />
    public async ValueTask<EvaluationResult> EvaluateAsync(IEnumerable<ChatMessage> messages, ChatResponse modelResponse,
        ChatConfiguration? chatConfiguration = null, IEnumerable<EvaluationContext>? additionalContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelResponse);
        var item = additionalContext?.OfType<GoldenItemContext>().FirstOrDefault()?.Item ?? EmptyItem;
        var grade = await _grader.GradeAsync(new GradeContext(item, GradeSample.FromChatResponse(modelResponse)), cancellationToken).ConfigureAwait(false);
        return new EvaluationResult(ToMetric(grade, _grader.PassThreshold));
    }

    /// <summary>The metric for one grade.</summary>
    public static NumericMetric ToMetric(GradeResult grade, double passThreshold)
    {
        ArgumentNullException.ThrowIfNull(grade);
        var metric = new NumericMetric(grade.Grader, grade.Score, grade.Detail ?? grade.Error);
        var threshold = passThreshold.ToString("0.###", CultureInfo.InvariantCulture);
        var score = grade.Score.ToString("0.###", CultureInfo.InvariantCulture);
        metric.AddOrUpdateMetadata("hone.pass_threshold", threshold);
        if (grade.RawScore is { } raw) metric.AddOrUpdateMetadata("hone.raw_score", raw.ToString("R", CultureInfo.InvariantCulture));
        if (grade.Label is { } label) metric.AddOrUpdateMetadata("hone.label", label);
        if (grade.IsError)
        {
            metric.AddOrUpdateMetadata("hone.error_kind", grade.ErrorKind.ToString());
            metric.AddDiagnostics(EvaluationDiagnostic.Error($"{grade.ErrorKind}: {grade.Error}"));
            metric.Interpretation = new EvaluationMetricInterpretation(EvaluationRating.Inconclusive, failed: true, reason: $"the grader could not grade: {grade.Error}");
        }
        else
        {
            metric.Interpretation = grade.Pass
                ? new EvaluationMetricInterpretation(EvaluationRating.Good, failed: false, reason: $"score {score} reaches the pass threshold {threshold}")
                : new EvaluationMetricInterpretation(EvaluationRating.Unacceptable, failed: true, reason: $"score {score} is below the pass threshold {threshold}");
        }
        return metric;
    }

    private static readonly JsonElement EmptyItem = JsonDocument.Parse("{}").RootElement.Clone();
}

/// <summary>Turns Hone graders into evaluators.</summary>
public static class GraderEvaluatorExtensions
{
    /// <summary><paramref name="grader"/> as an <see cref="IEvaluator"/>.</summary>
    public static IEvaluator AsEvaluator(this IGrader grader) => new GraderEvaluator(grader);
}
