using Hone.Evals.Templating;

namespace Hone.Evals.Graders;

/// <summary>The string comparison a <see cref="StringCheckGrader"/> performs (OpenAI's semantics).</summary>
public enum StringCheckOperation
{
    /// <summary><c>eq</c>: the input equals the reference exactly (ordinal, case-sensitive).</summary>
    Eq,

    /// <summary><c>ne</c>: the input differs from the reference.</summary>
    Ne,

    /// <summary><c>like</c>: the input contains the reference (case-sensitive).</summary>
    Like,

    /// <summary><c>ilike</c>: the input contains the reference, ignoring case.</summary>
    Ilike,
}

/// <summary>
/// OpenAI's <c>string_check</c> grader: renders <c>input</c> and <c>reference</c> templates and compares them.
/// Score 1 when the check holds, otherwise 0; pass threshold 1.
/// </summary>
public sealed class StringCheckGrader : IGrader
{
    /// <summary>Creates the grader.</summary>
    public StringCheckGrader(string name, Template input, Template reference, StringCheckOperation operation)
    {
        Name = name;
        Input = input;
        Reference = reference;
        Operation = operation;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double PassThreshold => 1;

    /// <summary>The text checked.</summary>
    public Template Input { get; }

    /// <summary>The text compared against.</summary>
    public Template Reference { get; }

    /// <summary>The comparison.</summary>
    public StringCheckOperation Operation { get; }

    /// <inheritdoc/>
    public ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct) => GraderSupport.Run(Name, () =>
    {
        var input = Input.Render(ctx);
        var reference = Reference.Render(ctx);
        bool ok = Operation switch
        {
            StringCheckOperation.Eq => string.Equals(input, reference, StringComparison.Ordinal),
            StringCheckOperation.Ne => !string.Equals(input, reference, StringComparison.Ordinal),
            StringCheckOperation.Like => input.Contains(reference, StringComparison.Ordinal),
            _ => input.Contains(reference, StringComparison.OrdinalIgnoreCase),
        };
        var result = GradeResult.Scored(Name, ok ? 1 : 0, PassThreshold);
        // An exact match compares a predicted value with an expected one: kept as labels for per-class reports.
        return Operation == StringCheckOperation.Eq ? result with { Label = input, ExpectedLabel = reference } : result;
    });
}
