namespace Hone.Cli;

/// <summary>The exit codes every <c>hone</c> command uses.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The command ran, and a check it made found problems (data errors, failed cases, regressions).</summary>
    public const int ProblemsFound = 1;

    /// <summary>Usage error (unknown option, bad value) or input error (missing or malformed file); nothing was written.</summary>
    public const int UsageOrInput = 2;

    /// <summary>A defect in Hone itself (an unexpected exception): please report it with the printed details.</summary>
    public const int InternalError = 3;
}
