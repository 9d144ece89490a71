using Hone.Evals.Templating;

namespace Hone.Evals.Graders;

/// <summary>Shared helpers for grader implementations.</summary>
internal static class GraderSupport
{
    /// <summary>Runs a synchronous grading body, turning a missing template field into a missing-field result.</summary>
    public static ValueTask<GradeResult> Run(string name, Func<GradeResult> body)
    {
        try
        {
            return ValueTask.FromResult(body());
        }
        catch (TemplateException e)
        {
            return ValueTask.FromResult(GradeResult.Failed(name, GradeErrorKind.MissingField, e.Message));
        }
    }

    /// <summary>Clamps to [0, 1]; NaN becomes 0.</summary>
    public static double Clamp01(double x) => double.IsNaN(x) ? 0 : Math.Clamp(x, 0, 1);
}
