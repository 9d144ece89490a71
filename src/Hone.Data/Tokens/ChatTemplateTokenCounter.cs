using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Data.Checks;
using Hone.Data.Model;
using Hone.Tokenizers.Chat;
using Microsoft.Extensions.AI;

namespace Hone.Data.Tokens;

/// <summary>
/// Real token counts: each conversation is rendered with the model's chat template and tokenized with the model's
/// tokenizer, exactly as training will see it (tool definitions included when the template renders them).
/// </summary>
public sealed class ChatTemplateTokenCounter(ChatEncoder encoder, string modelName) : ITokenCounter
{
    /// <inheritdoc />
    public string Name => $"tokenizer and chat template of {modelName} ({encoder.TemplateSource})";

    /// <inheritdoc />
    public bool IsEstimate => false;

    /// <inheritdoc />
    public int CountText(string text) => encoder.Tokenizer.CountTokens(text ?? "", addBos: false, parseSpecial: false);

    /// <inheritdoc />
    public int CountMessages(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var nodes = messages.Select(m => JsonSerializer.SerializeToNode(m, OpenAiJson.Options)!).ToList();
        var toolNode = tools is { Count: > 0 } ? JsonSerializer.SerializeToNode(tools, OpenAiJson.Options) : null;
        return encoder.CountTokens(nodes, toolNode);
    }
}
