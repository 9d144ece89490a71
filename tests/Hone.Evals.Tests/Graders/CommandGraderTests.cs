using Hone.Evals.Graders;
using Hone.Evals.Graders.Config;

namespace Hone.Evals.Tests.Graders;

/// <summary>The command grader runs /bin/sh with a fixed script passed as one argv element (never interpolated).</summary>
public class CommandGraderTests
{
    private static IGrader Sh(string script, double timeout = 20) => new CommandGrader("cmd", ["/bin/sh", "-c", script], TimeSpan.FromSeconds(timeout), 0.5);

    [Fact]
    public void Reads_the_payload_on_stdin_and_the_score_on_stdout()
    {
        // passes (0.9) when stdin carries the item's answer and the sample text, else 0.1
        var g = Sh("""input=$(cat); case "$input" in *'"answer":"Paris"'*'"output_text":"It is Paris"'*) echo 0.9;; *) echo 0.1;; esac""");
        var pass = G.Grade(g, G.Ctx("""{"answer": "Paris"}""", "It is Paris"));
        G.AssertPass(pass);
        Assert.Equal(0.9, pass.Score, 12);
        var fail = G.Grade(g, G.Ctx("""{"answer": "Paris"}""", "It is Lyon"));
        G.AssertFail(fail);
        Assert.Equal(0.1, fail.Score, 12);
    }

    [Fact]
    public void Accepts_a_json_score_with_a_reason()
    {
        var r = G.Grade(Sh("""cat >/dev/null; echo '{"score": 0.75, "reason": "close"}'"""), G.Ctx("{}", "x"));
        Assert.Equal(0.75, r.Score, 12);
        Assert.Equal("close", r.Detail);
    }

    [Fact]
    public void Output_is_never_interpolated_into_a_shell()
    {
        // the script prints its argument count; a hostile output must not add arguments or run anything
        var r = G.Grade(new CommandGrader("cmd", ["/bin/sh", "-c", "cat >/dev/null; echo $#", "sh"], TimeSpan.FromSeconds(20), 0.5),
            G.Ctx("{}", "$(touch /tmp/hone-pwned) ; echo 1"));
        Assert.Equal(0, r.Score);
        Assert.False(File.Exists("/tmp/hone-pwned"));
    }

    [Theory]
    [InlineData("cat >/dev/null; echo high", GradeErrorKind.ParseError)]
    [InlineData("cat >/dev/null; echo 1.5", GradeErrorKind.ParseError)]
    [InlineData("cat >/dev/null; echo '{\"points\": 1}'", GradeErrorKind.ParseError)]
    [InlineData("cat >/dev/null; echo oops >&2; exit 3", GradeErrorKind.CommandFailed)]
    public void Bad_output_and_failures_are_errors(string script, GradeErrorKind kind)
    {
        var r = G.Grade(Sh(script), G.Ctx("{}", "x"));
        G.AssertError(r, kind);
        if (kind == GradeErrorKind.CommandFailed) Assert.Contains("oops", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_program_is_a_command_failure()
    {
        var g = new CommandGrader("cmd", ["/nonexistent/grader-program"], TimeSpan.FromSeconds(5), 0.5);
        G.AssertError(G.Grade(g, G.Ctx("{}", "x")), GradeErrorKind.CommandFailed);
    }

    [Fact]
    public void The_time_limit_kills_the_process()
    {
        var r = G.Grade(Sh("sleep 30; echo 1", timeout: 0.5), G.Ctx("{}", "x"));
        G.AssertError(r, GradeErrorKind.Timeout);
    }

    [Fact]
    public void Yaml_shape_is_an_argv_list()
    {
        var g = G.Yaml("""
            type: command
            name: ext
            command: ["/bin/sh", "-c", "cat >/dev/null; echo 0.6"]
            timeout_seconds: 20
            pass_threshold: 0.5
            """);
        G.AssertPass(G.Grade(g, G.Ctx("{}", "x")));
        var e = Assert.Throws<GraderConfigException>(() => G.Yaml("type: command\ncommand: 'grade.sh {{sample.output_text}}'"));
        Assert.Contains("expected a list", e.Message, StringComparison.Ordinal);
    }
}
