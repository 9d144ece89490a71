using System.CommandLine;
using System.Globalization;
using Hone.App.Runs;
using Hone.Store;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone runs [--kind K]</c>: lists the runs of the workspace (a run whose process is gone reads as interrupted);
/// <c>hone runs rm RUN [--force] [--keep-folder]</c>: removes one.
/// </summary>
public static class RunsCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var kind = new Option<string?>("--kind") { Description = "Only runs of this kind (sft, dpo, sft-then-dpo, rft, eval, demo)." };
        var limit = new Option<int>("--limit") { Description = "At most this many runs, newest first.", DefaultValueFactory = _ => 50 };
        var cmd = new Command("runs", "List the runs recorded in this workspace's run store. A run whose process is gone " +
            "(killed or crashed) is shown as interrupted: resume it, or remove it with 'hone runs rm'.") { kind, limit };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var result = ListRuns.Run(new ListRunsRequest(ctx.WorkingDirectory, p.GetValue(kind), p.GetValue(limit)));
            var runs = result.Runs;
            ctx.WriteJson(result);
            if (runs.Count == 0)
            {
                ctx.Console.MarkupLine("No runs yet.");
                return ExitCodes.Success;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("id", "kind", "name", "status", "created (UTC)", "took");
            foreach (var r in runs)
            {
                table.AddRow(Markup.Escape(r.Id), Markup.Escape(r.Kind), Markup.Escape(r.Name), Status(r.Status),
                    r.CreatedUtc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), Took(r));
            }
            ctx.Console.Write(table);
            var interrupted = result.Interrupted;
            if (interrupted > 0)
            {
                ctx.Console.MarkupLine($"[yellow]{interrupted} interrupted[/]: the process running {(interrupted == 1 ? "it is" : "them is")} gone.");
                ctx.Console.MarkupLine("  'hone train resume RUN' continues a training run, the same 'hone eval' command an eval run;");
                ctx.Console.MarkupLine("  'hone runs rm RUN' removes a run and its folder.");
            }
            return ExitCodes.Success;
        });
        cmd.Subcommands.Add(CreateRemove(host));
        return cmd;
    }

    private static Command CreateRemove(CliHost host)
    {
        var run = new Argument<string>("RUN") { Description = "The run's id (or a unique start of it), as 'hone runs' lists it." };
        var force = new Option<bool>("--force") { Description = "Remove the run even though its process is still running it." };
        var keepFolder = new Option<bool>("--keep-folder") { Description = "Remove only the record; leave the run's folder (required for a folder outside the workspace's runs folder)." };
        var cmd = new Command("rm", "Remove a run: its record (metrics, artifacts, tags) and its folder under the workspace's runs folder. " +
            "A run that is still running is refused unless --force; a folder outside the runs folder is never deleted.") { run, force, keepFolder };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var r = RemoveRun.Run(new RemoveRunRequest(ctx.WorkingDirectory, p.GetValue(run)!, p.GetValue(force), p.GetValue(keepFolder)));
            ctx.WriteJson(r);
            ctx.Console.MarkupLine($"[green]Removed[/] run {Markup.Escape(r.Removed)} ({Markup.Escape(r.Kind)}, {r.Status.ToString().ToLowerInvariant()})" +
                (r.FolderRemoved ? $" and its folder {Markup.Escape(r.Folder!)}" : r.FolderKept ? $"; its folder {Markup.Escape(r.Folder!)} was kept" : "") + ".");
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static string Status(RunStatus s) => s switch
    {
        RunStatus.Succeeded => "[green]succeeded[/]",
        RunStatus.Failed => "[red]failed[/]",
        RunStatus.Running => "[blue]running[/]",
        RunStatus.Interrupted => "[yellow]interrupted[/]",
        _ => s.ToString().ToLowerInvariant(),
    };

    private static string Took(RunRecord r)
    {
        if (r.FinishedUtc is not { } end) return "";
        var t = end - r.CreatedUtc;
        return t.TotalSeconds < 60 ? $"{t.TotalSeconds:0} s"
            : t.TotalMinutes < 60 ? $"{(int)t.TotalMinutes} min {t.Seconds} s"
            : $"{(int)t.TotalHours} h {t.Minutes} min";
    }
}
