using System.Text.Json;
using Hone.Data.Model;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Specs;

/// <summary>
/// Reads a golden set's OpenAI-shaped messages and tools through the shared reader
/// (<see cref="OpenAiChatReader.ReadForModel"/>): what a provider is sent, an empty message as one empty text.
/// </summary>
public static class ChatJson
{
    /// <summary>
    /// Parses a <c>messages</c> array: roles system, developer (as system), user, assistant (text and/or
    /// <c>tool_calls</c>) and tool (<c>tool_call_id</c>, <c>content</c>).
    /// </summary>
    /// <param name="messages">The array.</param>
    /// <param name="dropTrailingAssistant">Drop a final assistant message (a golden set's reference answer).</param>
    /// <exception cref="FormatException">A message is malformed; the message says which one and why.</exception>
    public static IReadOnlyList<ChatMessage> ParseMessages(JsonElement messages, bool dropTrailingAssistant)
    {
        if (messages.ValueKind != JsonValueKind.Array) throw new FormatException("'messages' must be an array of {role, content} objects.");
        var list = new List<ChatMessage>();
        int i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.Object && !(m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String))
                throw new FormatException($"messages[{i}] has no 'role'.");
            var message = OpenAiChatReader.ReadForModel(m, $"messages[{i}]");
            if (message.Contents.Count == 0) message.Contents.Add(new TextContent(""));
            list.Add(message);
            i++;
        }
        if (dropTrailingAssistant && list.Count > 0 && list[^1].Role == ChatRole.Assistant) list.RemoveAt(list.Count - 1);
        if (list.Count == 0) throw new FormatException("'messages' holds no input message (only a reference answer, or nothing).");
        return list;
    }

    /// <summary>Parses an OpenAI <c>tools</c> array of <c>{"type":"function","function":{name, description, parameters}}</c>.</summary>
    /// <exception cref="FormatException">A tool is malformed.</exception>
    public static IReadOnlyList<AITool> ParseTools(JsonElement tools) => OpenAiChatReader.ReadTools(tools);
}
