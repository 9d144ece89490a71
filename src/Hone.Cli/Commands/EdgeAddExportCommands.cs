using Hone.App.Evals;
using System.CommandLine;
using Hone.Evals.EdgeCases;
using Hone.Evals.Runs;
using Hone.Store;
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
            var ws = ctx.RequireWorkspace();
            using var store = ws.OpenStore();
            var loaded = EvalRuns.Load(store, p.GetValue(run)!);
            var name = p.GetValue(tag) ?? "failures-" + loaded.Run.Id;
            var path = EdgeCaseBook.PathIn(ws);
            var (added, already) = EdgeCaseBook.Add(path, loaded, name, p.GetValue(cases) ?? []);
            ctx.WriteJson(new
            {
                name = EdgeCaseBook.ValidateName(name),
                run_id = loaded.Run.Id,
                spec = loaded.Run.Name,
                added = added.Select(e => e.CaseId),
                already_there = already,
                path,
            });
            ctx.Console.MarkupLine(added.Count + already.Count == 0
                ? $"Run {Markup.Escape(loaded.Run.Id)} has no failing cases; nothing to add."
                : $"edge case [bold]{Markup.Escape(EdgeCaseBook.ValidateName(name))}[/]: added {added.Count} cases of {Markup.Escape(loaded.Run.Id)}" +
                  (already.Count > 0 ? $" ({already.Count} were already there)" : "") + $" · {Markup.Escape(path)}");
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
    /// <summary>The formats <c>--format</c> accepts.</summary>
    public static readonly IReadOnlyList<string> Formats = ["sft"];

    /// <summary>The <c>--allow-golden-leak</c> option both golden-failure exports require.</summary>
    public static Option<bool> AllowGoldenLeakOption() => new("--allow-golden-leak")
    {
        Description = "Export anyway: the examples are golden-set cases, so training on them leaks the golden set and inflates its later scores.",
    };

    /// <summary>
    /// Refuses (exit 2) to write golden-set failures as training data unless <c>--allow-golden-leak</c> was given: the
    /// examples are the golden set's own cases, so a model trained on them is then scored on what it was taught.
    /// With the option, warns once.
    /// </summary>
    public static void GuardGoldenLeak(CliContext ctx, bool allowed)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        const string Why = "the exported examples are golden-set cases: training on them leaks the golden set into training, so its later scores " +
            "measure memory, not skill.";
        if (!allowed)
            throw new CliUsageException("Refusing to export golden failures as training data: " + Why +
                " Write new examples for the failing pattern instead (or 'hone teach RUN'), or pass --allow-golden-leak to export anyway.");
        ctx.Warn("--allow-golden-leak: " + Why + " Score later runs on a golden set that excludes these cases.");
    }

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
            var fmt = p.GetValue(format)!;
            if (!Formats.Contains(fmt, StringComparer.Ordinal))
                throw new CliUsageException($"--format {fmt}: unknown format; use one of {string.Join(", ", Formats)}.");
            GuardGoldenLeak(ctx, p.GetValue(allowLeak));
            var ws = ctx.RequireWorkspace();
            using var store = ws.OpenStore();
            var loaded = EvalRuns.Load(store, p.GetValue(run)!);
            var spec = EvalWorkspace.SpecOfRun(loaded.Run, EvalWorkspace.Resolver(ws, null));
            var name = p.GetValue(tag);
            IReadOnlyCollection<string>? named = null;
            if (name is not null)
            {
                named = [.. EdgeCaseBook.Load(EdgeCaseBook.PathIn(ws)).Where(e => e.Name == name && e.Spec == loaded.Run.Name).Select(e => e.CaseId)];
                bool tagged = loaded.Results.Any(r => r.Tags.Contains(name, StringComparer.Ordinal));
                if (named.Count == 0 && !tagged)
                    throw new WorkspaceException($"No edge case '{name}' in run '{loaded.Run.Id}' (no case is tagged with it or was added under it); 'hone edge list' lists them.");
            }
            var path = p.GetValue(output) is { } o ? ctx.ResolvePath(o) : Path.Combine(ws.DataDir, $"edge-{loaded.Run.Id}.jsonl");
            var result = EdgeCaseExport.Write(path, loaded, spec, p.GetValue(referenceField), name, named);
            ctx.WriteJson(new { run_id = loaded.Run.Id, format = fmt, path = result.Path, cases = result.Cases, with_reference = result.WithReference });
            ctx.Console.MarkupLine($"exported {result.Cases} failing cases of {Markup.Escape(loaded.Run.Id)} ({result.WithReference} with their reference answer) to {Markup.Escape(result.Path)}");
            if (result.Cases > result.WithReference)
                ctx.Warn($"{result.Cases - result.WithReference} cases have no reference answer (metadata.reference_missing); write it before training, or pass --reference-field.");
            return ExitCodes.Success;
        });
        return cmd;
    }
}
