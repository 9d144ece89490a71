using Hone.Evals.Providers;
using Hone.Evals.Specs;
using Hone.Prompting.Execution;
using Hone.Store;

namespace Hone.Prompting.Evaluation;

/// <summary>What a technique is expected to spend, shown before it runs.</summary>
/// <param name="Calls">Model calls (an upper bound for cached requests, which are free).</param>
/// <param name="InputTokens">Prompt tokens (characters / 4).</param>
/// <param name="OutputTokens">Completion tokens (each step's max_tokens, else 128).</param>
/// <param name="Usd">Dollars at the spec's price, or null without one.</param>
/// <param name="Seconds">Wall time at <see cref="SpendEstimator.SecondsPerCall"/> per call over the concurrency.</param>
public sealed record SpendEstimate(long Calls, long InputTokens, long OutputTokens, decimal? Usd, double Seconds)
{
    /// <summary>The sum of two estimates.</summary>
    public SpendEstimate Plus(SpendEstimate o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new(Calls + o.Calls, InputTokens + o.InputTokens, OutputTokens + o.OutputTokens, Usd is null && o.Usd is null ? null : (Usd ?? 0) + (o.Usd ?? 0), Seconds + o.Seconds);
    }

    /// <summary>This estimate <paramref name="k"/> times.</summary>
    public SpendEstimate Times(int k) => new(Calls * k, InputTokens * k, OutputTokens * k, Usd * k, Seconds * k);
}

/// <summary>What a technique spent: paid calls, tokens and dollars (cache hits free), and the time it took.</summary>
/// <param name="Calls">Calls that reached a model.</param>
/// <param name="InputTokens">Prompt tokens of those calls.</param>
/// <param name="OutputTokens">Completion tokens.</param>
/// <param name="Usd">Dollars, when a price is known.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record SpendActual(long Calls, long InputTokens, long OutputTokens, decimal? Usd, double Seconds)
{
    /// <summary>From a ledger.</summary>
    public static SpendActual Of(UsageLedger ledger, bool priced, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return new(ledger.Calls, ledger.InputTokens, ledger.OutputTokens, priced ? ledger.Cost : null, elapsed.TotalSeconds);
    }
}

/// <summary>Estimates calls, tokens, dollars and time from the prompts as rendered for the cases.</summary>
public static class SpendEstimator
{
    /// <summary>Assumed seconds per model call.</summary>
    public const double SecondsPerCall = 1.0;

    /// <summary>Assumed completion tokens of a step without max_tokens.</summary>
    public const int DefaultOutputTokens = 128;

    /// <summary>The spend of running <paramref name="program"/> on <paramref name="cases"/>, <paramref name="samples"/> times each.</summary>
    public static SpendEstimate Of(PromptProgram program, IReadOnlyList<GoldenCase> cases, ModelPrice? price, int concurrency, int samples = 1)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(cases);
        long input = 0, output = 0, calls = 0;
        var steps = program.File.IsChain ? program.File.Steps.Select(s => s.Prompt).ToList() : [program.File];
        foreach (var c in cases)
        {
            long first = program.FirstRequest(c).Sum(m => (long)(m.Text?.Length ?? 0)) / 4 + 4;
            long carried = 0;
            foreach (var p in steps)
            {
                int rounds = p.Tools.Any(t => t is not Files.DeclaredTool) ? 2 : 1;
                long outTokens = p.Sampling.MaxTokens ?? DefaultOutputTokens;
                calls += rounds;
                input += rounds * (first + carried);
                output += rounds * outTokens;
                carried += outTokens;
            }
        }
        return Build(calls * samples, input * samples, output * samples, price, concurrency);
    }

    /// <summary>An estimate from raw counts.</summary>
    public static SpendEstimate Build(long calls, long input, long output, ModelPrice? price, int concurrency) =>
        new(calls, input, output, price?.Cost(input, output), calls * SecondsPerCall / Math.Max(1, concurrency));
}

/// <summary>
/// The <c>--yes</c> rule: a technique whose estimate is above the workspace's <c>prompting:</c> budget (default
/// <see cref="PromptingConfig.DefaultBudgetCalls"/> calls, <see cref="PromptingConfig.DefaultBudgetUsd"/> dollars) does
/// not run without <c>--yes</c>.
/// </summary>
public static class BudgetGate
{
    /// <summary>Why <paramref name="estimate"/> needs confirmation, or null when it is within the budget.</summary>
    public static string? NeedsConfirmation(SpendEstimate estimate, PromptingConfig? config)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        var calls = config?.BudgetCalls ?? PromptingConfig.DefaultBudgetCalls;
        var usd = config?.BudgetUsd ?? PromptingConfig.DefaultBudgetUsd;
        if (estimate.Calls > calls) return $"about {estimate.Calls} model calls, above the prompting budget of {calls} (prompting.budget_calls in hone.yaml)";
        if (estimate.Usd > usd) return $"about ${estimate.Usd:0.####}, above the prompting budget of ${usd:0.####} (prompting.budget_usd in hone.yaml)";
        return null;
    }
}
