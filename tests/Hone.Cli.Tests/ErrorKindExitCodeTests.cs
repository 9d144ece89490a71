using System.CommandLine;
using System.Text.Json;
using Hone.Core;
using Hone.Formats.Gguf;
using Hone.Store;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>
/// Exit codes come from an error's kind, not its type or namespace: every kind a user can act on is exit 2 and names
/// its kind in <c>--json</c>; a defect (an internal <see cref="HoneException"/>, a null argument, any other .NET
/// exception) is exit 3.
/// </summary>
public class ErrorKindExitCodeTests
{
    public static TheoryData<string, int, string> Cases() => new()
    {
        { "input", 2, "input" },
        { "not-found", 2, "not_found" },
        { "unsupported", 2, "unsupported" },
        { "conflict", 2, "conflict" },
        { "internal", 3, "internal" },
        { "gguf-unsupported-type", 2, "unsupported" },
        { "unknown-run", 2, "not_found" },
        { "file-not-found", 2, "not_found" },
        { "invalid-operation", 3, "internal" },
        { "argument-null", 3, "internal" },
        { "null-reference", 3, "internal" },
    };

    private static Exception Make(string name) => name switch
    {
        "input" => HoneException.Input("bad value", new ErrorLocation("a.jsonl", 3, 7)),
        "not-found" => HoneException.NotFound("no such thing"),
        "unsupported" => HoneException.Unsupported("not supported"),
        "conflict" => new HoneException(ErrorKind.Conflict, "already there"),
        "internal" => new HoneException("broken invariant"),
        "gguf-unsupported-type" => new GgufUnsupportedTypeException("tensor type 99"),
        "unknown-run" => new WorkspaceException(ErrorKind.NotFound, "No run 'x'."),
        "file-not-found" => new FileNotFoundException("missing.jsonl"),
        "invalid-operation" => new InvalidOperationException("a bug"),
        "argument-null" => new ArgumentNullException("x"),
        _ => new NullReferenceException("a bug"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_command_that_throws_exits_with_the_code_of_its_kind(string thrown, int exitCode, string kind)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var host = new CliHost(stdout, stderr, TestAssets.NewTempDir());
        var command = new RootCommand();
        command.Options.Add(host.Json);
        host.SetHandler(command, (_, _) => throw Make(thrown));

        var code = command.Parse(["--json"]).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });

        Assert.Equal(exitCode, code);
        Assert.Equal(exitCode, ExitCodes.For(CliHost.KindOf(Make(thrown))));
        using var json = JsonDocument.Parse(stdout.ToString());
        Assert.Equal(kind, json.RootElement.GetProperty("kind").GetString());
        Assert.Equal(exitCode, json.RootElement.GetProperty("exit_code").GetInt32());
        Assert.StartsWith("error: ", stderr.ToString(), StringComparison.Ordinal);
        if (exitCode == 3) Assert.Contains("internal error", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_json_error_says_where_it_happened()
    {
        var stdout = new StringWriter();
        var host = new CliHost(stdout, new StringWriter(), TestAssets.NewTempDir());
        var command = new RootCommand();
        command.Options.Add(host.Json);
        host.SetHandler(command, (_, _) => throw HoneException.Input("bad value", new ErrorLocation("a.jsonl", 3, 7, Field: "messages[0].role")));

        Assert.Equal(2, command.Parse(["--json"]).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
        using var json = JsonDocument.Parse(stdout.ToString());
        Assert.Equal("a.jsonl:3:7: messages[0].role", json.RootElement.GetProperty("where").GetString());
    }

    [Fact]
    public void An_unknown_run_is_a_not_found_error_with_exit_code_2()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        var r = CliRunner.Run(dir, "eval", "show", "no-such-run", "--json");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("not_found", r.Json.GetProperty("kind").GetString());
        Assert.Contains("no-such-run", r.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
