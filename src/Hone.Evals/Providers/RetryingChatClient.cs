using System.ClientModel;
using Microsoft.Extensions.AI;
using Polly;
using Polly.Retry;

namespace Hone.Evals.Providers;

/// <summary>
/// Retry decorator (Polly): retries on HTTP 429, 5xx, network errors and timeouts with exponential backoff and
/// jitter; any other failure (400, 401, 404, a cancelled call) is thrown at once. Streaming calls are retried only
/// until their first update arrives.
/// </summary>
public sealed class RetryingChatClient : DelegatingChatClient
{
    private readonly ResiliencePipeline _pipeline;

    /// <summary>Creates the decorator.</summary>
    /// <param name="inner">The client to call.</param>
    /// <param name="maxRetries">Retries after the first attempt (0 disables).</param>
    /// <param name="baseDelay">First backoff delay (doubles each retry; jittered).</param>
    public RetryingChatClient(IChatClient inner, int maxRetries = 4, TimeSpan? baseDelay = null) : base(inner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        var builder = new ResiliencePipelineBuilder();
        if (maxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = maxRetries,
                Delay = baseDelay ?? TimeSpan.FromSeconds(1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            });
        }
        _pipeline = builder.Build();
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

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        return _pipeline.ExecuteAsync(
            async ct => await base.GetResponseAsync(list, options, ct).ConfigureAwait(false), cancellationToken).AsTask();
    }
}
