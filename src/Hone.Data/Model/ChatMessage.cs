using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hone.Data.Model;

/// <summary>
/// One OpenAI chat message. Keys are written in OpenAI order (role, name, content, tool_calls, tool_call_id,
/// function_call, weight); absent keys stay absent; unknown keys are kept in <see cref="Extra"/>.
/// </summary>
public sealed class ChatMessage
{
    /// <summary>A message with no content yet (for serializers and object initialisers).</summary>
    public ChatMessage()
    {
    }

    /// <summary>A message with a role and plain text content.</summary>
    public ChatMessage(string role, string? content)
    {
        Role = role;
        Content = content is null ? null : new MessageContent(content);
    }

    /// <summary><c>role</c>: one of <see cref="ChatRole"/>.</summary>
    [JsonPropertyName("role")]
    public string Role { get; set; } = ChatRole.User;

    /// <summary><c>name</c>: optional participant name.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    /// <summary><c>content</c>: a string or a list of parts; may be absent on an assistant message that only calls tools.</summary>
    [JsonPropertyName("content")]
    public MessageContent? Content { get; set; }

    /// <summary><c>tool_calls</c> of an assistant message.</summary>
    [JsonPropertyName("tool_calls")]
    public List<ToolCall>? ToolCalls { get; set; }

    /// <summary><c>tool_call_id</c> of a tool message: the id of the call it answers.</summary>
    [JsonPropertyName("tool_call_id")]
    public string? ToolCallId { get; set; }

    /// <summary>Legacy <c>function_call</c> of an assistant message.</summary>
    [JsonPropertyName("function_call")]
    public FunctionCall? FunctionCall { get; set; }

    /// <summary><c>weight</c> of an assistant message: 0 (do not train on it) or 1 (train on it); absent means 1.</summary>
    [JsonPropertyName("weight")]
    public int? Weight { get; set; }

    /// <summary>Any other key, kept verbatim.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>The text of the content (string or text parts), or "" when there is none.</summary>
    public string ContentText() => Content?.AllText() ?? "";
}
