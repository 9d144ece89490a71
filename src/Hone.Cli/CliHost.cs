using System.CommandLine;
using System.Text.Json;
using Hone.Store;

namespace Hone.Cli;

/// <summary>
/// Shared plumbing for every command: the recursive <c>--json</c> option, the context each handler gets, and the one
/// place where exceptions become exit codes: an exception's <see cref="ErrorKind"/> (<see cref="KindOf"/>) picks the code
/// (<see cref="ExitCodes.For"/>): a user's error is exit 2, a defect exit 3 with the stack trace when HONE_DEBUG=1.
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
            catch (Exception e) when (KindOf(e) is var kind && kind != ErrorKind.Internal)
            {
                // No "LineNumber: 0 | BytePositionInLine: 49" from a JsonException, wherever it was wrapped.
                return Fail(ctx, JsonErrors.Clean(e.Message), kind, (e as HoneException)?.Location);
            }
            catch (Exception e)
            {
                var debug = Environment.GetEnvironmentVariable("HONE_DEBUG") == "1";
                return Fail(ctx, $"internal error ({e.GetType().Name}): {e.Message}" +
                    (debug ? "\n" + e : "\nSet HONE_DEBUG=1 for the stack trace, and please report it."), ErrorKind.Internal, null);
            }
        });
    }

    /// <summary>Synchronous variant of <see cref="SetHandler(Command, Func{ParseResult, CliContext, CancellationToken, Task{int}})"/>.</summary>
    public void SetHandler(Command command, Func<ParseResult, CliContext, int> handler) =>
        SetHandler(command, (p, c, _) => Task.FromResult(handler(p, c)));

    /// <summary>An error the user can fix (any kind but <see cref="ErrorKind.Internal"/>).</summary>
    public static bool IsInputError(Exception e) => KindOf(e) != ErrorKind.Internal;

    /// <summary>
    /// The kind of an exception that reached a command. A <see cref="HoneException"/> says its own. At the CLI's edge a
    /// few .NET types are the user's too: the file system's errors (a missing file or folder is not-found; a denied,
    /// locked or full one is input), a .NET reader's verdict on a user's file (<see cref="JsonException"/>,
    /// <see cref="InvalidDataException"/>, <see cref="FormatException"/>), and an <see cref="ArgumentException"/> (the
    /// libraries' options records validate the values the CLI binds, once, with a message). A null argument and every
    /// other exception is a defect. Not a namespace rule: a Hone type that is not a <see cref="HoneException"/> is a defect.
    /// </summary>
    public static ErrorKind KindOf(Exception e) => e switch
    {
        HoneException h => h.Kind,
        FileNotFoundException or DirectoryNotFoundException => ErrorKind.NotFound,
        IOException or UnauthorizedAccessException => ErrorKind.Input,
        JsonException or InvalidDataException or FormatException => ErrorKind.Input,
        ArgumentNullException => ErrorKind.Internal,
        ArgumentException => ErrorKind.Input,
        _ => ErrorKind.Internal,
    };

    private int Fail(CliContext ctx, string message, ErrorKind kind, ErrorLocation? where)
    {
        var code = ExitCodes.For(kind);
        _stderr.WriteLine("error: " + message);
        if (ctx.Json)
        {
            _stdout.WriteLine(JsonSerializer.Serialize(new { error = message, kind = ExitCodes.Name(kind), where = where?.ToString(), exit_code = code },
                CliContext.JsonOptions));
        }

        return code;
    }
}

/// <summary>A usage error found after parsing (an option combination, a value out of range): exit code 2.</summary>
public sealed class CliUsageException : HoneException
{
    /// <summary>Creates the exception.</summary>
    public CliUsageException(string message) : base(ErrorKind.Input, message) { }

    /// <summary>Creates the exception.</summary>
    public CliUsageException() : base(ErrorKind.Input, "Usage error.") { }

    /// <summary>Creates the exception.</summary>
    public CliUsageException(string message, Exception inner) : base(ErrorKind.Input, message, null, inner) { }
}
