using System.CommandLine;
using System.Text.Json;
using Hone.Store;

namespace Hone.Cli;

/// <summary>
/// Shared plumbing for every command: the recursive <c>--json</c> option, the context each handler gets, and the one
/// place where exceptions become exit codes (typed Hone errors and I/O errors are input errors, exit 2; anything else
/// is a defect, exit 3, with the stack trace when HONE_DEBUG=1).
/// </summary>
public sealed class CliHost
{
    private readonly TextWriter _stdout;
    private readonly TextWriter _stderr;
    private readonly string _cwd;

    /// <summary>Creates the host over the given writers and working directory.</summary>
    public CliHost(TextWriter stdout, TextWriter stderr, string workingDirectory)
    {
        _stdout = stdout;
        _stderr = stderr;
        _cwd = workingDirectory;
    }

    /// <summary><c>--json</c>: a machine-readable result on stdout (available on every command).</summary>
    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write a machine-readable JSON result to stdout instead of the human report.",
        Recursive = true,
    };

    /// <summary>Attaches <paramref name="handler"/> to <paramref name="command"/> with the exit-code mapping.</summary>
    public void SetHandler(Command command, Func<ParseResult, CliContext, CancellationToken, Task<int>> handler)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(handler);
        command.SetAction(async (parse, ct) =>
        {
            var json = parse.GetValue(Json);
            var interactive = ReferenceEquals(_stdout, Console.Out) && !Console.IsOutputRedirected && !json;
            var ctx = new CliContext(_stdout, _stderr, _cwd, json, interactive);
            try
            {
                return await handler(parse, ctx, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                _stderr.WriteLine("cancelled.");
                return ExitCodes.UsageOrInput;
            }
            catch (Exception e) when (IsInputError(e))
            {
                // No "LineNumber: 0 | BytePositionInLine: 49" from a JsonException, wherever it was wrapped.
                return Fail(ctx, JsonErrors.Clean(e.Message), ExitCodes.UsageOrInput);
            }
            catch (Exception e)
            {
                var debug = Environment.GetEnvironmentVariable("HONE_DEBUG") == "1";
                return Fail(ctx, $"internal error ({e.GetType().Name}): {e.Message}" +
                    (debug ? "\n" + e : "\nSet HONE_DEBUG=1 for the stack trace, and please report it."), ExitCodes.InternalError);
            }
        });
    }

    /// <summary>Synchronous variant of <see cref="SetHandler(Command, Func{ParseResult, CliContext, CancellationToken, Task{int}})"/>.</summary>
    public void SetHandler(Command command, Func<ParseResult, CliContext, int> handler) =>
        SetHandler(command, (p, c, _) => Task.FromResult(handler(p, c)));

    /// <summary>An error the user can fix: bad input, missing file, malformed data, a typed Hone error.</summary>
    public static bool IsInputError(Exception e) => e is CliUsageException || Hone.App.InputErrors.Is(e);

    private int Fail(CliContext ctx, string message, int code)
    {
        _stderr.WriteLine("error: " + message);
        if (ctx.Json) _stdout.WriteLine(JsonSerializer.Serialize(new { error = message, exit_code = code }, CliContext.JsonOptions));
        return code;
    }
}

/// <summary>A usage error found after parsing (an option combination, a value out of range): exit code 2.</summary>
public sealed class CliUsageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CliUsageException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public CliUsageException() { }

    /// <summary>Creates the exception.</summary>
    public CliUsageException(string message, Exception inner) : base(message, inner) { }
}
