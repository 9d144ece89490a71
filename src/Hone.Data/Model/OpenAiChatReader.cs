using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Hone.Data.Model;

/// <summary>
/// Reads OpenAI chat JSON (a message, its <c>tool_calls</c>, a <c>tools</c> list) into Microsoft.Extensions.AI types: the
/// one reader behind data files (<see cref="OpenAiJson"/>), golden sets and the server's requests.
/// </summary>
/// <remarks>
/// A message becomes a <see cref="ChatMessage"/> with its role as written (developer and function included) and
/// <c>name</c> as <see cref="ChatMessage.AuthorName"/>. <c>content</c> becomes <see cref="TextContent"/> (a string; a
/// part with a string <c>text</c>) or, for any other part, an <see cref="AIContent"/> whose
/// <see cref="AIContent.RawRepresentation"/> is the part; <c>tool_calls</c> and the legacy <c>function_call</c> become
/// <see cref="FunctionCallContent"/> (arguments that are not a JSON object set <see cref="FunctionCallContent.Exception"/>,
/// the text is kept); a tool message becomes one <see cref="FunctionResultContent"/>. Everything only a file holds stays
/// in <see cref="ChatMessage.AdditionalProperties"/>: <c>weight</c> (an int) and any unknown key (its JSON), so a
/// message reads and writes back to the same line (<see cref="OpenAiChatWriter"/>). Absent pieces take OpenAI's
/// defaults (role user, id ""), wrong JSON types are an <see cref="OpenAiChatException"/> naming the field.
/// </remarks>
public static class OpenAiChatReader
{
    /// <summary>The key of a message's training weight (0 or 1) in <see cref="ChatMessage.AdditionalProperties"/>.</summary>
    public const string WeightKey = "weight";

    /// <summary>Reads a <c>messages</c> array; <paramref name="where"/> names it in errors ("messages", "input.messages").</summary>
    /// <exception cref="OpenAiChatException">The array or one of its messages is malformed.</exception>
    public static List<ChatMessage> ReadMessages(JsonElement messages, string where = "messages") =>
        ReadArray(messages, where, "message objects", ReadMessage);

    /// <summary>Reads one message object; <paramref name="where"/> names it in errors ("messages[2]"; "" for a bare message).</summary>
    /// <exception cref="OpenAiChatException">The message is malformed.</exception>
    public static ChatMessage ReadMessage(JsonElement m, string where = "")
    {
        if (m.ValueKind != JsonValueKind.Object) throw new OpenAiChatException(where, $"{Name(where, "message")} must be an object with 'role' and 'content'.");
        string role = OpenAiRoles.User;
        string? name = null, toolCallId = null;
        JsonElement? content = null;
        var calls = new List<AIContent>();
        FunctionCallContent? legacy = null;
        AdditionalPropertiesDictionary? extra = null;
        foreach (var p in m.EnumerateObject())
        {
            var v = p.Value;
            var key = p.Name;
            string Field() => Join(where, key); // made only for an error or a nested reader (not per key read)
            switch (key)
            {
                case "role":
                    role = v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } r ? r : throw new OpenAiChatException(Field(), $"{Field()} must be a non-empty string.");
                    break;
                case "name":
                    name = OptionalString(v, where, key);
                    break;
                case "content":
                    content = v.ValueKind switch
                    {
                        JsonValueKind.Null => null,
                        JsonValueKind.String or JsonValueKind.Array => v,
                        _ => throw new OpenAiChatException(Field(), $"{Field()} must be a string or a list of parts, not {Kind(v)}."),
                    };
                    break;
                case "tool_calls" when v.ValueKind != JsonValueKind.Null:
                    if (v.ValueKind != JsonValueKind.Array) throw new OpenAiChatException(Field(), $"{Field()} must be an array.");
                    int k = 0;
                    foreach (var c in v.EnumerateArray()) calls.Add(ReadToolCall(c, $"{Field()}[{k++}]"));
                    break;
                case "tool_call_id":
                    toolCallId = OptionalString(v, where, key);
                    break;
                case "function_call" when v.ValueKind != JsonValueKind.Null:
                    legacy = v.ValueKind == JsonValueKind.Object
                        ? Function(v, Field(), "", v)
                        : throw new OpenAiChatException(Field(), $"{Field()} must be an object {{\"name\", \"arguments\"}}.");
                    break;
                case WeightKey when v.ValueKind != JsonValueKind.Null:
                    (extra ??= [])[WeightKey] = v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int weight)
                        ? weight
                        : throw new OpenAiChatException(Field(), $"{Field()} must be an integer (0: do not train on this message, 1: train on it), not {Kind(v)}.");
                    break;
                case "tool_calls" or "function_call" or WeightKey:
                    break; // null: absent
                default:
                    (extra ??= [])[key] = v.Clone();
                    break;
            }
        }

        var contents = new List<AIContent>();
        if (role == OpenAiRoles.Tool)
        {
            contents.Add(new FunctionResultContent(toolCallId ?? "", content is { } c ? TextOf(c) : null)
            {
                RawRepresentation = content is { ValueKind: JsonValueKind.Array } parts ? Parts(parts, Join(where, "content")) : null,
            });
        }
        else
        {
            if (content is { ValueKind: JsonValueKind.String } s) contents.Add(new TextContent(s.GetString()));
            else if (content is { } parts) contents.AddRange(Parts(parts, Join(where, "content")));
            if (toolCallId is not null) (extra ??= [])["tool_call_id"] = m.GetProperty("tool_call_id").Clone();
        }

        contents.AddRange(calls);
        if (legacy is not null) contents.Add(legacy);
        return new ChatMessage(new ChatRole(role), contents) { AuthorName = name, AdditionalProperties = extra };
    }

    /// <summary>
    /// Reads a message as a model is sent it (a request, a golden set): roles system, developer (read as system), user,
    /// assistant and tool; the content as one text (none when empty); an assistant's tool calls, whose arguments must
    /// be a JSON object; a tool message as its <see cref="FunctionResultContent"/>. Keys only a file has are dropped.
    /// </summary>
    /// <exception cref="OpenAiChatException">The message is malformed, its role unknown or a call's arguments not a JSON object.</exception>
    public static ChatMessage ReadForModel(JsonElement m, string where)
    {
        var read = ReadMessage(m, where);
        var role = read.Role.Value;
        if (role == OpenAiRoles.Tool) return new ChatMessage(ChatRole.Tool, [new FunctionResultContent(read.Contents.OfType<FunctionResultContent>().Single().CallId, read.ContentText())]);
        if (role is not (OpenAiRoles.System or OpenAiRoles.Developer or OpenAiRoles.User or OpenAiRoles.Assistant))
            throw new OpenAiChatException(Join(where, "role"), $"{Join(where, "role")} '{role}' is not one of system, developer, user, assistant, tool.");
        var contents = new List<AIContent>();
        if (read.ContentText() is { Length: > 0 } text) contents.Add(new TextContent(text));
        if (role == OpenAiRoles.Assistant)
        {
            int k = 0;
            foreach (var c in read.Contents.OfType<FunctionCallContent>().Where(c => !OpenAiChatWriter.IsLegacy(c)))
            {
                if (c.Exception is not null) throw new OpenAiChatException($"{Join(where, "tool_calls")}[{k}].function.arguments", c.Exception.Message);
                contents.Add(new FunctionCallContent(c.CallId, c.Name, c.Arguments));
                k++;
            }
        }

        return new ChatMessage(role is OpenAiRoles.System or OpenAiRoles.Developer ? ChatRole.System : new ChatRole(role), contents);
    }

    /// <summary>
    /// Reads one entry of <c>tool_calls</c>: <c>{"id", "type": "function", "function": {"name", "arguments"}}</c>, kept
    /// as the call's <see cref="AIContent.RawRepresentation"/> (id and arguments as written, unknown keys).
    /// </summary>
    /// <exception cref="OpenAiChatException">The entry has no function object with a string name, or a field has the wrong type.</exception>
    public static FunctionCallContent ReadToolCall(JsonElement call, string where)
    {
        if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object
            || !f.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
        {
            throw new OpenAiChatException(where, $"{where} must be {{\"id\",\"type\":\"function\",\"function\":{{\"name\",\"arguments\"}}}}.");
        }

        var id = call.TryGetProperty("id", out var idEl) ? OptionalString(idEl, Join(where, "id")) ?? "" : "";
        if (call.TryGetProperty("type", out var type)) OptionalString(type, Join(where, "type"));
        return Function(f, Join(where, "function"), id, call);
    }

    /// <summary>A tool call as a file writes it, with <paramref name="argumentsJson"/> kept as given (even when it is not a JSON object).</summary>
    public static FunctionCallContent ToolCall(string id, string name, string argumentsJson)
    {
        var call = new JsonObject
        {
            ["id"] = id,
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = name, ["arguments"] = argumentsJson },
        };
        return ReadToolCall(JsonSerializer.SerializeToElement(call), "tool_call");
    }

    /// <summary>Reads a <c>tools</c> array (see <see cref="ReadTool"/>).</summary>
    /// <exception cref="OpenAiChatException">The array or a tool is malformed.</exception>
    public static List<AITool> ReadTools(JsonElement tools, string where = "tools") =>
        ReadArray<AITool>(tools, where, "function tools", ReadTool);

    private static List<T> ReadArray<T>(JsonElement array, string where, string what, Func<JsonElement, string, T> read)
    {
        if (array.ValueKind != JsonValueKind.Array) throw new OpenAiChatException(where, $"'{where}' must be an array of {what}.");
        var list = new List<T>();
        int i = 0;
        foreach (var e in array.EnumerateArray()) list.Add(read(e, $"{where}[{i++}]"));
        return list;
    }

    /// <summary>
    /// Reads one tool, <c>{"type": "function", "function": {"name", "description", "parameters"}}</c>, as a declaration
    /// (no parameters: an object schema without properties).
    /// </summary>
    /// <exception cref="OpenAiChatException">Not a function tool with a name, or parameters that are not a JSON Schema object.</exception>
    public static AIFunctionDeclaration ReadTool(JsonElement tool, string where)
    {
        if (tool.ValueKind != JsonValueKind.Object || (tool.TryGetProperty("type", out var type) && (type.ValueKind != JsonValueKind.String || type.GetString() != "function"))
            || !tool.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object
            || !f.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString()!.Length == 0)
        {
            throw new OpenAiChatException(where, $"{where} must be {{\"type\":\"function\",\"function\":{{\"name\",\"description\",\"parameters\"}}}}.");
        }

        var description = f.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        JsonElement schema;
        if (f.TryGetProperty("parameters", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            schema = p.ValueKind == JsonValueKind.Object
                ? p.Clone()
                : throw new OpenAiChatException(where + ".function.parameters", $"{where}.function.parameters must be a JSON Schema object.");
        }
        else
        {
            using var empty = JsonDocument.Parse("{\"type\":\"object\",\"properties\":{}}");
            schema = empty.RootElement.Clone();
        }

        return AIFunctionFactory.CreateDeclaration(name.GetString()!, description, schema);
    }

    /// <summary>A function call from <c>{"name", "arguments"}</c>; the arguments string is parsed as a JSON object when it is one.</summary>
    private static FunctionCallContent Function(JsonElement f, string where, string id, JsonElement raw)
    {
        var name = f.TryGetProperty("name", out var n) ? OptionalString(n, Join(where, "name")) ?? "" : "";
        var text = f.TryGetProperty("arguments", out var a) ? OptionalString(a, Join(where, "arguments")) ?? "" : "";
        var args = new Dictionary<string, object?>(StringComparer.Ordinal);
        Exception? error = null;
        if (Jsonl.JsonEscapes.FindLoneSurrogate(text.AsSpan()) >= 0)
        {
            error = new FormatException($"{Join(where, "arguments")} holds a \\u escape that is half of a UTF-16 surrogate pair without its other half; send whole characters.");
        }
        else if (text.Length > 0)
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) error = new FormatException($"{Join(where, "arguments")} must be a JSON object string.");
                else foreach (var p in doc.RootElement.EnumerateObject()) args[p.Name] = p.Value.Clone();
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                error = new FormatException($"{Join(where, "arguments")} is not valid JSON: {e.Message}", e);
            }
        }

        return new FunctionCallContent(id, name, error is null ? args : null) { Exception = error, RawRepresentation = raw.Clone() };
    }

    /// <summary>The parts of a list-form content: a part with a string text is text, any other part is kept as it is.</summary>
    private static List<AIContent> Parts(JsonElement parts, string where)
    {
        var list = new List<AIContent>();
        int j = 0;
        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object)
                throw new OpenAiChatException(where, $"{where}[{j}] must be an object with a \"type\", not {Kind(part)}.");
            if (part.TryGetProperty("type", out var t) && t.ValueKind != JsonValueKind.String)
                throw new OpenAiChatException(where, $"{where}[{j}].type must be a string, not {Kind(t)}.");
            var raw = part.Clone();
            list.Add(part.TryGetProperty("text", out var text) && text.ValueKind != JsonValueKind.Null
                ? new TextContent(text.ValueKind == JsonValueKind.String ? text.GetString() : throw new OpenAiChatException(where, $"{where}[{j}].text must be a string, not {Kind(text)}."))
                {
                    RawRepresentation = raw,
                }
                : new AIContent { RawRepresentation = raw });
            j++;
        }

        return list;
    }

    private static string TextOf(JsonElement content) => content.ValueKind == JsonValueKind.String
        ? content.GetString()!
        : string.Concat(content.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null));

    /// <summary><see cref="OptionalString(JsonElement, string)"/> of the key <paramref name="key"/> of <paramref name="where"/> (the field's path made only for the error).</summary>
    private static string? OptionalString(JsonElement v, string where, string key) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Null => null,
        _ => OptionalString(v, Join(where, key)),
    };

    private static string? OptionalString(JsonElement v, string field) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Null => null,
        _ => throw new OpenAiChatException(field, $"{field} must be a string, not {Kind(v)}."),
    };

    private static string Join(string where, string field) => where.Length == 0 ? field : $"{where}.{field}";

    private static string Name(string where, string fallback) => where.Length == 0 ? fallback : where;

    private static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "true or false",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        _ => "null",
    };
}
