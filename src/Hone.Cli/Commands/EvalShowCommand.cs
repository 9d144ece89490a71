using System.CommandLine;
using System.Globalization;
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
            if (p.GetValue(limit) < 1) throw new CliUsageException("--limit must be at least 1.");
            var ws = ctx.RequireWorkspace();
            using var store = ws.OpenStore();
            var loaded = EvalRuns.Load(store, p.GetValue(run)!);
            var rows = loaded.Results.Where(r => !p.GetValue(failing) || !r.Pass).Take(p.GetValue(limit)).ToList();
            ctx.WriteJson(new { run_id = loaded.Run.Id, spec = loaded.Run.Name, model = loaded.Model, status = loaded.Run.Status, summary = loaded.Run.SummaryJson is { } s ? System.Text.Json.JsonDocument.Parse(s).RootElement : default(System.Text.Json.JsonElement?), cases = rows });
            var graders = loaded.Results.SelectMany(r => r.Grades.Select(g => g.Grader)).Distinct(StringComparer.Ordinal).ToList();
            ctx.Console.MarkupLine($"[bold]{Markup.Escape(loaded.Run.Id)}[/] {Markup.Escape(loaded.Run.Name)} · {Markup.Escape(loaded.Model)} · {loaded.Run.Status}");
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
