using Hone.Evals.Templating;

namespace Hone.Evals.Graders;

/// <summary>
/// <c>classification</c>: the rendered input (default <c>{{sample.output_text}}</c>, trimmed) is the predicted label
/// and the rendered reference the expected one. Score 1 when they are equal (optionally ignoring case), else 0.
/// With a label set, a prediction outside it scores 0 and is reported as such. Many results aggregate into a
/// <see cref="ClassificationReport"/> (accuracy, macro-F1, confusion matrix).
/// </summary>
public sealed class ClassificationGrader : IGrader
{
    /// <summary>Creates the grader.</summary>
    public ClassificationGrader(string name, Template input, Template reference, IReadOnlyList<string> labels, bool ignoreCase)
    {
        Name = name;
        Input = input;
        Reference = reference;
        Labels = labels;
        IgnoreCase = ignoreCase;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double PassThreshold => 1;

    /// <summary>The predicted label.</summary>
    public Template Input { get; }

    /// <summary>The expected label.</summary>
    public Template Reference { get; }

    /// <summary>The valid labels; empty = any.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Whether case is ignored.</summary>
    public bool IgnoreCase { get; }

    /// <inheritdoc/>
    public ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct) => GraderSupport.Run(Name, () =>
    {
        var cmp = IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var predicted = Canonical(Input.Render(ctx).Trim(), cmp);
        var expected = Canonical(Reference.Render(ctx).Trim(), cmp);
        string? detail = null;
        bool ok = string.Equals(predicted, expected, cmp);
        if (Labels.Count > 0 && !Labels.Contains(predicted, StringComparer.Ordinal))
        {
            ok = false;
            detail = $"predicted \"{predicted}\" is not one of the labels: {string.Join(", ", Labels)}.";
        }
        return GradeResult.Scored(Name, ok ? 1 : 0, PassThreshold) with
        {
            Label = predicted,
            ExpectedLabel = expected,
            Detail = detail,
        };
    });

    private string Canonical(string s, StringComparison cmp) => Labels.FirstOrDefault(l => string.Equals(l, s, cmp)) ?? s;
}
