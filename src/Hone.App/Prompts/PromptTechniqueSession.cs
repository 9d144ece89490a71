using System.Text.Json;
using Hone.App.Evals;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Prompting.Evaluation;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.App.Prompts;

/// <summary>What every prompt technique is asked besides its own options: the golden set, the model, how many calls, the budget rule.</summary>
/// <param name="WorkingDirectory">Where relative paths are anchored and the workspace is looked for (one is required).</param>
public sealed record PromptTechniqueRequest(string WorkingDirectory)
{
    /// <summary>The eval spec (golden set and graders), or null for the only spec in evals/.</summary>
    public string? Golden { get; init; }

    /// <summary>provider:model or local:DIR, or null for the spec's model, else default_model.</summary>
    public string? Model { get; init; }

    /// <summary>Model calls in flight (1-64).</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Only the first N golden cases, or null for all.</summary>
    public int? Limit { get; init; }

    /// <summary>Run even when the estimate is above the prompting budget of hone.yaml.</summary>
    public bool Yes { get; init; }

    /// <summary>Call the model even for requests answered before.</summary>
    public bool NoCache { get; init; }

    /// <summary>A tokenizer for local models without one beside them (resolved), or null.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>A built-in chat template for local models, or null.</summary>
    public string? Template { get; init; }

    /// <summary>Seed of shuffles, splits and the bootstrap.</summary>
    public int Seed { get; init; }
}

/// <summary>The result of a prompt technique (its <c>--json</c> document): the estimate shown before it ran, and its typed result.</summary>
/// <param name="Technique">variants, best-of, induce, debug or optimize.</param>
/// <param name="RunId">The run recorded in the store (kind <c>prompt</c>).</param>
/// <param name="Model">The model.</param>
/// <param name="Estimate">The estimate shown before it ran.</param>
/// <param name="Result">The result.</param>
public sealed record PromptTechniqueResponse<T>(string Technique, string RunId, string Model, SpendEstimate Estimate, T Result)
{
    /// <summary>The prompt file written (a better prompt), or null.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? Written { get; init; }

    /// <summary>The command to run next, or null.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? Next { get; init; }
}

/// <summary>Everything a technique run needs: the workspace and its store, the model, the evaluator, the cases.</summary>
internal sealed record PromptTechniqueSession(PromptTechniqueRequest Request, Workspace Workspace, RunStore Store, ChatModelResolver Resolver, GoldenInput Golden,
    string ModelName, IChatClient ModelClient, PromptEvaluator Evaluator, IReadOnlyList<GoldenCase> Cases) : IDisposable
{
    /// <summary>Opens the workspace, its store, the golden set (a spec is required), the model and its evaluator.</summary>
    public static PromptTechniqueSession Open(PromptTechniqueRequest request, SpendLimit? limit = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Require(request.WorkingDirectory);
        var store = ws.OpenStore();
        try
        {
            var resolver = EvalWorkspace.Resolver(ws, request.Template, store, p => Path.GetFullPath(Path.Combine(request.WorkingDirectory, p)), request.Tokenizer);
            var golden = PromptFiles.LoadGolden(request.WorkingDirectory, ws, request.Golden, resolver, specRequired: true);
            var spec = golden.Spec!;
            var model = request.Model ?? spec.Models.FirstOrDefault() ?? ws.Config.DefaultModel
                ?? throw new UseCaseException("No model: give --model provider:model or local:DIR, 'model:' in the spec, or default_model in hone.yaml.");
            if (request.Concurrency is < 1 or > 64) throw new UseCaseException($"--concurrency must be from 1 to 64; got {request.Concurrency}.");
            var cases = request.Limit is { } n ? (n < 1 ? throw new UseCaseException("--limit must be at least 1.") : golden.Cases.Take(n).ToList()) : golden.Cases;
            var client = resolver.Resolve(model);
            var evaluator = new PromptEvaluator(client, new EvaluatorOptions
            {
                Spec = spec, Cache = request.NoCache ? null : store, Concurrency = request.Concurrency, Limit = limit ?? SpendLimit.None,
            });
            return new PromptTechniqueSession(request, ws, store, resolver, golden, model, client, evaluator, cases);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>A prompt file by path or name, its local models resolved like the session's.</summary>
    public Hone.Prompting.Files.PromptFile LoadPrompt(string name) => EvalWorkspace.LoadPrompt(Workspace, name, Request.WorkingDirectory, Resolver);

    /// <summary>The client of <c>--meta-model</c>, or null (the caller falls back to the model).</summary>
    public IChatClient? MetaClient(string? metaModel) => metaModel is { } m ? Resolver.Resolve(m) : null;

    /// <summary>
    /// Tells <paramref name="onEstimate"/> the estimate; refuses (nothing spent) when it is above the workspace's prompting
    /// budget and <see cref="PromptTechniqueRequest.Yes"/> was not given.
    /// </summary>
    public void Confirm(SpendEstimate estimate, Action<SpendEstimate>? onEstimate)
    {
        onEstimate?.Invoke(estimate);
        if (BudgetGate.NeedsConfirmation(estimate, Workspace.Config.Prompting) is { } why && !Request.Yes)
            throw new UseCaseException($"this would spend {why}; nothing was sent. Re-run with --yes, or raise the budget, or use --limit N.");
    }

    /// <summary>Records the technique as a run (kind <c>prompt</c>) with its result as the summary and <c>result.json</c>; returns the run id.</summary>
    public string Record<T>(string technique, string prompt, T result)
    {
        var run = Store.CreateRun("prompt", $"{technique}:{prompt}", JsonSerializer.Serialize(new { technique, prompt, model = ModelName, golden = Golden.Path }));
        var json = JsonSerializer.Serialize(result, AppJson.Options);
        var path = Path.Combine(Workspace.RunsDir, run.Id, "result.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, json);
        Store.AddArtifact(run.Id, "result.json", path, null, new FileInfo(path).Length);
        Store.SetStatus(run.Id, RunStatus.Succeeded, json);
        return run.Id;
    }

    /// <summary>The response: the run recorded, the model, the estimate and the result.</summary>
    public PromptTechniqueResponse<T> Respond<T>(string technique, string prompt, SpendEstimate estimate, T result) =>
        new(technique, Record(technique, prompt, result), ModelName, estimate, result);

    public void Dispose()
    {
        Evaluator.Dispose();
        ModelClient.Dispose();
        Store.Dispose();
    }
}
