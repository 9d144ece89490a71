using System.CommandLine;
using System.Globalization;
using Hone.App.Evals;
using Hone.Evals.Runs;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone eval show RUN</c>: the run's summary and its cases side by side.</summary>
public static class EvalShowCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var run = new Argument<string>("RUN") { Description = "The eval run id (or a unique prefix)." };
        var failing = new Option<bool>("--failing") { Description = "Only the samples that failed." };
        var limit = new Option<int>("--limit") { Description = "At most this many rows.", DefaultValueFactory = _ => 200 };
        var cmd = new Command("show", "A run's cases side by side: output, per-grader score, pass/fail, latency, tokens.") { run, failing, limit };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var r0 = EvalRunRecords.Show(new EvalShowRequest(ctx.WorkingDirectory, p.GetValue(run)!, p.GetValue(failing), p.GetValue(limit)));
            ctx.WriteJson(r0);
            var (rows, graders) = (r0.Cases, r0.Graders);
            ctx.Console.MarkupLine($"[bold]{Markup.Escape(r0.RunId)}[/] {Markup.Escape(r0.Spec)} · {Markup.Escape(r0.Model)} · {r0.Status}");
            var t = new Table().AddColumns("case", "rep", "tags", "output");
            foreach (var g in graders) t.AddColumn(Markup.Escape(g));
            t.AddColumns("pass", "ms", "tokens");
            foreach (var r in rows)
            {
                var cells = new List<string>
                {
                    Markup.Escape(r.CaseId), r.Repeat.ToString(CultureInfo.InvariantCulture), Markup.Escape(string.Join(",", r.Tags)),
                    r.Error is { } e ? "[red]" + EvalCommands.Cell(e, 50) + "[/]"
                        : r.Status == SampleStatus.Skipped ? "[yellow]" + EvalCommands.Cell(r.StatusDetail ?? "skipped", 50) + "[/]"
                        : EvalCommands.Cell(r.ToolCalls.Count > 0 ? string.Join("; ", r.ToolCalls.Select(tc => $"{tc.Name}({tc.ArgumentsJson})")) : r.Output, 50),
                };
                foreach (var g in graders)
                    cells.Add(r.Grades.FirstOrDefault(x => x.Grader == g) is { } o
                        ? (o.ErrorKind is null ? o.Score.ToString("0.00", CultureInfo.InvariantCulture) : "[yellow]" + Markup.Escape(o.ErrorKind) + "[/]")
                        : "—");
                cells.Add(r.Status == SampleStatus.Skipped ? "[yellow]skipped[/]" : r.HasGraderError && !r.Pass ? "[yellow]error[/]"
                    : (r.Pass ? "[green]pass[/]" : "[red]fail[/]") + (r.Status == SampleStatus.Truncated ? " [yellow](truncated)[/]" : ""));
                cells.Add(r.LatencyMs.ToString("0", CultureInfo.InvariantCulture));
                cells.Add($"{r.InputTokens}/{r.OutputTokens}");
                t.AddRow([.. cells]);
            }
            ctx.Console.Write(t);
            return ExitCodes.Success;
        });
        return cmd;
    }
}
