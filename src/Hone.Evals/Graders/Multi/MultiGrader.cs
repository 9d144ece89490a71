using System.Globalization;

namespace Hone.Evals.Graders.Multi;

/// <summary>
/// OpenAI's <c>multi</c> grader: runs named sub-graders and combines their scores with a <see cref="Formula"/>
/// (<c>calculate_output</c>) in which each name stands for that sub-grader's normalised score in [0, 1].
/// </summary>
/// <remarks>
/// <see cref="GradeResult.RawScore"/> is the formula's value; <see cref="GradeResult.Score"/> is it clamped to [0, 1]
/// so the result can serve as a reward. If any sub-grader errs (parse error, missing field, ...) the multi result is
/// that error (score 0, never a pass), with all sub-results kept in <see cref="GradeResult.Children"/>. A formula
/// giving a non-finite value (e.g. division by zero) is a parse error.
/// </remarks>
public sealed class MultiGrader : IGrader
{
    /// <summary>Creates the grader; every formula variable must name a sub-grader.</summary>
    public MultiGrader(string name, IReadOnlyDictionary<string, IGrader> graders, Formula formula, double passThreshold)
    {
        ArgumentNullException.ThrowIfNull(graders);
        ArgumentNullException.ThrowIfNull(formula);
        foreach (var v in formula.Variables)
            if (!graders.ContainsKey(v))
                throw new ArgumentException($"calculate_output uses '{v}', which is not a grader; graders: {string.Join(", ", graders.Keys)}.", nameof(formula));
        Name = name;
        Graders = graders;
        Formula = formula;
        PassThreshold = passThreshold;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double PassThreshold { get; }

    /// <summary>The sub-graders by name.</summary>
    public IReadOnlyDictionary<string, IGrader> Graders { get; }

    /// <summary>The combining formula.</summary>
    public Formula Formula { get; }

    /// <inheritdoc/>
    public async ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct)
    {
        var children = new Dictionary<string, GradeResult>(StringComparer.Ordinal);
        foreach (var (key, g) in Graders) children[key] = await g.GradeAsync(ctx, ct).ConfigureAwait(false);
        var scores = children.ToDictionary(kv => kv.Key, kv => kv.Value.Score, StringComparer.Ordinal);
        var failed = children.FirstOrDefault(kv => kv.Value.IsError);
        if (failed.Value is not null)
            return GradeResult.Failed(Name, failed.Value.ErrorKind, $"sub-grader '{failed.Key}': {failed.Value.Error}") with
            {
                Children = children,
                FieldScores = scores,
            };
        var raw = Formula.Evaluate(scores);
        if (!double.IsFinite(raw))
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"calculate_output \"{Formula.Text}\" gave {raw.ToString(CultureInfo.InvariantCulture)} (e.g. a division by zero); guard it with max(...).") with
            {
                Children = children,
                FieldScores = scores,
            };
        return GradeResult.Scored(Name, GraderSupport.Clamp01(raw), PassThreshold, raw) with
        {
            Children = children,
            FieldScores = scores,
        };
    }
}
