using System.CommandLine;

namespace Hone.Cli.Commands;

/// <summary><c>hone eval compare A B</c>: an alias of <c>hone compare</c> (<see cref="CompareCommand"/>), the same code.</summary>
public static class EvalCompareCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host) => CompareCommand.Create(host, "compare");
}
