using System.CommandLine;
using System.Globalization;
using Hone.Evals.Runs;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone eval SPEC [--model M] [--repeats K] [--concurrency N] [--limit N]</c>: runs a golden set through a model
/// and grades it. Exit 0 when every sample was answered and graded (whatever the accuracy), 1 when some model calls
/// failed (the run is kept; the same command resumes it and retries only those), 2 for bad input.
/// </summary>
public static class EvalRunCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var spec = new Argument<string>("SPEC") { Description = "The eval spec (YAML), a path or a name in the workspace's evals folder." };
        var model = new Option<string?>("--model") { Description = "provider:model (a provider of hone.yaml) or local:DIR; default: the spec's model(s)." };
        var repeats = new Option<int?>("--repeats") { Description = "Samples per case (1-100); >1 reports pass@k, pass^k and flaky cases." };
        var concurrency = new Option<int?>("--concurrency") { Description = "Model calls in flight at once (1-64)." };
        var limit = new Option<int?>("--limit") { Description = "Only the first N cases." };
        var noCache = new Option<bool>("--no-cache") { Description = "Call the model even for requests answered before." };
        var fresh = new Option<bool>("--fresh") { Description = "Start a new run instead of resuming an unfinished one." };
        var template = new Option<string?>("--template") { Description = "Chat template for a local model that has none (e.g. chatml)." };
        var cmd = new Command("eval", "Run a golden set through a model and grade it; baselines, comparisons and edge cases.\n" +
            "Exit codes: 0 every sample graded, 1 some model calls failed (re-run to resume), 2 usage or input error.")
        {
            spec, model, repeats, concurrency, limit, noCache, fresh, template,
        };
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var ws = ctx.RequireWorkspace();
            var resolver = EvalCommands.Resolver(ws, p.GetValue(template));
            var evalSpec = EvalCommands.LoadSpec(EvalCommands.FindSpec(ctx, ws, p.GetValue(spec)!), resolver);
            var models = p.GetValue(model) is { } m ? [m] : evalSpec.Models.Count > 0 ? evalSpec.Models
                : (ws.Config.DefaultModel is { } d ? [d] : throw new CliUsageException("No model: give --model provider:model or local:DIR, or 'model:' in the spec."));
            var optionsList = models.Select(name => new EvalRunOptions
            {
                Spec = evalSpec,
                Model = name,
                Repeats = p.GetValue(repeats),
                Concurrency = p.GetValue(concurrency),
                Limit = p.GetValue(limit),
                UseCache = !p.GetValue(noCache),
                Resume = !p.GetValue(fresh),
            }).ToList();
            foreach (var o in optionsList) o.Validate(); // every model's options before the first call
            using var store = ws.OpenStore();
            var runner = new EvalRunner(store, ws.RunsDir);
            var results = new List<EvalRunResult>();
            foreach (var o in optionsList)
            {
                var client = resolver.Resolve(o.Model);
                try { results.Add(await RunOne(ctx, runner, o, client, ct).ConfigureAwait(false)); }
                finally { EvalCommands.Release(client); }
            }
            ctx.WriteJson(new
            {
                spec = evalSpec.Name,
                runs = results.Select((r, i) => new { run_id = r.Run.Id, model = optionsList[i].Model, status = r.Run.Status, reused = r.Reused, model_calls = r.ModelCalls, cases_path = r.CasesPath, summary = r.Summary }),
            });
            foreach (var r in results) Report(ctx, r);
            return results.Any(r => r.Summary.ModelErrors > 0) ? ExitCodes.ProblemsFound : ExitCodes.Success;
        });
        return cmd;
    }

    private static async Task<EvalRunResult> RunOne(CliContext ctx, EvalRunner runner, EvalRunOptions o, Microsoft.Extensions.AI.IChatClient client, CancellationToken ct)
    {
        if (!ctx.Interactive) return await runner.RunAsync(o, client, null, ct).ConfigureAwait(false);
        EvalRunResult? result = null;
        await ctx.Console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async pc =>
            {
                var task = pc.AddTask(Markup.Escape($"{o.Spec.Name} · {o.Model}"));
                var progress = new Progress<EvalProgress>(e =>
                {
                    task.MaxValue = Math.Max(1, e.Total);
                    task.Value = e.Done;
                    task.Description = Markup.Escape($"{o.Spec.Name} · {o.Model} · {e.Passed}/{e.Done} passed");
                });
                result = await runner.RunAsync(o, client, progress, ct).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return result!;
    }

    private static void Report(CliContext ctx, EvalRunResult r)
    {
        var s = r.Summary;
        var c = ctx.Console;
        c.MarkupLine($"[bold]{Markup.Escape(r.Run.Id)}[/] ({Markup.Escape(r.Run.Name)}), {s.Cases} cases × {s.Repeats}" +
            (r.Reused > 0 ? $", {r.Reused} samples reused from the interrupted run" : ""));
        c.MarkupLine($"accuracy [bold]{EvalCommands.Pct(s.Accuracy)}[/] ({s.Passed}/{s.Samples}), 95% Wilson interval {EvalCommands.Pct(s.AccuracyLow)}–{EvalCommands.Pct(s.AccuracyHigh)}");
        if (s.PassAtK is { } k) c.MarkupLine($"pass@{s.Repeats} {EvalCommands.Pct(k)}, pass^{s.Repeats} {EvalCommands.Pct(s.PassHatK ?? 0)}, flaky: {s.FlakyCases.Count}" +
            (s.FlakyCases.Count > 0 ? " (" + Markup.Escape(string.Join(", ", s.FlakyCases.Take(10))) + ")" : ""));
        var t = new Table().AddColumns("grader", "mean score", "pass rate", "errors");
        foreach (var g in s.Graders)
            t.AddRow(Markup.Escape(g.Grader), g.MeanScore.ToString("0.000", CultureInfo.InvariantCulture), EvalCommands.Pct(g.PassRate), g.Errors.ToString(CultureInfo.InvariantCulture));
        c.Write(t);
        if (s.Tags.Count > 0)
        {
            var tags = new Table().AddColumns("tag", "cases", "accuracy");
            foreach (var g in s.Tags) tags.AddRow(Markup.Escape(g.Tag), g.Cases.ToString(CultureInfo.InvariantCulture), EvalCommands.Pct(g.Accuracy));
            c.Write(tags);
        }
        c.MarkupLine($"model calls {r.ModelCalls}, cache hits {s.CacheHits}, tokens {s.InputTokens} in / {s.OutputTokens} out" +
            (s.CostUsd is { } cost ? $", cost ${cost.ToString("0.0000", CultureInfo.InvariantCulture)}" : "") +
            $", mean latency {s.MeanLatencyMs.ToString("0", CultureInfo.InvariantCulture)} ms");
        if (s.ModelErrors > 0)
            c.MarkupLine($"[red]{s.ModelErrors} model calls failed[/]; run the same command again to retry only those.");
        c.MarkupLine($"cases: {Markup.Escape(r.CasesPath)}");
    }
}
