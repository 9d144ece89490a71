using System.Text.Json;
using Hone.Evals.Providers;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Execution;

/// <summary>
/// Adds up what the calls of one step cost: tokens, dollars, latency, and whether every call was a cache hit. It sits
/// outside the decorator pipeline (which writes each call's cost, latency and cache mark) and inside function
/// invocation, so every tool round is counted.
/// </summary>
internal sealed class StepMeter(IChatClient inner) : DelegatingChatClient(inner)
{
    private readonly Lock _gate = new();

    public int Calls { get; private set; }

    public long InputTokens { get; private set; }

    public long OutputTokens { get; private set; }

    public decimal? CostUsd { get; private set; }

    public double LatencyMs { get; private set; }

    public bool AllCacheHits { get; private set; } = true;

    public string? FinishReason { get; private set; }

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var r = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var props = r.AdditionalProperties;
        lock (_gate)
        {
            Calls++;
            InputTokens += r.Usage?.InputTokenCount ?? 0;
            OutputTokens += r.Usage?.OutputTokenCount ?? 0;
            bool hit = props?.TryGetValue(ResponseCachingChatClient.CacheHitKey, out var h) == true && h is true;
            AllCacheHits &= hit;
            if (props?.TryGetValue(UsageTrackingChatClient.CostKey, out var c) == true) CostUsd = (CostUsd ?? 0) + (hit ? 0 : (decimal)Number(c));
            if (props?.TryGetValue(TimingChatClient.LatencyKey, out var l) == true) LatencyMs += Number(l);
            FinishReason = r.FinishReason?.Value;
        }
        return r;
    }

    internal static double Number(object? v) => v switch
    {
        double d => d,
        decimal m => (double)m,
        float f => f,
        long l => l,
        int i => i,
        JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
        _ => 0,
    };
}
