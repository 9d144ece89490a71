using System.Reflection;
using System.Text.Json;
using Hone.Evals.Graders.Evaluation;
using Microsoft.Extensions.AI.Evaluation;

namespace Hone.Evals.Graders.Config;

/// <summary>The <c>evaluator</c> type: any Microsoft.Extensions.AI.Evaluation <see cref="IEvaluator"/> by type name.</summary>
internal sealed partial class GraderBuilder
{
    private EvaluatorGrader Evaluator(ConfigObject c, string name)
    {
        c.AllowOnly("evaluator", "type", "name", "evaluator", "metric", "range", "pass_threshold", "model");
        var typeName = c.RequireString("evaluator");
        var evaluator = CreateEvaluator(typeName, c.At("evaluator"));
        double lo = 0, hi = 1;
        if (c.Get("range") is { } range)
        {
            if (range.ValueKind != JsonValueKind.Array || range.GetArrayLength() != 2 || range.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number))
                throw new GraderConfigException(c.At("range"), "expected [min, max], two numbers (the metric's scale, e.g. [1, 5]).");
            lo = range[0].GetDouble();
            hi = range[1].GetDouble();
            if (!(hi > lo) || !double.IsFinite(lo) || !double.IsFinite(hi)) throw new GraderConfigException(c.At("range"), "max must be greater than min.");
        }
        var threshold = c.OptNumber("pass_threshold") ?? (lo + hi) / 2;
        if (threshold < lo || threshold > hi) throw new GraderConfigException(c.At("pass_threshold"), $"must lie within the range [{lo}, {hi}].");
        var metric = c.OptString("metric");
        if (metric is not null && evaluator.EvaluationMetricNames.Count > 0 && !evaluator.EvaluationMetricNames.Contains(metric, StringComparer.Ordinal))
            throw new GraderConfigException(c.At("metric"), $"{typeName} produces no metric '{metric}'; its metrics: {string.Join(", ", evaluator.EvaluationMetricNames)}.");
        var chat = c.OptString("model") is { } model ? new ChatConfiguration(Judge(c, model)) : null;
        return new EvaluatorGrader(name, evaluator, metric, lo, hi, threshold, chat);
    }

    private static IEvaluator CreateEvaluator(string typeName, string at)
    {
        Type? type;
        try
        {
            type = Type.GetType(typeName, throwOnError: false);
        }
        catch (Exception e) when (e is FileLoadException or BadImageFormatException or ArgumentException or TypeLoadException)
        {
            throw new GraderConfigException(at, $"cannot load '{typeName}': {e.Message}");
        }
        if (type is null)
            throw new GraderConfigException(at, $"no type '{typeName}': give the assembly-qualified name 'Namespace.Type, Assembly', with the assembly beside hone.");
        if (!typeof(IEvaluator).IsAssignableFrom(type) || type.IsAbstract || type.IsInterface)
            throw new GraderConfigException(at, $"'{type.FullName}' is not a concrete Microsoft.Extensions.AI.Evaluation.IEvaluator.");
        if (type.GetConstructor(Type.EmptyTypes) is null)
            throw new GraderConfigException(at, $"'{type.FullName}' has no public parameterless constructor; Hone creates evaluators with one.");
        try
        {
            return (IEvaluator)Activator.CreateInstance(type)!;
        }
        catch (TargetInvocationException e)
        {
            throw new GraderConfigException(at, $"creating '{type.FullName}' failed: {e.InnerException?.Message ?? e.Message}");
        }
    }
}
