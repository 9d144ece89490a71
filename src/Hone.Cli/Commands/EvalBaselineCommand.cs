using System.CommandLine;
using Hone.Evals.Runs;
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
            var ws = ctx.RequireWorkspace();
            using var store = ws.OpenStore();
            var (baseline, previous) = EvalRuns.MarkBaseline(store, p.GetValue(run)!);
            ctx.WriteJson(new { run_id = baseline.Id, spec = baseline.Name, previous_baseline = previous?.Id });
            ctx.Console.MarkupLine($"{Markup.Escape(baseline.Id)} is now the baseline of '{Markup.Escape(baseline.Name)}'" +
                (previous is null ? "." : $" (was {Markup.Escape(previous.Id)})."));
            return ExitCodes.Success;
        });
        return cmd;
    }
}
