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

    /// <summary>The exit code of an error of <paramref name="kind"/>: a defect is 3, every error the user can act on 2.</summary>
    public static int For(ErrorKind kind) => kind == ErrorKind.Internal ? InternalError : UsageOrInput;

    /// <summary>The kind's name in <c>--json</c> output: input, not_found, unsupported, conflict, internal.</summary>
    public static string Name(ErrorKind kind) => kind switch
    {
        ErrorKind.Input => "input",
        ErrorKind.NotFound => "not_found",
        ErrorKind.Unsupported => "unsupported",
        ErrorKind.Conflict => "conflict",
        _ => "internal",
    };
}
