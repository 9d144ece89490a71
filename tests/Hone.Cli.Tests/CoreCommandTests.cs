using System.CommandLine;
using Hone.Cli;
using Hone.Store;
using Hone.Testing;

namespace Hone.Cli.Tests;

public class CoreCommandTests
{
    [Fact]
    public void Init_creates_a_workspace_and_reports_it_as_json()
    {
        var dir = TestAssets.NewTempDir();
        var r = CliRunner.Run(dir, "init", "ws", "--task", "triage", "--json");

        Assert.Equal(ExitCodes.Success, r.ExitCode);
        Assert.Equal("triage", r.Json.GetProperty("task").GetString());
        Assert.True(File.Exists(Path.Combine(dir, "ws", "hone.yaml")));
        Assert.True(File.Exists(Path.Combine(dir, "ws", ".hone", "hone.db")));
    }

    [Fact]
    public void Init_on_an_existing_workspace_is_an_input_error_and_changes_nothing()
    {
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init", "--task", "a").ExitCode);
        var yaml = File.ReadAllText(Path.Combine(dir, "hone.yaml"));

        var r = CliRunner.Run(dir, "init", "--task", "b", "--json");
        Assert.Equal(ExitCodes.UsageOrInput, r.ExitCode);
        Assert.Contains("already", r.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(yaml, File.ReadAllText(Path.Combine(dir, "hone.yaml")));
    }

    [Fact]
    public void Commands_find_the_workspace_from_a_subfolder()
    {
        var dir = TestAssets.NewTempDir();
        CliRunner.Run(dir, "init");
        using (var store = Workspace.Open(dir).OpenStore()) store.CreateRun("eval", "baseline", "{}");

        var r = CliRunner.Run(Path.Combine(dir, "data"), "runs", "--json");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(1, r.Json.GetProperty("runs").GetArrayLength());
        Assert.Equal("baseline", r.Json.GetProperty("runs")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void Outside_a_workspace_runs_says_how_to_make_one()
    {
        var r = CliRunner.Run(TestAssets.NewTempDir(), "runs");
        Assert.Equal(ExitCodes.UsageOrInput, r.ExitCode);
        Assert.Contains("hone init", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no-such-command")]
    [InlineData("init", "--no-such-option")]
    [InlineData("runs", "--limit", "many")]
    public void Usage_errors_exit_2_with_a_message(params string[] args)
    {
        var r = CliRunner.Run(TestAssets.NewTempDir(), args);
        Assert.Equal(ExitCodes.UsageOrInput, r.ExitCode);
        Assert.Contains("error:", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_describes_every_command_and_every_option_and_every_command_takes_json()
    {
        var root = HoneApp.BuildRoot(new CliHost(TextWriter.Null, TextWriter.Null, "."));
        var commands = new List<Command>();
        void Walk(Command c) { commands.Add(c); foreach (var s in c.Subcommands) Walk(s); }
        Walk(root);

        Assert.True(commands.Count >= 3);
        foreach (var c in commands)
        {
            Assert.False(string.IsNullOrWhiteSpace(c.Description), $"command '{c.Name}' has no description");
            foreach (var o in c.Options.Where(o => o.Name is not ("--help" or "--version") && !o.Name.StartsWith('-') is false))
                Assert.False(string.IsNullOrWhiteSpace(o.Description), $"option '{o.Name}' of '{c.Name}' has no description");
            foreach (var a in c.Arguments)
                Assert.False(string.IsNullOrWhiteSpace(a.Description), $"argument '{a.Name}' of '{c.Name}' has no description");
            if (c.Subcommands.Count == 0)
            {
                var r = CliRunner.Run(TestAssets.NewTempDir(), [.. PathOf(root, c), "--help"]);
                Assert.Equal(0, r.ExitCode);
                Assert.Contains("--json", r.Stdout, StringComparison.Ordinal);
            }
        }
    }

    private static string[] PathOf(Command root, Command target)
    {
        var path = new List<string>();
        bool Find(Command c)
        {
            if (ReferenceEquals(c, target)) return true;
            foreach (var s in c.Subcommands)
            {
                path.Add(s.Name);
                if (Find(s)) return true;
                path.RemoveAt(path.Count - 1);
            }
            return false;
        }
        Find(root);
        return [.. path];
    }
}
