using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Providers;

/// <summary>
/// Rate-limit middleware over a System.Threading.RateLimiting <see cref="RateLimiter"/>: each call waits for its permits
/// (in arrival order) and holds the lease until it ends (a streaming call until its last update). The limiter is owned
/// and disposed with the client. <see cref="ChatRateLimits"/> makes the two Hone uses: requests in flight and tokens per
/// minute.
/// </summary>
/// <param name="inner">The client to call.</param>
/// <param name="limiter">The limiter (owned).</param>
/// <param name="permits">Permits a request takes (default 1).</param>
public sealed class RateLimitingChatClient(IChatClient inner, RateLimiter limiter, Func<IEnumerable<ChatMessage>, ChatOptions?, int>? permits = null)
    : DelegatingChatClient(inner)
{
    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? [.. messages];
        using var lease = await AcquireAsync(list, options, cancellationToken).ConfigureAwait(false);
        return await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? [.. messages];
        using var lease = await AcquireAsync(list, options, cancellationToken).ConfigureAwait(false);
        await foreach (var u in base.GetStreamingResponseAsync(list, options, cancellationToken).ConfigureAwait(false))
            yield return u;
    }

    private async Task<RateLimitLease> AcquireAsync(IList<ChatMessage> messages, ChatOptions? options, CancellationToken ct)
    {
        var lease = await limiter.AcquireAsync(permits?.Invoke(messages, options) ?? 1, ct).ConfigureAwait(false);
        if (lease.IsAcquired) return lease;
        lease.Dispose();
        throw new InvalidOperationException("The rate limiter refused the request (its queue is full or it was disposed).");
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) limiter.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>The rate limits Hone applies to model calls, as <see cref="ChatClientBuilder"/> middleware.</summary>
public static class ChatRateLimits
{
    /// <summary>At most <paramref name="maxConcurrency"/> requests in flight; the rest wait their turn.</summary>
    public static ChatClientBuilder UseConcurrencyLimit(this ChatClientBuilder builder, int maxConcurrency)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        return builder.Use(inner => new RateLimitingChatClient(inner, new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = maxConcurrency,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        })));
    }

    /// <summary>
    /// At most <paramref name="tokensPerMinute"/> tokens a minute, counted as endpoints count them before answering: the
    /// prompt's estimated tokens (<see cref="EstimateTokens"/>) plus the requested maximum output. The budget refills
    /// evenly each second; a request larger than the whole budget waits for a full one.
    /// </summary>
    public static ChatClientBuilder UseTokensPerMinute(this ChatClientBuilder builder, int tokensPerMinute)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerMinute, 1);
        return builder.Use(inner => new RateLimitingChatClient(inner, new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = tokensPerMinute,
            TokensPerPeriod = Math.Max(1, tokensPerMinute / 60),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        }), (messages, options) => Math.Min(tokensPerMinute, EstimateTokens(messages, options))));
    }

    /// <summary>
    /// A request's tokens as a rate limit counts them: about one token per four characters of message text (at least one per
    /// message), plus <see cref="ChatOptions.MaxOutputTokens"/>.
    /// </summary>
    public static int EstimateTokens(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        long tokens = options?.MaxOutputTokens ?? 0;
        foreach (var m in messages) tokens += 1 + (m.Text.Length + 3) / 4;
        return (int)Math.Min(int.MaxValue, tokens);
    }
}
