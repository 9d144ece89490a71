using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Prompting.Execution;
using Hone.Store;

namespace Hone.App.Evals;

/// <summary>What <see cref="EvalRun"/> is asked: a spec run through one model (or the spec's models) and graded.</summary>
public sealed record EvalRunRequest
{
    /// <summary>The eval spec: a path (at <see cref="WorkingDirectory"/>) or a name in the workspace's evals folder.</summary>
    public required string Spec { get; init; }

    /// <summary>Where the workspace is found and relative paths are anchored.</summary>
    public required string WorkingDirectory { get; init; }

    /// <summary>provider:model or local:DIR; null: the spec's model(s), else the workspace's default model.</summary>
    public string? Model { get; init; }

    /// <summary>A tokenizer for local models without one beside them (resolved path), or null.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>A built-in chat template for local models, or null.</summary>
    public string? Template { get; init; }

    /// <summary>Samples per case, or null for the spec's.</summary>
    public int? Repeats { get; init; }

    /// <summary>Model calls in flight, or null for the spec's.</summary>
    public int? Concurrency { get; init; }

    /// <summary>Only the first N cases, or null for all.</summary>
    public int? Limit { get; init; }

    /// <summary>Serve repeated requests from the response cache.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>Resume an unfinished run of the same spec and model instead of starting a new one.</summary>
    public bool Resume { get; init; } = true;

    /// <summary>What to do with a case longer than the model's context.</summary>
    public OverflowAction OnOverflow { get; init; } = OverflowAction.Skip;

    /// <summary>A prompt or chain file (path or name in prompts/) each case is sent through instead of the spec's prompt, or null.</summary>
    public string? Prompt { get; init; }

    /// <summary>Only estimate (a local model is probed): nothing is sent to a hosted model, no run is recorded.</summary>
    public bool DryRun { get; init; }

    /// <summary>Run even when the estimated dollars are above the workspace's prompting budget (<c>prompting.budget_usd</c>).</summary>
    public bool Yes { get; init; }
}

/// <summary>The result of <see cref="EvalRun"/> (its <c>--json</c> document).</summary>
/// <param name="Spec">The spec's name.</param>
/// <param name="Warnings">Spec settings that are valid but probably not meant (e.g. a regex pattern holding <c>{{…}}</c>).</param>
/// <param name="Runs">One entry per model.</param>
public sealed record EvalRunResponse(string Spec, IReadOnlyList<string> Warnings, IReadOnlyList<EvalRunEntry> Runs)
{
    /// <summary>The estimate of each model's run, told before the first call (the same order as the models).</summary>
    public IReadOnlyList<EvalEstimate> Estimates { get; init; } = [];

    /// <summary>Whether this was only the estimate (<see cref="Runs"/> is empty).</summary>
    public bool DryRun { get; init; }

    /// <summary>The spec the runs were made from.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public EvalSpec? LoadedSpec { get; init; }

    /// <summary>Every run in full (samples included), in <see cref="Runs"/> order.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<EvalRunResult> Results { get; init; } = [];

    /// <summary>True when some model call failed or some grader reported an error instead of a verdict.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool HasProblems => Runs.Any(r => r.Summary.ModelErrors > 0 || r.Summary.GraderErrors > 0);
}

/// <summary>One model's run in <see cref="EvalRunResponse"/>.</summary>
/// <param name="RunId">The run id.</param>
/// <param name="Model">The model as given.</param>
/// <param name="Status">The run's status (succeeded when no model call failed; skipped cases do not fail it).</param>
/// <param name="Reused">Samples reused from an interrupted run.</param>
/// <param name="ModelCalls">Calls that reached the model (not cache hits).</param>
/// <param name="CasesPath">The per-sample JSONL (each line has its status: ok, truncated, skipped, error).</param>
/// <param name="OnOverflow">The over-long case policy: skip, truncate-start or fail.</param>
/// <param name="Summary">The aggregate.</param>
public sealed record EvalRunEntry(string RunId, string Model, RunStatus Status, int Reused, long ModelCalls, string CasesPath, string OnOverflow,
    EvalSummary Summary);

/// <summary>
/// Use case "evaluate": runs a golden set through each model and grades it, recording one eval run per model (resumed
/// when an unfinished one matches). Every model's options are validated and its run estimated (<see cref="EvalEstimator"/>)
/// before the first call; a hosted estimate above the prompting budget's dollars does not run without <c>--yes</c>.
/// </summary>
public static class EvalRun
{
    /// <summary>Runs the request; <paramref name="onEstimate"/> sees every model's estimate before any call, <paramref name="progress"/> shows each model's run.</summary>
    public static async Task<EvalRunResponse> RunAsync(EvalRunRequest request, IPhaseProgress? progress = null, Action<IReadOnlyList<EvalEstimate>>? onEstimate = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        progress ??= NoPhaseProgress.Instance;
        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        string Resolve(string p) => Path.GetFullPath(Path.Combine(request.WorkingDirectory, p));
        var resolver = EvalWorkspace.Resolver(ws, request.Template, store, Resolve, request.Tokenizer);
        var spec = EvalWorkspace.LoadSpec(EvalWorkspace.FindSpec(ws, request.Spec, request.WorkingDirectory), resolver);
        var program = request.Prompt is { } pf ? new PromptProgram(EvalWorkspace.LoadPrompt(ws, pf, request.WorkingDirectory, resolver), spec.GoldenSetPath) : null;
        var models = request.Model is { } m ? [m] : spec.Models.Count > 0 ? spec.Models
            : (ws.Config.DefaultModel is { } d ? [d] : throw new UseCaseException("No model: give --model provider:model or local:DIR, or 'model:' in the spec."));
        var optionsList = models.Select(name => new EvalRunOptions
        {
            Spec = spec,
            Model = name,
            Repeats = request.Repeats,
            Concurrency = request.Concurrency,
            Limit = request.Limit,
            UseCache = request.UseCache,
            Resume = request.Resume,
            OnOverflow = request.OnOverflow,
            Program = program,
        }).ToList();
        foreach (var o in optionsList) o.Validate(); // every model's options before the first call
        var runner = new EvalRunner(store, ws.RunsDir);
        var clients = new List<Microsoft.Extensions.AI.IChatClient>();
        try
        {
            var estimates = new List<EvalEstimate>();
            foreach (var o in optionsList)
            {
                var client = resolver.Resolve(o.Model);
                clients.Add(client);
                estimates.Add(await EstimateAsync(runner, o, client, request.WorkingDirectory, ct).ConfigureAwait(false));
            }
            onEstimate?.Invoke(estimates);
            if (request.DryRun) return new EvalRunResponse(spec.Name, spec.Warnings, []) { Estimates = estimates, DryRun = true, LoadedSpec = spec };
            var budget = ws.Config.Prompting?.BudgetUsd ?? PromptingConfig.DefaultBudgetUsd;
            if (!request.Yes && estimates.Sum(e => e.Usd ?? 0) is var usd && usd > budget)
                throw new UseCaseException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"this would spend about ${usd:0.####}, above the prompting budget of ${budget:0.####} (prompting.budget_usd in hone.yaml); nothing was sent. Re-run with --yes, raise the budget, or give --limit."));
            var results = new List<EvalRunResult>();
            for (int i = 0; i < optionsList.Count; i++)
            {
                var (o, client) = (optionsList[i], clients[i]);
                results.Add(await progress.EvalAsync($"{spec.Name} · {o.Model}", p => runner.RunAsync(o, client, p, ct)).ConfigureAwait(false));
            }
            return new EvalRunResponse(spec.Name, spec.Warnings, [.. results.Select((r, i) => Entry(r, optionsList[i]))])
            {
                Estimates = estimates,
                LoadedSpec = spec,
                Results = results,
            };
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    /// <summary>The estimate of one model's run: its workload (less what an unfinished run holds), its price, and a probe when the model is local.</summary>
    private static async Task<EvalEstimate> EstimateAsync(EvalRunner runner, EvalRunOptions o, Microsoft.Extensions.AI.IChatClient client, string workingDirectory,
        CancellationToken ct)
    {
        var (price, source) = EvalEstimator.PriceOf(o.Spec, o.Model, workingDirectory);
        var workload = EvalEstimator.Workload(o, runner.ReusableSamples(o, client), price, judge => EvalEstimator.PriceOf(o.Spec, judge, workingDirectory).Price);
        bool pending = workload.Cases * workload.Repeats > workload.Reused;
        var probe = EvalEstimator.IsLocal(o.Model) && pending ? await EvalEstimator.ProbeAsync(client, EvalEstimator.ShortestPrompt(o), ct).ConfigureAwait(false) : null;
        return EvalEstimator.Compute(o.Model, workload, source, probe);
    }

    /// <summary>The entry of one run.</summary>
    public static EvalRunEntry Entry(EvalRunResult r, EvalRunOptions o)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(o);
        return new(r.Run.Id, o.Model, r.Run.Status, r.Reused, r.ModelCalls, r.CasesPath, OverflowName(o.OnOverflow), r.Summary);
    }

    /// <summary>The option value naming <paramref name="a"/>.</summary>
    public static string OverflowName(OverflowAction a) => a switch
    {
        OverflowAction.TruncateStart => "truncate-start",
        OverflowAction.Fail => "fail",
        _ => "skip",
    };

    /// <summary>The policy an option value names (skip, truncate-start, fail).</summary>
    public static OverflowAction ParseOverflow(string? name) => name switch
    {
        "truncate-start" => OverflowAction.TruncateStart,
        "fail" => OverflowAction.Fail,
        "skip" or null => OverflowAction.Skip,
        _ => throw new UseCaseException($"on-overflow '{name}' must be skip, truncate-start or fail."),
    };
}
