using System.ClientModel;
using System.Globalization;
using Microsoft.Extensions.AI;
using Polly;
using Polly.Retry;

namespace Hone.Evals.Providers;

/// <summary>
/// Retries as middleware (Polly): HTTP 408, 429, 5xx, network errors and timeouts are retried with exponential backoff
/// and jitter, or after the delay the endpoint asks for in <c>Retry-After</c> (seconds or an HTTP date) or
/// <c>retry-after-ms</c>; any other failure (400, 401, 404, a cancelled call) is thrown at once. Streaming calls pass
/// through without retries.
/// </summary>
public static class ChatRetry
{
    /// <summary>The longest <c>Retry-After</c> honoured; a longer one waits this long before the next try.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(60);

    /// <summary>Adds retries to <paramref name="builder"/> (nothing when <paramref name="maxRetries"/> is 0).</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="maxRetries">Retries after the first attempt.</param>
    /// <param name="baseDelay">First backoff delay (doubles each retry; jittered) when the endpoint names none.</param>
    /// <param name="timeProvider">The clock the delays run on (default: the system's).</param>
    public static ChatClientBuilder UseRetries(this ChatClientBuilder builder, int maxRetries, TimeSpan baseDelay, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        if (maxRetries == 0) return builder;
        var pipeline = Pipeline(maxRetries, baseDelay, timeProvider);
        return builder.Use(
            getResponseFunc: async (messages, options, inner, ct) =>
            {
                var list = messages as IList<ChatMessage> ?? [.. messages];
                return await pipeline.ExecuteAsync(async t => await inner.GetResponseAsync(list, options, t).ConfigureAwait(false), ct).ConfigureAwait(false);
            },
            getStreamingResponseFunc: (messages, options, inner, ct) => inner.GetStreamingResponseAsync(messages, options, ct));
    }

    /// <summary>The Polly pipeline behind <see cref="UseRetries"/>.</summary>
    public static ResiliencePipeline Pipeline(int maxRetries, TimeSpan baseDelay, TimeProvider? timeProvider = null)
    {
        var builder = new ResiliencePipelineBuilder();
        if (timeProvider is not null) builder.TimeProvider = timeProvider;
        return builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = maxRetries,
            Delay = baseDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Exception, timeProvider ?? TimeProvider.System)),
        }).Build();
    }

    /// <summary>True for failures worth retrying: 408, 429, 5xx, network errors and timeouts.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        ClientResultException c => c.Status is 408 or 429 or >= 500 || c.Status == 0,
        HttpRequestException => true,
        TimeoutException => true,
        TaskCanceledException t => t.InnerException is TimeoutException,
        _ => false,
    };

    /// <summary>
    /// The delay an endpoint's failed response asks for: <c>retry-after-ms</c>, else <c>Retry-After</c> in seconds or as an
    /// HTTP date; at most <see cref="MaxRetryAfter"/>; null when it names none.
    /// </summary>
    public static TimeSpan? RetryAfter(Exception? e, TimeProvider? timeProvider = null)
    {
        if (e is not ClientResultException c || c.GetRawResponse() is not { } response) return null;
        var headers = response.Headers;
        TimeSpan? delay = null;
        if (headers.TryGetValue("retry-after-ms", out var ms) && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && millis >= 0)
            delay = TimeSpan.FromMilliseconds(millis);
        else if (headers.TryGetValue("Retry-After", out var after) && after is not null)
        {
            if (int.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) delay = TimeSpan.FromSeconds(seconds);
            else if (DateTimeOffset.TryParseExact(after, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
                delay = when - (timeProvider ?? TimeProvider.System).GetUtcNow();
        }
        if (delay is not { } d) return null;
        return d < TimeSpan.Zero ? TimeSpan.Zero : d > MaxRetryAfter ? MaxRetryAfter : d;
    }
}
