using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace Hone.Data.Model;

/// <summary>
/// Writes Microsoft.Extensions.AI messages as OpenAI chat JSON, the inverse of <see cref="OpenAiChatReader"/>: keys in
/// OpenAI's order (role, name, content, tool_calls, tool_call_id, function_call, weight, then any other key the message
/// was read with), absent keys left out, content as a string unless it was read as (or holds) a list of parts, tool
/// calls and parts with their keys as read and arguments exactly as written while they still say the same.
/// </summary>
public static class OpenAiChatWriter
{
    /// <summary>Writes <paramref name="m"/>; <paramref name="options"/> serialise additional properties that are not JSON.</summary>
    public static void WriteMessage(Utf8JsonWriter w, ChatMessage m, JsonSerializerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(m);
        w.WriteStartObject();
        w.WriteString("role", m.Role.Value);
        if (m.AuthorName is not null) w.WriteString("name", m.AuthorName);
        // One pass over the contents (loops, not LINQ: the data check writes every example it counts).
        FunctionResultContent? result = null;
        FunctionCallContent? legacy = null;
        List<AIContent>? parts = null;
        var toolCalls = false;
        var contents = m.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            switch (contents[i])
            {
                case FunctionResultContent r: result ??= r; break;
                case FunctionCallContent c when IsLegacy(c): legacy ??= c; break;
                case FunctionCallContent: toolCalls = true; break;
                case var c: (parts ??= []).Add(c); break;
            }
        }
        if (parts is not null) WriteContent(w, parts);
        else if (result is not null) WriteResult(w, result);
        if (toolCalls)
        {
            w.WriteStartArray("tool_calls");
            for (var i = 0; i < contents.Count; i++)
                if (contents[i] is FunctionCallContent c && !IsLegacy(c)) WriteToolCall(w, c);
            w.WriteEndArray();
        }

        if (result is { CallId.Length: > 0 }) w.WriteString("tool_call_id", result.CallId);
        if (legacy is not null)
        {
            w.WritePropertyName("function_call");
            WriteFunction(w, legacy, legacy.RawRepresentation as JsonElement?);
        }

        if (m.AdditionalProperties is { } extra)
        {
            if (extra.TryGetValue(OpenAiChatReader.WeightKey, out var weight)) WriteValue(w, OpenAiChatReader.WeightKey, weight, options);
            foreach (var (k, v) in extra)
                if (k != OpenAiChatReader.WeightKey) WriteValue(w, k, v, options);
        }

        w.WriteEndObject();
    }

    /// <summary>Writes one entry of <c>tool_calls</c> (with <c>"index"</c> first when given, as streamed deltas have).</summary>
    public static void WriteToolCall(Utf8JsonWriter w, FunctionCallContent call, int? index = null)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(call);
        var raw = call.RawRepresentation as JsonElement?;
        w.WriteStartObject();
        if (index is { } i) w.WriteNumber("index", i);
        w.WriteString("id", call.CallId);
        w.WriteString("type", raw?.TryGetProperty("type", out var t) == true && t.ValueKind == JsonValueKind.String ? t.GetString() : "function");
        w.WritePropertyName("function");
        WriteFunction(w, call, raw?.TryGetProperty("function", out var f) == true ? f : null);
        if (raw is { } r) WriteOthers(w, r, "id", "type", "function");
        w.WriteEndObject();
    }

    /// <summary>One entry of <c>tool_calls</c> as a JSON object (see <see cref="WriteToolCall"/>).</summary>
    public static JsonObject ToolCallNode(FunctionCallContent call, int? index = null)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) WriteToolCall(w, call, index);
        return JsonNode.Parse(buffer.ToArray())!.AsObject();
    }

    /// <summary>The message as a JSON object (what a chat template renders).</summary>
    public static JsonObject ToJson(ChatMessage m) => JsonSerializer.SerializeToNode(m, OpenAiJson.Options)!.AsObject();

    /// <summary>The messages as a JSON array.</summary>
    public static JsonArray ToJson(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return new JsonArray([.. messages.Select(m => (JsonNode)ToJson(m))]);
    }

    /// <summary>
    /// A call's <c>arguments</c> string: as it was read while the parsed arguments still say the same (or could not be
    /// parsed), otherwise the arguments serialised as a JSON object.
    /// </summary>
    public static string ArgumentsText(FunctionCallContent call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (RawArguments(call) is { } raw && (call.Exception is not null || Same(raw, call.Arguments))) return raw;
        var obj = new JsonObject();
        foreach (var (k, v) in call.Arguments ?? new Dictionary<string, object?>())
            obj[k] = v is null ? null : JsonSerializer.SerializeToNode(v, AIJsonUtilities.DefaultOptions.GetTypeInfo(v.GetType()));
        return obj.ToJsonString();
    }

    /// <summary>True for a call read from a legacy <c>function_call</c> (written back as one), false for a tool call.</summary>
    public static bool IsLegacy(FunctionCallContent c) =>
        c?.RawRepresentation is JsonElement { ValueKind: JsonValueKind.Object } e && !e.TryGetProperty("function", out _);

    private static void WriteFunction(Utf8JsonWriter w, FunctionCallContent call, JsonElement? rawFunction)
    {
        w.WriteStartObject();
        w.WriteString("name", call.Name);
        w.WriteString("arguments", ArgumentsText(call));
        if (rawFunction is { ValueKind: JsonValueKind.Object } f) WriteOthers(w, f, "name", "arguments");
        w.WriteEndObject();
    }

    private static void WriteContent(Utf8JsonWriter w, List<AIContent> parts)
    {
        if (parts.TrueForAll(p => p is TextContent && p.RawRepresentation is not JsonElement))
        {
            w.WriteString("content", parts.Count == 1 ? ((TextContent)parts[0]).Text : string.Concat(parts.Select(p => ((TextContent)p).Text)));
            return;
        }

        w.WriteStartArray("content");
        foreach (var p in parts) WritePart(w, p);
        w.WriteEndArray();
    }

    /// <summary>One part: <c>type</c> (text when absent), <c>text</c>, then its other keys as read.</summary>
    private static void WritePart(Utf8JsonWriter w, AIContent p)
    {
        var raw = p.RawRepresentation as JsonElement?;
        string? text = p is TextContent t ? t.Text : raw?.TryGetProperty("text", out var rt) == true && rt.ValueKind == JsonValueKind.String ? rt.GetString() : null;
        if (raw is null && p is UriContent or DataContent)
        {
            w.WriteStartObject();
            w.WriteString("type", "image_url");
            w.WriteStartObject("image_url");
            w.WriteString("url", p is UriContent u ? u.Uri.ToString() : ((DataContent)p).Uri);
            w.WriteEndObject();
            w.WriteEndObject();
            return;
        }

        if (raw is null && p is not TextContent) return;
        w.WriteStartObject();
        w.WriteString("type", raw?.TryGetProperty("type", out var type) == true && type.ValueKind == JsonValueKind.String ? type.GetString() : "text");
        if (text is not null) w.WriteString("text", text);
        if (raw is { } r) WriteOthers(w, r, "type", "text");
        w.WriteEndObject();
    }

    private static void WriteResult(Utf8JsonWriter w, FunctionResultContent r)
    {
        var text = r.Result switch
        {
            null => null,
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            var o => JsonSerializer.Serialize(o, AIJsonUtilities.DefaultOptions.GetTypeInfo(o.GetType())),
        };
        if (r.RawRepresentation is List<AIContent> parts && text == string.Concat(parts.OfType<TextContent>().Select(t => t.Text)))
        {
            WriteContent(w, parts);
        }
        else if (text is not null)
        {
            w.WriteString("content", text);
        }
    }

    private static void WriteOthers(Utf8JsonWriter w, JsonElement raw, params string[] written)
    {
        foreach (var p in raw.EnumerateObject())
        {
            if (written.Contains(p.Name)) continue;
            w.WritePropertyName(p.Name);
            p.Value.WriteTo(w);
        }
    }

    private static void WriteValue(Utf8JsonWriter w, string key, object? value, JsonSerializerOptions? options)
    {
        w.WritePropertyName(key);
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case JsonElement e: e.WriteTo(w); break;
            case JsonNode n: n.WriteTo(w); break;
            default: JsonSerializer.Serialize(w, value, value.GetType(), options ?? AIJsonUtilities.DefaultOptions); break;
        }
    }

    /// <summary>The arguments text the call was read with ("{}" when it had none), or null for a call not read from JSON.</summary>
    private static string? RawArguments(FunctionCallContent call)
    {
        if (call.RawRepresentation is not JsonElement { ValueKind: JsonValueKind.Object } raw) return null;
        var f = raw.TryGetProperty("function", out var fn) && fn.ValueKind == JsonValueKind.Object ? fn : raw;
        return f.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : "{}";
    }

    private static bool Same(string raw, IDictionary<string, object?>? args)
    {
        if (args is null) return false;
        if (raw.Length == 0) return args.Count == 0;
        try
        {
            using var doc = JsonDocument.Parse(raw);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || doc.RootElement.EnumerateObject().Count() != args.Count) return false;
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!args.TryGetValue(p.Name, out var v)) return false;
                var e = v as JsonElement? ?? JsonSerializer.SerializeToElement(v, AIJsonUtilities.DefaultOptions.GetTypeInfo(v?.GetType() ?? typeof(object)));
                if (!JsonElement.DeepEquals(e, p.Value)) return false;
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>Reads and writes Microsoft.Extensions.AI <see cref="ChatMessage"/> as an OpenAI chat message (registered in <see cref="OpenAiJson.Options"/>).</summary>
public sealed class ChatMessageJsonConverter : JsonConverter<ChatMessage>
{
    /// <inheritdoc/>
    public override ChatMessage? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        try
        {
            return OpenAiChatReader.ReadMessage(doc.RootElement);
        }
        catch (OpenAiChatException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, ChatMessage value, JsonSerializerOptions options) =>
        OpenAiChatWriter.WriteMessage(writer, value, options);
}
