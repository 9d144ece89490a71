using Microsoft.Extensions.AI;

namespace Hone.Evals.Providers;

/// <summary>Which decorators wrap a provider, and how.</summary>
public sealed record ChatClientPipelineOptions
{
    /// <summary>Response cache (null: no caching).</summary>
    public IResponseCache? Cache { get; init; }

    /// <summary>Retries on transient failures (0: none).</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First retry delay.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests in flight at once.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>Where tokens and cost are added up (null: not tracked).</summary>
    public UsageLedger? Ledger { get; init; }

    /// <summary>The model's price (null: cost unknown).</summary>
    public ModelPrice? Price { get; init; }
}

/// <summary>
/// Composes the decorators around a provider, outermost first: timing → cache → usage/cost → concurrency limit →
/// retries → the provider. A cache hit therefore costs nothing and takes no concurrency slot, and only calls that
/// reach the endpoint are retried and counted.
/// </summary>
public static class ChatClientPipeline
{
    /// <summary>Wraps <paramref name="provider"/> as <paramref name="options"/> says.</summary>
    public static IChatClient Build(IChatClient provider, ChatClientPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(options);
        IChatClient c = provider;
        if (options.MaxRetries > 0) c = new RetryingChatClient(c, options.MaxRetries, options.RetryBaseDelay);
        c = new ConcurrencyLimitingChatClient(c, options.MaxConcurrency);
        if (options.Ledger is not null) c = new UsageTrackingChatClient(c, options.Ledger, options.Price);
        if (options.Cache is not null) c = new CachingChatClient(c, options.Cache);
        return new TimingChatClient(c);
    }
}
