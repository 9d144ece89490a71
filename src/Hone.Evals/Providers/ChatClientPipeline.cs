using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

namespace Hone.Evals.Providers;

/// <summary>Which middleware wraps a provider, and how.</summary>
public sealed record ChatClientPipelineOptions
{
    /// <summary>Response cache storage (null: no caching); <see cref="RunStoreDistributedCache"/> keeps it in the run store.</summary>
    public IDistributedCache? Cache { get; init; }

    /// <summary>Retries on transient failures (0: none).</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First retry delay when the endpoint names none (Retry-After).</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests in flight at once.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>Where tokens and cost are added up (null: not tracked).</summary>
    public UsageLedger? Ledger { get; init; }

    /// <summary>The model's price (null: cost unknown).</summary>
    public ModelPrice? Price { get; init; }

    /// <summary>
    /// The ActivitySource and Meter name under which each call to the provider is traced with the OpenTelemetry GenAI
    /// conventions (Microsoft.Extensions.AI's OpenTelemetry middleware); null (the default): not traced.
    /// </summary>
    public string? OpenTelemetrySource { get; init; }

    /// <summary>Logs each call to the provider (Microsoft.Extensions.AI's logging middleware); null (the default): no logging.</summary>
    public ILoggerFactory? CallLogger { get; init; }
}

/// <summary>
/// Composes the middleware around a provider with <see cref="ChatClientBuilder"/>, outermost first: timing → response
/// cache (<see cref="ResponseCachingChatClient"/>) → usage/cost → concurrency limit → retries (<see cref="ChatRetry"/>) →
/// logging and OpenTelemetry when asked for → the provider. A cache hit therefore costs nothing and takes no concurrency
/// slot, only calls that reach the endpoint are retried and counted, and each attempt is logged and traced.
/// </summary>
public static class ChatClientPipeline
{
    /// <summary>Wraps <paramref name="provider"/> as <paramref name="options"/> says.</summary>
    public static IChatClient Build(IChatClient provider, ChatClientPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ChatClientBuilder(provider).Use(inner => new TimingChatClient(inner));
        if (options.Cache is { } cache) builder.Use(inner => new ResponseCachingChatClient(inner, cache));
        if (options.Ledger is { } ledger) builder.Use(inner => new UsageTrackingChatClient(inner, ledger, options.Price));
        builder.UseConcurrencyLimit(options.MaxConcurrency).UseRetries(options.MaxRetries, options.RetryBaseDelay);
        if (options.CallLogger is { } logger) builder.UseLogging(logger);
        if (options.OpenTelemetrySource is { } source) builder.UseOpenTelemetry(sourceName: source);
        return builder.Build();
    }
}
