using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Providers;

/// <summary>Latency decorator: writes the wall time of each call into <c>AdditionalProperties["hone.latency_ms"]</c>.</summary>
public sealed class TimingChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    /// <summary>The additional-property key holding a call's latency in milliseconds.</summary>
    public const string LatencyKey = "hone.latency_ms";

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var start = Stopwatch.GetTimestamp();
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        (response.AdditionalProperties ??= [])[LatencyKey] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return response;
    }
}
