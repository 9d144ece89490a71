using Microsoft.Extensions.AI;

namespace Hone.Evals.Providers;

/// <summary>Prices of one model in dollars per million tokens.</summary>
public sealed record ModelPrice(decimal InputPer1M, decimal OutputPer1M)
{
    /// <summary>Cost in dollars of a call with these token counts.</summary>
    public decimal Cost(long inputTokens, long outputTokens) =>
        (InputPer1M * inputTokens + OutputPer1M * outputTokens) / 1_000_000m;
}

/// <summary>Running totals of calls, tokens, cost and latency; thread-safe.</summary>
public sealed class UsageLedger
{
    private readonly Lock _gate = new();

    /// <summary>Calls that reached the model (cache hits are not counted here).</summary>
    public long Calls { get; private set; }

    /// <summary>Prompt tokens reported by the endpoint.</summary>
    public long InputTokens { get; private set; }

    /// <summary>Completion tokens reported by the endpoint.</summary>
    public long OutputTokens { get; private set; }

    /// <summary>Dollars, from the price given to the decorator (0 when no price is known).</summary>
    public decimal Cost { get; private set; }

    /// <summary>Calls whose response carried no usage (their cost is unknown, not zero).</summary>
    public long CallsWithoutUsage { get; private set; }

    internal void Add(long input, long output, decimal cost, bool hadUsage)
    {
        lock (_gate)
        {
            Calls++;
            InputTokens += input;
            OutputTokens += output;
            Cost += cost;
            if (!hadUsage) CallsWithoutUsage++;
        }
    }
}

/// <summary>
/// Token and cost accounting decorator: adds each response's usage to a <see cref="UsageLedger"/> and writes the
/// call's cost into <c>AdditionalProperties["hone.cost_usd"]</c>. Place it inside the cache decorator so cache hits
/// cost nothing.
/// </summary>
public sealed class UsageTrackingChatClient(IChatClient inner, UsageLedger ledger, ModelPrice? price) : DelegatingChatClient(inner)
{
    /// <summary>The additional-property key holding a call's cost in dollars.</summary>
    public const string CostKey = "hone.cost_usd";

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var input = response.Usage?.InputTokenCount ?? 0;
        var output = response.Usage?.OutputTokenCount ?? 0;
        var cost = price?.Cost(input, output) ?? 0m;
        ledger.Add(input, output, cost, response.Usage is not null);
        if (price is not null) (response.AdditionalProperties ??= [])[CostKey] = cost;
        return response;
    }
}
