using Hone.Training.Analysis;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>The diagnosis of the training curves as every training command (and the demo) prints it.</summary>
internal static class DiagnosisView
{
    /// <summary>Below this many steps the curve rules have nothing to read (CurveDiagnosis needs 4, RftCurves 2).</summary>
    private const int MinSteps = 4;

    /// <summary>
    /// One line per finding ("diagnosis over-fitting: what was seen. What to do."), or one line saying that no problem
    /// was found (or that the run was too short to judge), so a healthy run says so.
    /// </summary>
    public static void Print(IAnsiConsole console, IReadOnlyList<CurveFinding> findings, long steps)
    {
        foreach (var f in findings.Where(f => f.Kind == CurveFindingKind.BestCheckpoint))
            console.MarkupLine($"[green]diagnosis[/] {f.Kind.DisplayName()}: {Markup.Escape(f.Message)} {Markup.Escape(f.Suggestion)}");
        var problems = findings.Where(f => f.Kind != CurveFindingKind.BestCheckpoint).ToList();
        foreach (var f in problems)
            console.MarkupLine($"[yellow]diagnosis[/] {f.Kind.DisplayName()}: {Markup.Escape(f.Message)} {Markup.Escape(f.Suggestion)}");
        if (problems.Count > 0) return;
        console.MarkupLine(steps < MinSteps
            ? $"diagnosis: too few steps ({steps}) to read the curves"
            : "[green]diagnosis[/] no problems found (checked: not converging, under-fitting, over-fitting)");
    }
}
