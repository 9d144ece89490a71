using System.CommandLine;

namespace Hone.Cli.Commands;

/// <summary>The technique commands of <c>hone prompt</c>.</summary>
internal static class PromptTechniqueCommands
{
    public static IEnumerable<Command> Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return [PromptVariantsCommands.Variants(host), PromptVariantsCommands.BestOfCommand(host), PromptRewriteCommands.InduceCommand(host),
            PromptRewriteCommands.DebugCommand(host), PromptOptimizeCommand.Create(host)];
    }
}
