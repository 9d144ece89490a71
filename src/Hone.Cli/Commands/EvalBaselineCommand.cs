using System.CommandLine;
using Hone.App.Evals;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone eval baseline RUN</c>: marks a finished eval run as the baseline of its spec.</summary>
public static class EvalBaselineCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var run = new Argument<string>("RUN") { Description = "The eval run id (or a unique prefix)." };
        var cmd = new Command("baseline", "Mark an eval run as the baseline of its spec (compare and edge-cases default to it).") { run };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var r = EvalRunRecords.MarkBaseline(ctx.WorkingDirectory, p.GetValue(run)!);
            ctx.WriteJson(r);
            ctx.Console.MarkupLine($"{Markup.Escape(r.RunId)} is now the baseline of '{Markup.Escape(r.Spec)}'" +
                (r.PreviousBaseline is null ? "." : $" (was {Markup.Escape(r.PreviousBaseline)})."));
            return ExitCodes.Success;
        });
        return cmd;
    }
}
