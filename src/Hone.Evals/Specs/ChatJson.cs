using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Specs;

/// <summary>Reads OpenAI-shaped chat messages and tools into Microsoft.Extensions.AI types.</summary>
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
            if (m.ValueKind != JsonValueKind.Object) throw new FormatException($"messages[{i}] must be an object with 'role' and 'content'.");
            var role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : throw new FormatException($"messages[{i}] has no 'role'.");
            var content = m.TryGetProperty("content", out var c) ? c.ValueKind switch
            {
                JsonValueKind.String => c.GetString()!,
                JsonValueKind.Null => "",
                JsonValueKind.Array => string.Concat(c.EnumerateArray().Where(p => p.TryGetProperty("text", out _)).Select(p => p.GetProperty("text").GetString())),
                _ => throw new FormatException($"messages[{i}].content must be a string."),
            } : "";
            list.Add(role switch
            {
                "system" or "developer" => new ChatMessage(ChatRole.System, content),
                "user" => new ChatMessage(ChatRole.User, content),
                "assistant" => Assistant(m, content, i),
                "tool" => new ChatMessage(ChatRole.Tool, [new FunctionResultContent(
                    m.TryGetProperty("tool_call_id", out var tid) && tid.ValueKind == JsonValueKind.String ? tid.GetString()! : "", content)]),
                _ => throw new FormatException($"messages[{i}].role '{role}' is not one of system, developer, user, assistant, tool."),
            });
            i++;
        }
        if (dropTrailingAssistant && list.Count > 0 && list[^1].Role == ChatRole.Assistant) list.RemoveAt(list.Count - 1);
        if (list.Count == 0) throw new FormatException("'messages' holds no input message (only a reference answer, or nothing).");
        return list;
    }

    /// <summary>Parses an OpenAI <c>tools</c> array of <c>{"type":"function","function":{name, description, parameters}}</c>.</summary>
    /// <exception cref="FormatException">A tool is malformed.</exception>
    public static IReadOnlyList<AITool> ParseTools(JsonElement tools)
    {
        if (tools.ValueKind != JsonValueKind.Array) throw new FormatException("'tools' must be an array of function tools.");
        var list = new List<AITool>();
        int i = 0;
        foreach (var t in tools.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Object || !t.TryGetProperty("function", out var fn) || fn.ValueKind != JsonValueKind.Object)
                throw new FormatException($"tools[{i}] must be {{\"type\": \"function\", \"function\": {{\"name\": ..., \"parameters\": ...}}}}.");
            var name = fn.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : throw new FormatException($"tools[{i}].function has no 'name'.");
            var description = fn.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            var schema = fn.TryGetProperty("parameters", out var p) ? p : JsonSerializer.SerializeToElement(new { type = "object", properties = new { } });
            list.Add(AIFunctionFactory.CreateDeclaration(name, description, schema));
            i++;
        }
        return list;
    }

    private static ChatMessage Assistant(JsonElement m, string content, int i)
    {
        var contents = new List<AIContent>();
        if (content.Length > 0) contents.Add(new TextContent(content));
        if (m.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                if (!call.TryGetProperty("function", out var fn)) throw new FormatException($"messages[{i}].tool_calls entries need a 'function'.");
                var args = fn.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "{}";
                Dictionary<string, object?>? dict;
                try { dict = JsonSerializer.Deserialize<Dictionary<string, object?>>(args, AIJsonUtilities.DefaultOptions); }
                catch (JsonException) { throw new FormatException($"messages[{i}].tool_calls: arguments are not a JSON object."); }
                contents.Add(new FunctionCallContent(call.TryGetProperty("id", out var id) ? id.GetString() ?? "" : "",
                    fn.TryGetProperty("name", out var nm) ? nm.GetString() ?? "" : "", dict));
            }
        }
        if (contents.Count == 0) contents.Add(new TextContent(""));
        return new ChatMessage(ChatRole.Assistant, contents);
    }
}
