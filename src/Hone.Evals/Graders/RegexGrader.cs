using System.Text.RegularExpressions;
using Hone.Evals.Templating;

namespace Hone.Evals.Graders;

/// <summary>
/// <c>regex</c>: score 1 when the pattern matches the rendered input (default <c>{{sample.output_text}}</c>), else 0.
/// With <see cref="FullMatch"/> the whole input must match. Matching is limited to 1 s (a timeout result, never a pass).
/// </summary>
public sealed class RegexGrader : IGrader
{
    /// <summary>Creates the grader; <paramref name="pattern"/> must already be compiled with a match timeout.</summary>
    public RegexGrader(string name, Template input, Regex pattern, bool fullMatch)
    {
        Name = name;
        Input = input;
        Pattern = pattern;
        FullMatch = fullMatch;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double PassThreshold => 1;

    /// <summary>The text searched.</summary>
    public Template Input { get; }

    /// <summary>The pattern.</summary>
    public Regex Pattern { get; }

    /// <summary>Whether the whole input must match rather than any part of it.</summary>
    public bool FullMatch { get; }

    /// <inheritdoc/>
    public ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct) => GraderSupport.Run(Name, () =>
    {
        var text = Input.Render(ctx);
        try
        {
            bool ok;
            if (FullMatch)
            {
                var m = Pattern.Match(text);
                ok = false;
                for (; m.Success; m = m.NextMatch())
                {
                    if (m.Index == 0 && m.Length == text.Length)
                    {
                        ok = true;
                        break;
                    }
                }
            }
            else ok = Pattern.IsMatch(text);
            return GradeResult.Scored(Name, ok ? 1 : 0, PassThreshold);
        }
        catch (RegexMatchTimeoutException)
        {
            return GradeResult.Failed(Name, GradeErrorKind.Timeout, $"pattern /{Pattern}/ took longer than {Pattern.MatchTimeout.TotalSeconds} s on a {text.Length}-character input; simplify the pattern.");
        }
    });
}
