using System.CommandLine;
using System.Globalization;
using Hone.Evals.Runs;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone eval SPEC [--model M] [--repeats K] [--concurrency N] [--limit N] [--on-overflow skip|truncate-start|fail]</c>:
/// runs a golden set through a model and grades it. Exit 0 when every sample was answered (or skipped as over-long)
/// and graded, whatever the accuracy; 1 when some model calls failed (the run is kept; the same command resumes it and
/// retries only those) or some grader reported an error instead of a verdict; 2 for bad input.
/// </summary>
public static class EvalRunCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var spec = new Argument<string>("SPEC") { Description = "The eval spec (YAML), a path or a name in the workspace's evals folder ('hone eval init' writes one)." };
        var model = new Option<string?>("--model") { Description = "provider:model (a provider of hone.yaml), local:DIR (" + ModelCliOptions.LocalModelKinds + ") or run:RUN[@EPOCH] (a training run's best checkpoint by golden-set score, else its newest, or that epoch's; applied in process, no export); default: the spec's model(s)." };
        var local = ModelCliOptions.ForLocalModelsOf(); // --tokenizer, --template for local: models
        var repeats = new Option<int?>("--repeats") { Description = "Samples per case (1-100); >1 reports pass@k, pass^k and flaky cases." };
        var concurrency = new Option<int?>("--concurrency") { Description = "Model calls in flight at once (1-64)." };
        var limit = new Option<int?>("--limit") { Description = "Only the first N cases." };
        var noCache = new Option<bool>("--no-cache") { Description = "Call the model even for requests answered before." };
        var fresh = new Option<bool>("--fresh") { Description = "Start a new run instead of resuming an unfinished one." };
        var onOverflow = new Option<string>("--on-overflow")
        {
            Description = "A case longer than the model's context: skip (default; counted, not in the accuracy), truncate-start (drop the prompt's " +
                "oldest tokens; local models) or fail (a failed call, exit 1).",
            DefaultValueFactory = _ => "skip",
        };
        onOverflow.AcceptOnlyFromAmong("skip", "truncate-start", "fail");
        var promptFile = new Option<string?>("--prompt") { Description = "Send each case through this prompt or chain file (prompts/) instead of the spec's prompt." };
        var cmd = new Command("eval", "Run a golden set through a model and grade it; init, baselines, comparisons and edge cases.\n" +
            "Exit codes: 0 every sample graded, 1 some model calls failed (re-run to resume) or some grader errors, 2 usage or input error.")
        {
            spec, model, repeats, concurrency, limit, noCache, fresh, onOverflow, promptFile,
        };
        local.AddTo(cmd);
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var ws = ctx.RequireWorkspace();
            using var store = ws.OpenStore();
            var resolver = EvalCommands.Resolver(ws, local.TemplateName(p), store, ctx.ResolvePath, local.TokenizerPath(p, ctx));
            var evalSpec = EvalCommands.LoadSpec(EvalCommands.FindSpec(ctx, ws, p.GetValue(spec)!), resolver);
            var program = p.GetValue(promptFile) is { } pf ? new Hone.Prompting.Execution.PromptProgram(PromptCli.LoadPrompt(ctx, ws, pf, resolver), evalSpec.GoldenSetPath) : null;
            var models = p.GetValue(model) is { } m ? [m] : evalSpec.Models.Count > 0 ? evalSpec.Models
                : (ws.Config.DefaultModel is { } d ? [d] : throw new CliUsageException("No model: give --model provider:model or local:DIR, or 'model:' in the spec."));
            var overflow = p.GetValue(onOverflow) switch
            {
                "truncate-start" => OverflowAction.TruncateStart,
                "fail" => OverflowAction.Fail,
                _ => OverflowAction.Skip,
            };
            var optionsList = models.Select(name => new EvalRunOptions
            {
                Spec = evalSpec,
                Model = name,
                Repeats = p.GetValue(repeats),
                Concurrency = p.GetValue(concurrency),
                Limit = p.GetValue(limit),
                UseCache = !p.GetValue(noCache),
                Resume = !p.GetValue(fresh),
                OnOverflow = overflow,
                Program = program,
            }).ToList();
            foreach (var o in optionsList) o.Validate(); // every model's options before the first call
            foreach (var w in evalSpec.Warnings) ctx.Warn(w);
            var runner = new EvalRunner(store, ws.RunsDir);
            var results = new List<EvalRunResult>();
            foreach (var o in optionsList)
            {
                var client = resolver.Resolve(o.Model);
                try { results.Add(await RunOne(ctx, runner, o, client, ct).ConfigureAwait(false)); }
                finally { EvalCommands.Release(client); }
            }
            ctx.WriteJson(new EvalRunJson(evalSpec.Name, evalSpec.Warnings,
                [.. results.Select((r, i) => EvalRunReport.Json(r, optionsList[i]))]));
            foreach (var r in results) EvalRunReport.Write(ctx, r, evalSpec);
            return results.Any(r => r.Summary.ModelErrors > 0 || r.Summary.GraderErrors > 0) ? ExitCodes.ProblemsFound : ExitCodes.Success;
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
}
