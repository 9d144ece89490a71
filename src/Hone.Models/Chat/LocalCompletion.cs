using Hone.Models.Generation;

namespace Hone.Models.Chat;

/// <summary>The outcome of one local generation, before it becomes a chat response.</summary>
/// <param name="Text">The decoded new text (stop strings and stop tokens excluded).</param>
/// <param name="PromptTokens">Tokens fed as the prompt.</param>
/// <param name="OutputTokens">New tokens generated (stop tokens excluded).</param>
/// <param name="Reason">Why generation stopped.</param>
/// <param name="PromptTokensDropped">Prompt tokens dropped to fit the context (truncate-start overflow policy), else 0.</param>
public sealed record LocalCompletion(string Text, int PromptTokens, int OutputTokens, FinishReason Reason, int PromptTokensDropped = 0)
{
    /// <summary>The OpenAI finish reason: "stop" or "length".</summary>
    public string OpenAiFinishReason => Reason is FinishReason.Length or FinishReason.ContextFull ? "length" : "stop";
}
