using System.Globalization;
using Hone.Evals.Templating;

namespace Hone.Evals.Graders;

/// <summary>
/// <c>numeric_tolerance</c>: the rendered input (default <c>{{sample.output_text}}</c>) and reference must both be
/// numbers (invariant culture, surrounding blanks allowed; anything else is a parse error). Score 1 when
/// <c>|input − reference| ≤ absolute + relative·|reference|</c> (numpy's <c>isclose</c> rule), else 0.
/// </summary>
public sealed class NumericToleranceGrader : IGrader
{
    /// <summary>Creates the grader.</summary>
    public NumericToleranceGrader(string name, Template input, Template reference, double absolute, double relative)
    {
        Name = name;
        Input = input;
        Reference = reference;
        Absolute = absolute;
        Relative = relative;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double PassThreshold => 1;

    /// <summary>The model's number.</summary>
    public Template Input { get; }

    /// <summary>The expected number.</summary>
    public Template Reference { get; }

    /// <summary>Absolute tolerance (≥ 0).</summary>
    public double Absolute { get; }

    /// <summary>Relative tolerance (≥ 0), a fraction of |reference|.</summary>
    public double Relative { get; }

    /// <inheritdoc/>
    public ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct) => GraderSupport.Run(Name, () =>
    {
        var a = Input.Render(ctx);
        var b = Reference.Render(ctx);
        if (!TryNumber(a, out var x))
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"output \"{Short(a)}\" is not a number; the model must answer with a plain number such as 42 or -3.5e2.");
        if (!TryNumber(b, out var y))
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"reference {Reference.Source} = \"{Short(b)}\" is not a number; fix the golden set.");
        var diff = Math.Abs(x - y);
        bool ok = diff <= Absolute + Relative * Math.Abs(y);
        return GradeResult.Scored(Name, ok ? 1 : 0, PassThreshold) with
        {
            Detail = $"|{x.ToString(CultureInfo.InvariantCulture)} - {y.ToString(CultureInfo.InvariantCulture)}| = {diff.ToString(CultureInfo.InvariantCulture)}",
        };
    });

    private static bool TryNumber(string s, out double v) =>
        double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out v) && double.IsFinite(v);

    private static string Short(string s) => s.Length <= 40 ? s : s[..37] + "...";
}
