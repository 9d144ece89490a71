using System.Text.Json;
using Hone.Data.Model;
using Microsoft.Extensions.AI;

namespace Hone.Server;

/// <summary>A validated <c>/v1/chat/completions</c> request.</summary>
public sealed record ChatCompletionRequest(string Model, IReadOnlyList<ChatMessage> Messages, ChatOptions Options, int N, bool Stream, bool IncludeUsage);

/// <summary>A validated <c>/v1/completions</c> request.</summary>
public sealed record CompletionRequest(string Model, IReadOnlyList<string> Prompts, ChatOptions Options, int N, bool Stream, bool IncludeUsage, bool Echo);

/// <summary>
/// Reads OpenAI request bodies into Microsoft.Extensions.AI shapes. Every problem is an <see cref="OpenAiError"/> (400)
/// naming the parameter; unknown fields are ignored, as OpenAI-compatible servers do.
/// </summary>
public static class RequestParser
{
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    /// <summary>Parses a chat-completions body.</summary>
    public static ChatCompletionRequest ParseChat(JsonElement body, int maxChoices)
    {
        var root = RequireObject(body);
        var model = RequireString(root, "model");
        if (!root.TryGetProperty("messages", out var msgs) || msgs.ValueKind != JsonValueKind.Array || msgs.GetArrayLength() == 0)
        {
            throw OpenAiError.Invalid("messages", "'messages' must be a non-empty array of message objects.");
        }

        var messages = new List<ChatMessage>();
        int i = 0;
        foreach (var m in msgs.EnumerateArray())
        {
            messages.Add(ParseMessage(m, $"messages[{i++}]"));
        }

        var options = CommonOptions(root, maxOutputDefault: null);
        options.TopK = OptionalInt(root, "top_k", 0, int.MaxValue);
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind != JsonValueKind.Null)
        {
            options.Tools = ParseTools(tools);
        }

        if (root.TryGetProperty("tool_choice", out var choice) && choice.ValueKind != JsonValueKind.Null)
        {
            options.ToolMode = ParseToolChoice(choice, options.Tools);
        }

        if (root.TryGetProperty("response_format", out var format) && format.ValueKind != JsonValueKind.Null)
        {
            options.ResponseFormat = ParseResponseFormat(format);
        }

        var (stream, usage) = StreamFlags(root);
        int n = OptionalInt(root, "n", 1, maxChoices) ?? 1;
        return new ChatCompletionRequest(model, messages, options, n, stream, usage);
    }

    /// <summary>Parses a (legacy) completions body.</summary>
    public static CompletionRequest ParseCompletion(JsonElement body, int maxChoices)
    {
        var root = RequireObject(body);
        var model = RequireString(root, "model");
        var prompts = new List<string>();
        if (!root.TryGetProperty("prompt", out var prompt) || prompt.ValueKind == JsonValueKind.Null)
        {
            prompts.Add("");
        }
        else if (prompt.ValueKind == JsonValueKind.String)
        {
            prompts.Add(prompt.GetString()!);
        }
        else if (prompt.ValueKind == JsonValueKind.Array && prompt.GetArrayLength() is > 0 and <= 16 && prompt.EnumerateArray().All(p => p.ValueKind == JsonValueKind.String))
        {
            prompts.AddRange(prompt.EnumerateArray().Select(p => p.GetString()!));
        }
        else
        {
            throw OpenAiError.Invalid("prompt", "'prompt' must be a string or an array of 1 to 16 strings (token-id prompts are not supported).");
        }

        var options = CommonOptions(root, maxOutputDefault: 16);
        options.TopK = OptionalInt(root, "top_k", 0, int.MaxValue);
        var (stream, usage) = StreamFlags(root);
        int n = OptionalInt(root, "n", 1, maxChoices) ?? 1;
        bool echo = root.TryGetProperty("echo", out var e) && e.ValueKind == JsonValueKind.True;
        return new CompletionRequest(model, prompts, options, n, stream, usage, echo);
    }

    private static JsonElement RequireObject(JsonElement body) => body.ValueKind == JsonValueKind.Object
        ? body
        : throw new OpenAiError("The request body must be a JSON object.");

    private static string RequireString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0
            ? v.GetString()!
            : throw OpenAiError.Invalid(name, $"'{name}' is required and must be a non-empty string.");

    private static ChatOptions CommonOptions(JsonElement root, int? maxOutputDefault)
    {
        var o = new ChatOptions
        {
            Temperature = OptionalFloat(root, "temperature", 0, 2),
            TopP = OptionalFloat(root, "top_p", 0, 1),
            MaxOutputTokens = OptionalInt(root, "max_completion_tokens", 1, int.MaxValue) ?? OptionalInt(root, "max_tokens", 1, int.MaxValue) ?? maxOutputDefault,
            Seed = root.TryGetProperty("seed", out var seed) && seed.ValueKind != JsonValueKind.Null
                ? (seed.ValueKind == JsonValueKind.Number && seed.TryGetInt64(out var s) ? s : throw OpenAiError.Invalid("seed", "'seed' must be an integer."))
                : null,
        };
        if (o.TopP == 0)
        {
            // top_p 0 keeps only the most likely token: greedy.
            o.TopP = null;
            o.Temperature = 0;
        }

        if (root.TryGetProperty("stop", out var stop) && stop.ValueKind != JsonValueKind.Null)
        {
            var list = stop.ValueKind switch
            {
                JsonValueKind.String => [stop.GetString()!],
                JsonValueKind.Array when stop.GetArrayLength() <= 4 && stop.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String)
                    => stop.EnumerateArray().Select(x => x.GetString()!).ToList(),
                _ => throw OpenAiError.Invalid("stop", "'stop' must be a string or an array of up to 4 strings."),
            };
            if (list.Any(s => s.Length == 0))
            {
                throw OpenAiError.Invalid("stop", "stop sequences must not be empty strings.");
            }

            o.StopSequences = list;
        }

        return o;
    }

    private static (bool Stream, bool Usage) StreamFlags(JsonElement root)
    {
        bool stream = root.TryGetProperty("stream", out var s) && s.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False or JsonValueKind.Null => false,
            _ => throw OpenAiError.Invalid("stream", "'stream' must be a boolean."),
        };
        bool usage = stream && root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
            && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
        return (stream, usage);
    }

    private static float? OptionalFloat(JsonElement root, string name, double min, double max)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d) || d < min || d > max)
        {
            throw OpenAiError.Invalid(name, $"'{name}' must be a number between {min} and {max}.");
        }

        return (float)d;
    }

    private static int? OptionalInt(JsonElement root, string name, int min, int max)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n) || n < min || n > max)
        {
            throw OpenAiError.Invalid(name, max == int.MaxValue
                ? $"'{name}' must be an integer ≥ {min}."
                : $"'{name}' must be an integer between {min} and {max}.");
        }

        return n;
    }

    /// <summary>
    /// One message through the shared reader (<see cref="OpenAiChatReader.ReadForModel"/>), with this server's rules
    /// first: a known role, text-only content, content unless an assistant calls tools, a tool message's call id.
    /// </summary>
    private static ChatMessage ParseMessage(JsonElement m, string where)
    {
        if (m.ValueKind != JsonValueKind.Object)
        {
            throw OpenAiError.Invalid(where, $"{where} must be an object with 'role' and 'content'.");
        }

        var role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
        if (!Roles.Contains(role))
        {
            throw OpenAiError.Invalid(where + ".role", $"{where}.role '{role}' is not one of: {string.Join(", ", Roles)}.");
        }

        bool hasContent = CheckTextContent(m, where, role);
        bool calls = role == "assistant" && m.TryGetProperty("tool_calls", out var tc) && tc.ValueKind != JsonValueKind.Null;
        if (!hasContent && !calls && role != "tool")
        {
            throw OpenAiError.Invalid(where + ".content", $"{where} needs 'content'.");
        }

        ChatMessage message;
        try
        {
            message = OpenAiChatReader.ReadForModel(m, where);
        }
        catch (OpenAiChatException e)
        {
            throw OpenAiError.Invalid(e.Field, e.Message);
        }

        if (role == "tool" && message.Contents.OfType<FunctionResultContent>().Single().CallId.Length == 0)
        {
            throw OpenAiError.Invalid(where + ".tool_call_id", $"{where}: a tool message needs 'tool_call_id'.");
        }

        return message;
    }

    /// <summary>Whether the message has content (not absent or null); a part that is not text is a 400 naming the field.</summary>
    private static bool CheckTextContent(JsonElement m, string where, string role)
    {
        if (!m.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (c.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in c.EnumerateArray())
            {
                var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                if (type is not ("text" or "input_text") || !part.TryGetProperty("text", out var pt) || pt.ValueKind != JsonValueKind.String)
                {
                    throw OpenAiError.Invalid(where + ".content", $"{where}.content: only text parts are supported by this {role} message's model (got type '{type}').");
                }
            }
        }
        else if (c.ValueKind != JsonValueKind.String)
        {
            throw OpenAiError.Invalid(where + ".content", $"{where}.content must be a string or an array of text parts.");
        }

        return true;
    }

    private static List<AITool> ParseTools(JsonElement tools)
    {
        if (tools.ValueKind != JsonValueKind.Array || tools.GetArrayLength() > 128)
        {
            throw OpenAiError.Invalid("tools", "'tools' must be an array of at most 128 function tools.");
        }

        var list = new List<AITool>();
        int i = 0;
        foreach (var t in tools.EnumerateArray())
        {
            var where = $"tools[{i++}]";
            if (t.ValueKind != JsonValueKind.Object || !t.TryGetProperty("type", out _))
            {
                throw OpenAiError.Invalid(where, $"{where} must be {{\"type\":\"function\",\"function\":{{\"name\",\"description\",\"parameters\"}}}}.");
            }

            try
            {
                list.Add(OpenAiChatReader.ReadTool(t, where));
            }
            catch (OpenAiChatException e)
            {
                throw OpenAiError.Invalid(e.Field, e.Message);
            }
        }

        return list;
    }

    private static ChatToolMode ParseToolChoice(JsonElement choice, IList<AITool>? tools)
    {
        if (choice.ValueKind == JsonValueKind.String)
        {
            return choice.GetString() switch
            {
                "none" => ChatToolMode.None,
                "auto" => ChatToolMode.Auto,
                "required" => ChatToolMode.RequireAny,
                var other => throw OpenAiError.Invalid("tool_choice", $"'tool_choice' '{other}' must be none, auto, required or {{\"type\":\"function\",\"function\":{{\"name\"}}}}."),
            };
        }

        if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object
            && f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
        {
            var name = n.GetString()!;
            if (tools is null || !tools.OfType<AIFunctionDeclaration>().Any(t => t.Name == name))
            {
                throw OpenAiError.Invalid("tool_choice", $"'tool_choice' names function '{name}', which is not in 'tools'.");
            }

            return ChatToolMode.RequireSpecific(name);
        }

        throw OpenAiError.Invalid("tool_choice", "'tool_choice' must be none, auto, required or {\"type\":\"function\",\"function\":{\"name\"}}.");
    }

    private static ChatResponseFormat ParseResponseFormat(JsonElement format)
    {
        var type = format.ValueKind == JsonValueKind.Object && format.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        switch (type)
        {
            case "text":
                return ChatResponseFormat.Text;
            case "json_object":
                return ChatResponseFormat.Json;
            case "json_schema":
                if (!format.TryGetProperty("json_schema", out var js) || js.ValueKind != JsonValueKind.Object
                    || !js.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
                {
                    throw OpenAiError.Invalid("response_format", "'response_format' of type json_schema needs json_schema.schema (an object).");
                }

                var name = js.TryGetProperty("name", out var nm) && nm.ValueKind == JsonValueKind.String ? nm.GetString() : null;
                var desc = js.TryGetProperty("description", out var ds) && ds.ValueKind == JsonValueKind.String ? ds.GetString() : null;
                return ChatResponseFormat.ForJsonSchema(schema.Clone(), name, desc);
            default:
                throw OpenAiError.Invalid("response_format", $"'response_format' type '{type}' must be text, json_object or json_schema.");
        }
    }
}
