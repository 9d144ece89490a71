using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone eval SPEC</c> and its subcommands <c>baseline</c>, <c>compare</c>, <c>edge-cases</c>, <c>show</c>.
/// <c>hone eval compare</c> is the same command as <c>hone compare</c> (<see cref="CompareCommand"/>); <c>hone eval
/// edge-cases --export</c> and <c>hone edge export</c> share <see cref="Hone.Evals.EdgeCases.EdgeCaseExport"/>.
/// </summary>
public static class EvalCommands
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var cmd = EvalRunCommand.Create(host);
        cmd.Subcommands.Add(EvalBaselineCommand.Create(host));
        cmd.Subcommands.Add(EvalCompareCommand.Create(host));
        cmd.Subcommands.Add(EvalEdgeCasesCommand.Create(host));
        cmd.Subcommands.Add(EvalShowCommand.Create(host));
        cmd.Subcommands.Add(EvalInitCommand.Create(host));
        return cmd;
    }

    /// <summary>A number as a percentage with one decimal.</summary>
    internal static string Pct(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>Shortens text for a table cell.</summary>
    internal static string Cell(string s, int max = 60)
    {
        s = s.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "⏎", StringComparison.Ordinal);
        return Markup.Escape(s.Length <= max ? s : s[..(max - 1)] + "…");
    }
}
