using System.CommandLine;
using Hone.Evals.Specs;
using Hone.Store;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>The <c>--json</c> document of <c>hone eval init</c>.</summary>
/// <param name="Spec">The spec written.</param>
/// <param name="GoldenSet">The examples file it reads as its golden set.</param>
/// <param name="Cases">Examples (cases).</param>
/// <param name="Grader">The grader chosen for the data.</param>
/// <param name="Labels">The labels, when the references look like classification labels.</param>
/// <param name="MaxTokens">The completion limit written.</param>
public sealed record EvalInitJson(string Spec, string GoldenSet, int Cases, InitialGrader Grader, IReadOnlyList<string> Labels, int MaxTokens);

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
            var examples = ctx.ResolvePath(p.GetValue(from)!);
            if (!File.Exists(examples)) throw new CliUsageException($"{examples}: no such examples file.");
            var name = Path.GetFileNameWithoutExtension(examples);
            var specPath = p.GetValue(output) is { } o ? ctx.ResolvePath(o)
                : Path.Combine(ctx.FindWorkspace()?.EvalsDir ?? ctx.WorkingDirectory, name + ".yaml");
            if (File.Exists(specPath) && !p.GetValue(force))
                throw new CliUsageException($"{specPath} already exists; give --out for another file or --force to replace it.");
            if (string.Equals(Path.GetFullPath(specPath), examples, StringComparison.Ordinal))
                throw new CliUsageException($"--out {specPath} is the examples file itself; give another path.");
            var result = EvalSpecInit.Write(examples, specPath);
            ctx.WriteJson(new EvalInitJson(result.SpecPath, result.GoldenSetPath, result.Cases, result.Grader, result.Labels, result.MaxTokens));
            var c = ctx.Console;
            c.MarkupLine($"[green]wrote[/] {Markup.Escape(result.SpecPath)}: {result.Cases} cases from {Markup.Escape(result.GoldenSetPath)}");
            c.MarkupLine(result.Grader switch
            {
                InitialGrader.Classification => $"the references are {result.Labels.Count} labels ({Markup.Escape(string.Join(", ", result.Labels))}): " +
                    "exact match of the trimmed output, the primary metric, with per-class accuracy and a confusion matrix",
                InitialGrader.JsonFields => "the references are JSON objects: field-by-field match (json_field_match)",
                InitialGrader.ToolCalls => "the references are tool calls: tool_call_match",
                _ => "the references are free text: fuzzy match ≥ 0.8 (text_similarity); a score_model judge may suit open answers better",
            });
            c.MarkupLine($"next: hone eval {Markup.Escape(Path.GetRelativePath(ctx.WorkingDirectory, result.SpecPath))} --model local:DIR");
            return ExitCodes.Success;
        });
        return cmd;
    }
}
