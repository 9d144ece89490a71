using System.CommandLine;
using Hone.App.Evals;
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
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the estimate and stop (a local model is probed briefly): nothing is sent to a hosted model, no run is recorded." };
        var yes = new Option<bool>("--yes") { Description = "Run even when the estimated dollars are above the prompting budget of hone.yaml (prompting.budget_usd)." };
        var cmd = new Command("eval", "Run a golden set through a model and grade it; init, baselines, comparisons and edge cases.\n" +
            "The estimate (calls, tokens, dollars, wall time) is printed before the first call; a killed run resumes when the same command is run again.\n" +
            "Exit codes: 0 every sample graded (or --dry-run), 1 some model calls failed (re-run to resume) or some grader errors, 2 usage or input error " +
            "(or an estimate above the budget without --yes), 3 internal error.")
        {
            spec, model, repeats, concurrency, limit, noCache, fresh, onOverflow, promptFile, dryRun, yes,
        };
        local.AddTo(cmd);
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var request = new EvalRunRequest
            {
                Spec = p.GetValue(spec)!,
                WorkingDirectory = ctx.WorkingDirectory,
                Model = p.GetValue(model),
                Tokenizer = local.TokenizerPath(p, ctx),
                Template = local.TemplateName(p),
                Repeats = p.GetValue(repeats),
                Concurrency = p.GetValue(concurrency),
                Limit = p.GetValue(limit),
                UseCache = !p.GetValue(noCache),
                Resume = !p.GetValue(fresh),
                OnOverflow = EvalRun.ParseOverflow(p.GetValue(onOverflow)),
                Prompt = p.GetValue(promptFile),
                DryRun = p.GetValue(dryRun),
                Yes = p.GetValue(yes),
            };
            var response = await EvalRun.RunAsync(request, new ConsolePhaseProgress(ctx), es =>
            {
                foreach (var e in es) ctx.Console.MarkupLine($"[dim]{Markup.Escape(EstimateLine(e))}[/]");
            }, ct).ConfigureAwait(false);
            foreach (var w in response.Warnings) ctx.Warn(w);
            ctx.WriteJson(response);
            if (response.DryRun)
            {
                ctx.Console.MarkupLine("dry run: nothing was sent to a hosted model and no run was recorded.");
                return ExitCodes.Success;
            }
            foreach (var r in response.Results) EvalRunReport.Write(ctx, r, response.LoadedSpec!);
            return response.HasProblems ? ExitCodes.ProblemsFound : ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>One model's estimate as one line.</summary>
    internal static string EstimateLine(EvalEstimate e)
    {
        var ic = System.Globalization.CultureInfo.InvariantCulture;
        var cost = e.Usd is { } usd ? "$" + usd.ToString("0.####", ic) : e.PriceSource.StartsWith("local", StringComparison.Ordinal) ? "no charge (local)" : "no price known";
        return string.Create(ic, $"estimate {e.Model}: {e.Cases} cases × {e.Repeats} samples × {e.Graders} graders") +
            (e.Reused > 0 ? string.Create(ic, $" ({e.Reused} samples kept from the unfinished run)") : "") +
            string.Create(ic, $": {e.ModelCalls} model calls") + (e.GraderCalls > 0 ? string.Create(ic, $" + {e.GraderCalls} grader calls") : "") +
            string.Create(ic, $", {e.InputTokens:N0} tokens in / at most {e.OutputTokens:N0} out, {cost}, at most {PromptTechniqueCli.Duration(e.Seconds)} ({e.TimeSource})");
    }
}
