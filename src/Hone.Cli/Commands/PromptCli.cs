using System.CommandLine;

namespace Hone.Cli.Commands;

/// <summary>Options shared by the <c>hone prompt</c> commands.</summary>
internal static class PromptCli
{
    public static Argument<string> PromptArgument() => new("PROMPT") { Description = "A prompt or chain file (YAML), a path or a name in the workspace's prompts folder." };

    public static Option<string?> GoldenOption() => new("--golden")
    {
        Description = "The eval spec (golden set and graders), a path or a name in evals/; default: the only spec in evals/.",
    };
}
