using System.CommandLine;
using Hone.App.Evals;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone edge add RUN [--case ID ...] [--tag NAME]</c>: turns a run's failures (or the named cases) into a named edge
/// case, stored in <c>evals/edge_cases.jsonl</c> (written atomically). The default name is <c>failures-RUN</c>.
/// Exit 0 (also when every case was already there), 2 for an unknown run or case.
/// </summary>
public static class EdgeAddCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var run = new Argument<string>("RUN") { Description = "The eval run id (or a unique prefix)." };
        var cases = new Option<string[]>("--case") { Description = "Add these cases (default: every failing case of the run).", AllowMultipleArgumentsPerToken = true };
        var tag = new Option<string?>("--tag") { Description = "The edge case's name (default: failures-RUN)." };
        var cmd = new Command("add", "Turn a run's failing cases (or the cases given) into a named edge case, tracked across later runs.") { run, cases, tag };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var r = EdgeCaseWrites.Add(new EdgeAddRequest(ctx.WorkingDirectory, p.GetValue(run)!, p.GetValue(cases) ?? [], p.GetValue(tag)));
            ctx.WriteJson(r);
            ctx.Console.MarkupLine(r.Added.Count + r.AlreadyThere.Count == 0
                ? $"Run {Markup.Escape(r.RunId)} has no failing cases; nothing to add."
                : $"edge case [bold]{Markup.Escape(r.Name)}[/]: added {r.Added.Count} cases of {Markup.Escape(r.RunId)}" +
                  (r.AlreadyThere.Count > 0 ? $" ({r.AlreadyThere.Count} were already there)" : "") + $" · {Markup.Escape(r.Path)}");
            return ExitCodes.Success;
        });
        return cmd;
    }
}

/// <summary>
/// <c>hone edge export RUN --format sft [--out FILE] [--tag NAME] [--reference-field F]</c>: the run's failing cases as
/// chat training examples (the prompt baked in, the reference answer as the assistant message), the same export as
/// <c>hone eval edge-cases --export</c>. Default output: <c>DATA/edge-RUN.jsonl</c>. Requires <c>--allow-golden-leak</c>
/// (it leaks the golden set into training). Exit 0, 2 for bad input or without that option.
/// </summary>
public static class EdgeExportCommand
{
    /// <summary>The <c>--allow-golden-leak</c> option both golden-failure exports require.</summary>
    public static Option<bool> AllowGoldenLeakOption() => new("--allow-golden-leak")
    {
        Description = "Export anyway: the examples are golden-set cases, so training on them leaks the golden set and inflates its later scores.",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var run = new Argument<string>("RUN") { Description = "The eval run id (or a unique prefix)." };
        var format = new Option<string>("--format") { Description = "Output format: sft (chat messages JSONL).", DefaultValueFactory = _ => "sft" };
        var output = new Option<string?>("--out") { Description = "The JSONL file to write (default: DATA/edge-RUN.jsonl)." };
        var tag = new Option<string?>("--tag") { Description = "Only the failing cases of this edge case (a tag, or a name given with 'hone edge add')." };
        var referenceField = new Option<string?>("--reference-field") { Description = "The golden-set field holding the reference answer (default: a trailing assistant message)." };
        var allowLeak = AllowGoldenLeakOption();
        var cmd = new Command("export", "Write a run's failing cases as training examples: the prompt baked in, the reference answer as the assistant message. " +
            "This leaks the golden set into training, so it requires --allow-golden-leak.")
        {
            run, format, output, tag, referenceField, allowLeak,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var r = EdgeCaseWrites.Export(new EdgeExportRequest(ctx.WorkingDirectory, p.GetValue(run)!, p.GetValue(allowLeak))
            {
                Format = p.GetValue(format)!, Output = p.GetValue(output), Tag = p.GetValue(tag), ReferenceField = p.GetValue(referenceField),
            }, ctx.Warn);
            ctx.WriteJson(r);
            ctx.Console.MarkupLine($"exported {r.Cases} failing cases of {Markup.Escape(r.RunId)} ({r.WithReference} with their reference answer) to {Markup.Escape(r.Path)}");
            return ExitCodes.Success;
        });
        return cmd;
    }
}
