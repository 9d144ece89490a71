using System.Reflection;
using Hone.Evals.Graders.Evaluation;
using Microsoft.Extensions.AI.Evaluation;

namespace Hone.Evals.Graders.Config;

/// <summary>
/// Builds the <c>evaluator</c> grader type: any Microsoft.Extensions.AI.Evaluation <see cref="IEvaluator"/>, created by
/// its assembly-qualified type name, one of its metrics read on a given scale, with a judge for evaluators that call a model.
/// </summary>
internal static class EvaluatorGraderBuilder
{
    /// <summary>The evaluator grader that <paramref name="c"/> configures.</summary>
    public static EvaluatorGrader Build(ConfigObject c, string name, GraderEnvironment env)
    {
        c.AllowOnly("evaluator", "type", "name", "evaluator", "metric", "range", "pass_threshold", "model");
        var typeName = c.RequireString("evaluator");
        var evaluator = CreateEvaluator(typeName, c.At("evaluator"));
        var (lo, hi, threshold) = c.ScaleAndThreshold(" (the metric's scale, e.g. [1, 5])");
        var metric = c.OptString("metric");
        if (metric is not null && evaluator.EvaluationMetricNames.Count > 0 && !evaluator.EvaluationMetricNames.Contains(metric, StringComparer.Ordinal))
            throw new GraderConfigException(c.At("metric"), $"{typeName} produces no metric '{metric}'; its metrics: {string.Join(", ", evaluator.EvaluationMetricNames)}.");
        var chat = c.OptString("model") is { } model ? new ChatConfiguration(env.Judge(model, c.At("model"))) : null;
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
