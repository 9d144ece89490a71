namespace Hone.Cli;

/// <summary>The <c>--json</c> document of a command that failed: the message, its kind and place when known, and the exit code.</summary>
/// <param name="Error">What went wrong.</param>
/// <param name="Kind">The error's kind (<see cref="ExitCodes.Name"/>), or null for a parse error.</param>
/// <param name="Where">Where it happened (file:line:column, field), or null.</param>
/// <param name="ExitCode">The process exit code.</param>
public sealed record CliError(string Error, string? Kind, string? Where, int ExitCode);
