using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Providers;

/// <summary>
/// What Evals knows about prompts longer than a model's context, without reaching into the engine: how to ask a
/// local model (Hone.Models' <c>LocalChatClient</c>) to drop the oldest prompt tokens, how it reports that it did, and
/// how an over-long prompt is recognised among call failures. The keys are the ones <c>LocalChatClient</c> reads and
/// writes (a test holds the two sides equal).
/// </summary>
public static class ContextOverflow
{
    /// <summary>ChatOptions.AdditionalProperties key of the overflow policy a local model applies.</summary>
    public const string PolicyKey = "hone.context_overflow";

    /// <summary>The <see cref="PolicyKey"/> value asking to drop the oldest prompt tokens (a leading BOS kept).</summary>
    public const string TruncateStart = "truncate_start";

    /// <summary>Response AdditionalProperties key: how many prompt tokens the model dropped.</summary>
    public const string PromptTokensDroppedKey = "hone.prompt_tokens_dropped";

    /// <summary>
    /// True when <paramref name="e"/> (or an exception inside it) says the prompt does not fit the context: a local
    /// model's <c>ContextOverflowException</c>, or an OpenAI-compatible endpoint's 400 with the code
    /// <c>context_length_exceeded</c> (which <c>hone serve</c>, OpenAI and vLLM send) or a "maximum context length" message.
    /// </summary>
    public static bool IsOverflow(Exception? e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x.GetType().Name == "ContextOverflowException") return true;
            if (x is ClientResultException { Status: 400 } c &&
                (c.Message.Contains("context_length_exceeded", StringComparison.Ordinal) || c.Message.Contains("maximum context length", StringComparison.OrdinalIgnoreCase)))
                return true;
        }
        return false;
    }

    /// <summary>Prompt tokens a response says were dropped (0 when none or not said).</summary>
    public static long PromptTokensDropped(ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.AdditionalProperties?.TryGetValue(PromptTokensDroppedKey, out var v) != true) return 0;
        return v switch
        {
            long l => l,
            int i => i,
            JsonElement { ValueKind: JsonValueKind.Number } j when j.TryGetInt64(out var n) => n,
            _ => 0,
        };
    }
}
