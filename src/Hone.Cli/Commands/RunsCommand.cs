using System.CommandLine;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone runs [--kind K]</c>: lists the runs of the workspace.</summary>
public static class RunsCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var kind = new Option<string?>("--kind") { Description = "Only runs of this kind (sft, dpo, rft, eval, data)." };
        var limit = new Option<int>("--limit") { Description = "At most this many runs, newest first.", DefaultValueFactory = _ => 50 };
        var cmd = new Command("runs", "List the runs recorded in this workspace's run store.") { kind, limit };
        host.SetHandler(cmd, (p, ctx) =>
        {
            if (p.GetValue(limit) < 1) throw new CliUsageException("--limit must be at least 1.");
            var ws = ctx.RequireWorkspace();
            using var store = ws.OpenStore();
            var runs = store.ListRuns(p.GetValue(kind), p.GetValue(limit));
            ctx.WriteJson(new { runs });
            var table = new Table().AddColumns("id", "kind", "name", "status", "created (UTC)");
            foreach (var r in runs)
                table.AddRow(Markup.Escape(r.Id), r.Kind, Markup.Escape(r.Name), r.Status.ToString(), r.CreatedUtc.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture));
            if (runs.Count == 0) ctx.Console.MarkupLine("No runs yet.");
            else ctx.Console.Write(table);
            return ExitCodes.Success;
        });
        return cmd;
    }
}
