using System.CommandLine;
using Hone.Cli.Commands;

namespace Hone.Cli;

/// <summary>
/// The <c>hone</c> command line: builds the command tree, parses, maps usage errors and input errors to exit code 2,
/// and runs the chosen command. Everything is in-process and writer-based so tests drive it directly.
/// </summary>
public static class HoneApp
{
    /// <summary>Runs <c>hone</c> with <paramref name="args"/>; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, string workingDirectory,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var host = new CliHost(stdout, stderr, workingDirectory);
        var root = BuildRoot(host);
        var parse = root.Parse(args);
        // An unknown "--option" would otherwise be taken as a positional value (e.g. a folder named "--frobnicate").
        var unknown = parse.Tokens.Where(t => t.Type == System.CommandLine.Parsing.TokenType.Argument
            && t.Value.StartsWith("--", StringComparison.Ordinal) && t.Value.Length > 2).Select(t => $"Unrecognized option '{t.Value}'.").ToList();
        if (parse.Errors.Count > 0 || unknown.Count > 0)
        {
            foreach (var error in parse.Errors.Select(e => e.Message).Concat(unknown)) stderr.WriteLine("error: " + error);
            stderr.WriteLine($"Run 'hone {string.Join(' ', CommandPath(parse))} --help' for the options.".Replace("  ", " ", StringComparison.Ordinal));
            if (parse.GetValue(host.Json))
                stdout.WriteLine(System.Text.Json.JsonSerializer.Serialize(
                    new CliError(string.Join("; ", parse.Errors.Select(e => e.Message).Concat(unknown)), null, null, ExitCodes.UsageOrInput), CliContext.JsonOptions));
            return ExitCodes.UsageOrInput;
        }
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        return await parse.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The full command tree (public for the help/--json coverage tests).</summary>
    public static RootCommand BuildRoot(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var root = new RootCommand(
            "Hone: from a prompted LLM to a fine-tuned model that is measurably better on a golden set.\n" +
            "Exit codes: 0 success, 1 a check found problems, 2 usage or input error, 3 internal error.");
        root.Options.Add(host.Json);
        root.Subcommands.Add(InitCommand.Create(host));
        root.Subcommands.Add(DataCommands.Create(host));
        root.Subcommands.Add(ModelCommands.Create(host));
        root.Subcommands.Add(RunsCommand.Create(host));
        root.Subcommands.Add(EvalCommands.Create(host));
        root.Subcommands.Add(PromptCommands.Create(host));
        root.Subcommands.Add(CompareCommand.Create(host));
        root.Subcommands.Add(EdgeCommands.Create(host));
        root.Subcommands.Add(TeachCommand.Create(host));
        root.Subcommands.Add(TrainCommands.Create(host));
        root.Subcommands.Add(DemoCommand.Create(host));
        root.Subcommands.Add(ScaleCommand.Create(host));
        root.Subcommands.Add(SweepCommand.Create(host));
        root.Subcommands.Add(ExportCommand.Create(host));
        root.Subcommands.Add(GenerateCommand.Create(host));
        root.Subcommands.Add(ChatCommand.Create(host));
        root.Subcommands.Add(ServeCommand.Create(host));
        root.Subcommands.Add(RemoteCommands.Create(host));
        root.Subcommands.Add(HandoffCommands.Create(host));
        root.Subcommands.Add(UiCommand.Create(host));
        root.Subcommands.Add(BenchCommands.Create(host));
        root.Subcommands.Add(MigrateCommands.Create(host));
        return root;
    }

    private static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            if (r.Command is not RootCommand) names.Insert(0, r.Command.Name);
        return names;
    }
}
