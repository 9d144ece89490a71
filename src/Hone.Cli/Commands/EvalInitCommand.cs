using System.CommandLine;
using Hone.Evals.Specs;
using Hone.App.Evals;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone eval init --from FILE.jsonl [--out SPEC] [--force]</c>: writes a commented eval spec over chat examples
/// whose last message is the assistant's answer (see <see cref="EvalSpecInit"/>). Exit 2 when the examples are invalid
/// or the spec exists (without --force); nothing is written then.
/// </summary>
public static class EvalInitCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var from = new Option<string>("--from") { Description = "Chat examples (JSONL, {\"messages\": [...]}) whose last message is the assistant's answer.", Required = true };
        var output = new Option<string?>("--out") { Description = "The spec to write (default: evals/NAME.yaml in the workspace, NAME being the examples file's name)." };
        var force = new Option<bool>("--force") { Description = "Replace an existing spec." };
        var cmd = new Command("init", "Write an eval spec from chat examples: the last assistant message of each is the reference, the rest is sent; " +
            "the grader is chosen for the data (labels: exact match of the trimmed output, with per-class accuracy).")
        {
            from, output, force,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var result = EvalRunRecords.Init(new EvalInitRequest(p.GetValue(from)!, ctx.WorkingDirectory, p.GetValue(output), p.GetValue(force)));
            ctx.WriteJson(result);
            var c = ctx.Console;
            c.MarkupLine($"[green]wrote[/] {Markup.Escape(result.Spec)}: {result.Cases} cases from {Markup.Escape(result.GoldenSet)}");
            c.MarkupLine(result.Grader switch
            {
                InitialGrader.Classification => $"the references are {result.Labels.Count} labels ({Markup.Escape(string.Join(", ", result.Labels))}): " +
                    "exact match of the trimmed output, the primary metric, with per-class accuracy and a confusion matrix",
                InitialGrader.JsonFields => "the references are JSON objects: field-by-field match (json_field_match)",
                InitialGrader.ToolCalls => "the references are tool calls: tool_call_match",
                _ => "the references are free text: fuzzy match ≥ 0.8 (text_similarity); a score_model judge may suit open answers better",
            });
            c.MarkupLine($"next: hone eval {Markup.Escape(Path.GetRelativePath(ctx.WorkingDirectory, result.Spec))} --model local:DIR");
            return ExitCodes.Success;
        });
        return cmd;
    }
}
