using System.Globalization;
using System.Text.Json;
using Hone.Evals.Specs;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace Hone.Evals.Graders.Evaluation;

/// <summary>
/// A Microsoft.Extensions.AI.Evaluation <see cref="IEvaluator"/> as a Hone grader (<c>type: evaluator</c> in a spec): the
/// evaluator sees the case's input messages (the item's <c>messages</c>, less a trailing reference answer; none when the
/// case uses template variables), the sample as the model's response (text and tool calls), the item as a
/// <see cref="GoldenItemContext"/>, and the judge client as its <see cref="ChatConfiguration"/> when the spec names a
/// <c>model</c>.
/// </summary>
/// <remarks>
/// The grade reads one metric (<c>metric</c>, default the evaluator's first): a <see cref="NumericMetric"/>'s value on its
/// <c>range</c> (default [0, 1]), a <see cref="BooleanMetric"/> as the range's ends, any other metric by its
/// interpretation (failed: the low end, else the high end). The score is the value mapped onto [0, 1]; the sample passes
/// at or above <c>pass_threshold</c> on the metric's scale (default the range's midpoint). A thrown exception or an
/// error diagnostic is a <see cref="GradeErrorKind.ModelError"/>; a missing metric or value a
/// <see cref="GradeErrorKind.ParseError"/>.
/// </remarks>
public sealed class EvaluatorGrader : IGrader
{
    private readonly IEvaluator _evaluator;
    private readonly string? _metric;
    private readonly double _low;
    private readonly double _high;
    private readonly double _rawThreshold;
    private readonly ChatConfiguration? _chat;

    /// <summary>Creates the grader.</summary>
    /// <param name="name">The grader's name.</param>
    /// <param name="evaluator">The evaluator.</param>
    /// <param name="metric">The metric read (null: the evaluator's first metric name, else the first metric produced).</param>
    /// <param name="low">The low end of the metric's scale.</param>
    /// <param name="high">The high end of the metric's scale (above <paramref name="low"/>).</param>
    /// <param name="passThreshold">The pass threshold on the metric's scale, within [low, high].</param>
    /// <param name="chat">The chat configuration for evaluators that call a model; null when none.</param>
    public EvaluatorGrader(string name, IEvaluator evaluator, string? metric = null, double low = 0, double high = 1, double? passThreshold = null,
        ChatConfiguration? chat = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(evaluator);
        if (!(high > low) || !double.IsFinite(low) || !double.IsFinite(high)) throw new ArgumentException("high must be greater than low.", nameof(high));
        var threshold = passThreshold ?? (low + high) / 2;
        if (threshold < low || threshold > high) throw new ArgumentOutOfRangeException(nameof(passThreshold), $"must lie within [{low}, {high}].");
        Name = name;
        _evaluator = evaluator;
        _metric = metric ?? evaluator.EvaluationMetricNames.FirstOrDefault();
        (_low, _high, _rawThreshold, _chat) = (low, high, threshold, chat);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public double PassThreshold => Normalise(_rawThreshold);

    /// <inheritdoc />
    public async ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        EvaluationResult result;
        try
        {
            result = await _evaluator.EvaluateAsync(Messages(ctx.Item), Response(ctx.Sample), _chat, [new GoldenItemContext(ctx.Item)], ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return GradeResult.Failed(Name, GradeErrorKind.ModelError, $"the evaluator {_evaluator.GetType().FullName} failed: {e.Message}");
        }
        var metric = _metric is null ? result.Metrics.Values.FirstOrDefault() : (result.Metrics.TryGetValue(_metric, out var m) ? m : null);
        if (metric is null)
        {
            var produced = result.Metrics.Count == 0 ? "none" : string.Join(", ", result.Metrics.Keys);
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"the evaluator produced no metric '{_metric}' (it produced: {produced}); set 'metric' to one of them.");
        }
        if (metric.Diagnostics?.Where(d => d.Severity == EvaluationDiagnosticSeverity.Error).Select(d => d.Message).ToList() is { Count: > 0 } errors)
            return GradeResult.Failed(Name, GradeErrorKind.ModelError, $"metric '{metric.Name}': {string.Join("; ", errors)}");
        double? raw = metric switch
        {
            NumericMetric { Value: { } v } => v,
            BooleanMetric { Value: { } b } => b ? _high : _low,
            _ when metric.Interpretation is { } i => i.Failed ? _low : _high,
            _ => null,
        };
        if (raw is not { } value || !double.IsFinite(value))
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"metric '{metric.Name}' ({metric.GetType().Name}) has no value and no interpretation.");
        return GradeResult.Scored(Name, Normalise(value), PassThreshold, _low == 0 && _high == 1 ? null : value) with
        {
            Pass = value >= _rawThreshold,
            Label = metric is StringMetric { Value: { } s } ? s : null,
            Detail = metric.Reason ?? metric.Interpretation?.Reason,
        };
    }

    private double Normalise(double raw) => Math.Clamp((raw - _low) / (_high - _low), 0, 1);

    /// <summary>The case's input messages: the item's <c>messages</c> less a trailing reference answer; none otherwise.</summary>
    private static IReadOnlyList<ChatMessage> Messages(JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("messages", out var m)) return [];
        try { return ChatJson.ParseMessages(m, dropTrailingAssistant: true); }
        catch (Exception e) when (e is FormatException or Hone.Data.Model.OpenAiChatException) { return []; }
    }

    /// <summary>The sample as the model's response: its text and its tool calls.</summary>
    private static ChatResponse Response(GradeSample sample)
    {
        var contents = new List<AIContent>();
        if (sample.OutputText.Length > 0 || sample.OutputTools.Count == 0) contents.Add(new TextContent(sample.OutputText));
        foreach (var t in sample.OutputTools) contents.Add(new FunctionCallContent(t.Id ?? "", t.Name, Arguments(t.ArgumentsJson)));
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, contents));
    }

    private static Dictionary<string, object?> Arguments(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
                return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);
        }
        catch (JsonException) { }
        return new Dictionary<string, object?>(StringComparer.Ordinal) { ["_raw"] = json };
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} (evaluator {_evaluator.GetType().FullName}, pass at {_rawThreshold})");
}
