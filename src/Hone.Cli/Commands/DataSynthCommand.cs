using System.CommandLine;
using System.Globalization;
using Hone.App.Data;
using Hone.Prompting.Evaluation;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone data synth --for RUN|EDGE --teacher P:M --n N --out FILE [--verifier P:M] [--data FILE]...</c>: new training
/// examples aimed at the failing cases, each checked before it is kept (<see cref="DataSynth"/>). Exit 0 when N were
/// kept, 1 when fewer were (those kept are written), 2 for bad input or a refused estimate.
/// </summary>
public static class DataSynthCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var @for = new Option<string>("--for") { Description = "An eval run id (its failing cases) or an edge-case name (its failing cases in the newest run that has it).", Required = true };
        var teacher = new Option<string>("--teacher") { Description = "The model that writes the examples: provider:model (hone.yaml) or local:DIR.", Required = true };
        var n = new Option<int>("--n") { Description = "Examples to keep (1-10000).", Required = true };
        var output = new Option<string>("--out") { Description = "The new JSONL file the kept examples go to (written atomically).", Required = true };
        var verifier = new Option<string?>("--verifier") { Description = "A second model asked to verify each candidate's answer." };
        var data = new Option<string[]>("--data") { Description = "Existing training files the examples must not duplicate (repeatable).", AllowMultipleArgumentsPerToken = true };
        var batch = new Option<int>("--batch") { Description = "Cases asked for in one teacher call (1-50).", DefaultValueFactory = _ => 5 };
        var near = new Option<double>("--near-duplicate") { Description = "Jaccard similarity (word 3-shingles) at which a candidate is a near-duplicate.", DefaultValueFactory = _ => 0.8 };
        var force = new Option<bool>("--force") { Description = "Replace --out when it exists." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the estimate and stop: no model is called, nothing is written." };
        var yes = new Option<bool>("--yes") { Description = "Run even when the estimate is above the prompting budget of hone.yaml." };
        var cmd = new Command("synth", "Write new training examples aimed at the failing cases with a teacher model; every candidate is checked " +
            "(data rules, golden-set leakage and near-duplicates, the spec's graders, an optional verifier) and kept or dropped with its reason. " +
            "A killed run resumes when started again with the same options.\n" +
            "Exit codes: 0 all N kept, 1 fewer kept (those are written), 2 usage or input error (or an estimate above the budget without --yes).")
        {
            @for, teacher, n, output, verifier, data, batch, near, force, dryRun, yes,
        };
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var request = new DataSynthRequest
            {
                WorkingDirectory = ctx.WorkingDirectory, For = p.GetValue(@for)!, Teacher = p.GetValue(teacher)!, Count = p.GetValue(n), Out = p.GetValue(output)!,
                Verifier = p.GetValue(verifier), Data = p.GetValue(data) ?? [], BatchSize = p.GetValue(batch), NearDuplicateThreshold = p.GetValue(near),
                Force = p.GetValue(force), DryRun = p.GetValue(dryRun), Yes = p.GetValue(yes),
            };
            var r = await DataSynth.RunAsync(request, e => ctx.Console.MarkupLine($"[dim]{Markup.Escape(EstimateLine(e))}[/]"),
                ctx.Interactive ? new Progress<string>(m => ctx.Stderr.WriteLine("… " + m)) : null, ct).ConfigureAwait(false);
            ctx.WriteJson(r);
            Print(ctx.Console, r);
            return r.DryRun || r.Kept == r.Requested ? ExitCodes.Success : ExitCodes.ProblemsFound;
        });
        return cmd;
    }

    /// <summary>The estimate as one line.</summary>
    internal static string EstimateLine(SpendEstimate e) =>
        $"estimate: {e.Calls} model calls, {e.InputTokens:N0} tokens in / {e.OutputTokens:N0} out" +
        (e.Usd is { } usd ? $", ${usd.ToString("0.####", CultureInfo.InvariantCulture)}" : ", no price known (input_per_1m/output_per_1m in the price table)") +
        $", about {PromptTechniqueCli.Duration(e.Seconds)}";

    private static void Print(IAnsiConsole c, DataSynthResult r)
    {
        c.MarkupLine($"for {Markup.Escape(r.For)} (run {Markup.Escape(r.RunId)}, spec {Markup.Escape(r.Spec)}): {r.FailingCases.Count} failing cases; teacher {Markup.Escape(r.Teacher)}" +
            (r.Verifier is { } v ? $", verifier {Markup.Escape(v)}" : ""));
        if (r.DryRun)
        {
            c.MarkupLine($"dry run: up to {r.MaxTeacherCalls} teacher calls; nothing was sent or written.");
            return;
        }
        c.MarkupLine($"kept {r.Kept} of {r.Requested} asked" + (r.Output is { } o ? $" → {Markup.Escape(o)}" : " (nothing written)") +
            $"; {r.TeacherCalls} teacher calls, {r.VerifierCalls} verifier calls ({r.ReplayedCalls} from the progress file)");
        if (r.Dropped.Count > 0)
        {
            c.MarkupLine($"dropped {r.Dropped.Count}: " + string.Join(", ", r.DroppedByCode.Select(kv => $"{kv.Key} {kv.Value}")));
            foreach (var d in r.Dropped.Take(20)) c.MarkupLine($"  call {d.Call} line {d.Line}: [yellow]{Markup.Escape(d.Code)}[/] {Markup.Escape(d.Reason)}");
            if (r.Dropped.Count > 20) c.MarkupLine($"  … {r.Dropped.Count - 20} more (--json lists them all)");
        }
        if (r.GradersSkipped.Count > 0) c.MarkupLine("graders that did not apply: " + Markup.Escape(string.Join(", ", r.GradersSkipped.Select(kv => $"{kv.Key} ×{kv.Value}"))));
        if (r.Spent is { } s) c.MarkupLine($"spent: {s.Calls} paid calls, {s.InputTokens:N0} tokens in / {s.OutputTokens:N0} out, {PromptTechniqueCli.Money(s.Usd)}");
    }
}
