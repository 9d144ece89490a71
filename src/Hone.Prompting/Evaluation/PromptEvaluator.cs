using Hone.Evals.Providers;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Store;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Evaluation;

/// <summary>Where a technique's model calls go, and how they are paid for.</summary>
public sealed record EvaluatorOptions
{
    /// <summary>The eval spec: graders, primary metric, price.</summary>
    public required EvalSpec Spec { get; init; }

    /// <summary>The run store whose response cache answers requests already paid for (null: no cache).</summary>
    public RunStore? Cache { get; init; }

    /// <summary>Model calls in flight.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Retries of a failed call.</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>First retry delay.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The spending limit of the whole technique.</summary>
    public SpendLimit Limit { get; init; } = SpendLimit.None;
}

/// <summary>
/// Evaluates candidate prompts on golden cases through one decorator pipeline (timing → response cache in the run
/// store → budget → usage and cost → concurrency → retries → the model), grading each answer with the spec's graders
/// exactly as <c>hone eval</c> does (<see cref="EvalRunner.RunSampleAsync"/>). A request answered before is served
/// from the cache, so a technique that is run again (or resumed after a kill) pays only for what it had not asked.
/// </summary>
public sealed class PromptEvaluator : IDisposable
{
    private readonly CancellationTokenSource _exhausted = new();
    private readonly IChatClient _client;
    private readonly EvaluatorOptions _options;

    /// <summary>Wraps <paramref name="model"/> in the pipeline.</summary>
    public PromptEvaluator(IChatClient model, EvaluatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _client = Pipeline(model, options.Cache, Ledger, options.Limit, options.Spec.Price, options.Concurrency, options.MaxRetries, options.RetryBaseDelay, _exhausted);
    }

    /// <summary>Calls paid, tokens and dollars so far (cache hits are not counted).</summary>
    public UsageLedger Ledger { get; } = new();

    /// <summary>The wrapped model (for the techniques' own requests: pickers, meta-prompts).</summary>
    public IChatClient Client => _client;

    /// <summary>The spec.</summary>
    public EvalSpec Spec => _options.Spec;

    /// <summary>True once the spending limit stopped a call.</summary>
    public bool Exhausted => _exhausted.IsCancellationRequested;

    /// <summary>The token cancelled when the budget is spent.</summary>
    public CancellationToken ExhaustedToken => _exhausted.Token;

    /// <summary>
    /// The decorator pipeline of a technique (a second model, the meta-model, gets its own with the same ledger so one
    /// budget covers both).
    /// </summary>
    internal static IChatClient Pipeline(IChatClient model, RunStore? cache, UsageLedger ledger, SpendLimit limit, ModelPrice? price, int concurrency,
        int retries, TimeSpan retryDelay, CancellationTokenSource exhausted)
    {
        // Outermost first, as ChatClientPipeline: timing → cache → budget stop → usage/cost → concurrency → retries.
        var builder = new ChatClientBuilder(model).Use(inner => new TimingChatClient(inner));
        if (cache is not null) builder.Use(inner => new ResponseCachingChatClient(inner, new RunStoreDistributedCache(cache)));
        builder.Use(inner => new BudgetLimitingChatClient(inner, ledger, limit, exhausted))
            .Use(inner => new UsageTrackingChatClient(inner, ledger, price))
            .UseConcurrencyLimit(concurrency)
            .UseRetries(retries, retryDelay);
        return builder.Build();
    }

    /// <summary>A pipeline for another model (the meta-model) sharing this evaluator's cache, ledger and budget.</summary>
    public IChatClient Wrap(IChatClient model, ModelPrice? price = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Pipeline(model, _options.Cache, Ledger, _options.Limit, price ?? _options.Spec.Price, _options.Concurrency, _options.MaxRetries, _options.RetryBaseDelay, _exhausted);
    }

    /// <summary>
    /// Evaluates <paramref name="program"/> on <paramref name="cases"/> (one sample each, at <paramref name="repeat"/>).
    /// </summary>
    /// <exception cref="BudgetExhaustedException">The spending limit was reached before every case was answered.</exception>
    public async Task<CandidateRun> EvaluateAsync(string name, ICaseProgram program, IReadOnlyList<GoldenCase> cases, int repeat = 0, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(cases);
        foreach (var c in cases) program.FirstRequest(c); // a template error fails before anything is sent
        var results = new CaseResult[cases.Count];
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _exhausted.Token);
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, cases.Count), new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = linked.Token },
                async (i, token) => results[i] = await EvalRunner.RunSampleAsync(_client, _options.Spec, cases[i], program, repeat, repeat + 1, token).ConfigureAwait(false))
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_exhausted.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new BudgetExhaustedException($"the budget ({Describe(_options.Limit)}) was spent while evaluating '{name}'.");
        }
        var price = _options.Spec.Price;
        return new CandidateRun(name, results)
        {
            CostPerCase = price is null || results.Length == 0 ? null : results.Average(r => price.Cost(r.InputTokens, r.OutputTokens)),
        };
    }

    /// <summary>The limit in words.</summary>
    public static string Describe(SpendLimit limit)
    {
        ArgumentNullException.ThrowIfNull(limit);
        var parts = new List<string>();
        if (limit.MaxCalls is { } c) parts.Add($"{c} calls");
        if (limit.MaxUsd is { } d) parts.Add($"${d:0.####}");
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }

    /// <inheritdoc />
    public void Dispose() => _exhausted.Dispose(); // the decorators own nothing but the model, which the caller owns
}
