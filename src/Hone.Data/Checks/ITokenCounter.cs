using System.Text.Json;
using Hone.Data.Model;
using Microsoft.Extensions.AI;

namespace Hone.Data.Checks;

/// <summary>
/// Counts the tokens of an example. The real implementation renders the model's chat template and tokenizes it;
/// <see cref="EstimatingTokenCounter"/> estimates when no model is given. Implementations must be safe to call from
/// several threads at once (<see cref="DataChecker"/> counts a batch of examples in parallel).
/// </summary>
public interface ITokenCounter
{
    /// <summary>What counts the tokens, for the report (e.g. "estimate: ~4 chars/token + 3 tokens/message").</summary>
    string Name { get; }

    /// <summary>True when the counts are estimates rather than a real tokenizer's.</summary>
    bool IsEstimate { get; }

    /// <summary>Tokens of a plain text (prompt/completion data).</summary>
    int CountText(string text);

    /// <summary>Tokens of a conversation as the model sees it for training, including the tool definitions.</summary>
    int CountMessages(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools);
}

/// <summary>
/// A counter that also counts a conversation given as OpenAI chat JSON, as parsed from the file: the count (or the error)
/// must be the one <see cref="ITokenCounter.CountMessages"/> gives for the messages and tools typed from that JSON, for
/// JSON that reads and writes back to itself (<see cref="OpenAiChatWriter"/>; the data check passes only such). Saves typing
/// the messages and writing them back.
/// </summary>
public interface IJsonTokenCounter : ITokenCounter
{
    /// <summary>Tokens of <paramref name="messages"/> (a list of message objects) with <paramref name="tools"/> (a list, or null).</summary>
    int CountMessages(JsonElement messages, JsonElement? tools);
}

/// <summary>
/// An ESTIMATE of token counts, no tokenizer needed: ⌈characters / 4⌉ per text (about 4 characters per token for
/// English with OpenAI's tokenizers; far off for code, CJK and other scripts), plus the overheads of the cookbook's
/// num_tokens_from_messages: 3 tokens per message, 1 per name, 3 to prime the reply; a tool call costs 3 plus its name
/// and arguments; tool definitions cost their JSON text.
/// </summary>
public sealed class EstimatingTokenCounter : ITokenCounter
{
    /// <summary>Characters per token assumed.</summary>
    public const int CharsPerToken = 4;

    /// <summary>Tokens added per message.</summary>
    public const int TokensPerMessage = 3;

    /// <summary>Tokens added for a message's name.</summary>
    public const int TokensPerName = 1;

    /// <summary>Tokens priming the assistant reply.</summary>
    public const int ReplyPriming = 3;

    /// <inheritdoc/>
    public string Name => "estimate: ~4 chars/token + 3 tokens/message (no tokenizer; pass --model for real counts)";

    /// <inheritdoc/>
    public bool IsEstimate => true;

    /// <inheritdoc/>
    public int CountText(string text) => text is null ? 0 : (text.Length + CharsPerToken - 1) / CharsPerToken;

    /// <inheritdoc/>
    public int CountMessages(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools)
    {
        ArgumentNullException.ThrowIfNull(messages);
        long n = ReplyPriming;
        foreach (var m in messages)
        {
            n += TokensPerMessage + CountText(m.Role.Value) + CountText(m.ContentText());
            if (m.AuthorName is not null) n += TokensPerName + CountText(m.AuthorName);
            foreach (var c in m.Contents.OfType<FunctionCallContent>()) n += TokensPerMessage + CountText(c.Name) + CountText(OpenAiChatWriter.ArgumentsText(c));
        }
        if (tools is { Count: > 0 }) n += CountText(JsonSerializer.Serialize(tools, OpenAiJson.Options));
        return (int)Math.Min(n, int.MaxValue);
    }
}
