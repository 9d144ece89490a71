using System.CommandLine;
using System.Text.Json;
using Hone.App;
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

    /// <summary>The kind of an exception that reached a command (the one rule: <see cref="InputErrors.KindOf"/>).</summary>
    public static ErrorKind KindOf(Exception e) => InputErrors.KindOf(e);

    private int Fail(CliContext ctx, string message, ErrorKind kind, ErrorLocation? where)
    {
        var code = ExitCodes.For(kind);
        _stderr.WriteLine("error: " + message);
        if (ctx.Json)
        {
            _stdout.WriteLine(JsonSerializer.Serialize(new CliError(message, ExitCodes.Name(kind), where?.ToString(), code), CliContext.JsonOptions));
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
