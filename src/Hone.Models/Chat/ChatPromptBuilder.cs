using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Tokenizers.Chat;
using Microsoft.Extensions.AI;

namespace Hone.Models.Chat;

/// <summary>
/// Turns Microsoft.Extensions.AI messages and tools into the OpenAI-style JSON a chat template renders
/// (role, content, tool_calls, tool_call_id; tools as <c>{"type":"function","function":{…}}</c>). A template that
/// ignores <c>tools</c> (e.g. built-in chatml) gets them as a Hermes-style system block instead, with earlier calls and
/// results written as <c>&lt;tool_call&gt;</c> text, so any model can be asked for calls the parser reads back.
/// </summary>
public sealed class ChatPromptBuilder
{
    private readonly ChatEncoder _encoder;
    private readonly Lazy<bool> _templateRendersTools;

    /// <summary>A builder over <paramref name="encoder"/>.</summary>
    public ChatPromptBuilder(ChatEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        _encoder = encoder;
        _templateRendersTools = new Lazy<bool>(ProbeTools);
    }

    /// <summary>Whether the template itself renders <c>tools</c> (probed once by rendering with and without a tool).</summary>
    public bool TemplateRendersTools => _templateRendersTools.Value;

    /// <summary>The declared function tools of <paramref name="options"/> (empty when tool mode is none).</summary>
    public static IReadOnlyList<AIFunctionDeclaration> DeclaredTools(ChatOptions? options) =>
        options?.Tools is { Count: > 0 } tools && options.ToolMode is not NoneChatToolMode
            ? tools.OfType<AIFunctionDeclaration>().ToList()
            : [];

    /// <summary>Renders and tokenizes <paramref name="messages"/> with the generation prompt appended.</summary>
    public EncodedChat Encode(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var tools = DeclaredTools(options);
        bool native = tools.Count == 0 || TemplateRendersTools;
        var nodes = new List<JsonNode>();
        if (!native)
        {
            nodes.Add(new JsonObject { ["role"] = "system", ["content"] = ToolSystemPrompt(tools, options?.ToolMode) });
        }

        foreach (var m in messages)
        {
            nodes.AddRange(ToNodes(m, native));
        }

        if (!native && nodes.Count > 1 && (string?)nodes[1]!["role"] == "system")
        {
            // One system message: the caller's first, then the tool block.
            var own = (string?)nodes[1]!["content"];
            nodes[0]!["content"] = own + "\n\n" + (string?)nodes[0]!["content"];
            nodes.RemoveAt(1);
        }

        var toolsJson = native && tools.Count > 0 ? ToolsJson(tools) : null;
        return _encoder.Encode(nodes, toolsJson, addGenerationPrompt: true);
    }

    /// <summary>The OpenAI <c>tools</c> array for <paramref name="tools"/>.</summary>
    public static JsonArray ToolsJson(IEnumerable<AIFunctionDeclaration> tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        var array = new JsonArray();
        foreach (var t in tools)
        {
            array.Add(new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject
                {
                    ["name"] = t.Name,
                    ["description"] = t.Description ?? "",
                    ["parameters"] = JsonNode.Parse(t.JsonSchema.GetRawText()),
                },
            });
        }

        return array;
    }

    private static string ToolSystemPrompt(IReadOnlyList<AIFunctionDeclaration> tools, ChatToolMode? mode)
    {
        var sb = new StringBuilder();
        sb.Append("Tools:\n<tools>\n");
        foreach (var t in ToolsJson(tools))
        {
            sb.Append(t!.ToJsonString()).Append('\n');
        }

        sb.Append("</tools>\nTo call one, reply <tool_call>{\"name\": NAME, \"arguments\": {...}}</tool_call>");
        if (mode is RequiredChatToolMode required)
        {
            sb.Append(required.RequiredFunctionName is { } name ? $"\nYou must call {name}." : "\nYou must call a function.");
        }

        return sb.ToString();
    }

    private static IEnumerable<JsonNode> ToNodes(ChatMessage m, bool native)
    {
        var role = m.Role.Value;
        var text = string.Concat(m.Contents.OfType<TextContent>().Select(c => c.Text));
        var calls = m.Contents.OfType<FunctionCallContent>().ToList();
        var results = m.Contents.OfType<FunctionResultContent>().ToList();
        if (results.Count > 0)
        {
            foreach (var r in results)
            {
                var content = ResultText(r.Result);
                yield return native
                    ? new JsonObject { ["role"] = "tool", ["tool_call_id"] = r.CallId, ["content"] = content }
                    : new JsonObject { ["role"] = "tool", ["content"] = "<tool_response>\n" + content + "\n</tool_response>" };
            }

            yield break;
        }

        var node = new JsonObject { ["role"] = role == "developer" ? "system" : role };
        if (calls.Count == 0)
        {
            node["content"] = text;
            yield return node;
            yield break;
        }

        if (native)
        {
            node["content"] = text;
            var array = new JsonArray();
            foreach (var c in calls)
            {
                array.Add(new JsonObject
                {
                    ["id"] = c.CallId,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = ArgumentsNode(c) },
                });
            }

            node["tool_calls"] = array;
        }
        else
        {
            var sb = new StringBuilder(text);
            foreach (var c in calls)
            {
                if (sb.Length > 0)
                {
                    sb.Append('\n');
                }

                var call = new JsonObject { ["name"] = c.Name, ["arguments"] = ArgumentsNode(c) };
                sb.Append("<tool_call>\n").Append(call.ToJsonString()).Append("\n</tool_call>");
            }

            node["content"] = sb.ToString();
        }

        yield return node;
    }

    /// <summary>A call's arguments as a JSON object (templates such as Qwen's serialise it with tojson).</summary>
    public static JsonObject ArgumentsNode(FunctionCallContent call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var obj = new JsonObject();
        if (call.Arguments is null)
        {
            return obj;
        }

        foreach (var (k, v) in call.Arguments)
        {
            obj[k] = v is null ? null : JsonSerializer.SerializeToNode(v, AIJsonUtilities.DefaultOptions.GetTypeInfo(v.GetType()));
        }

        return obj;
    }

    private static string ResultText(object? result) => result switch
    {
        null => "",
        string s => s,
        JsonElement e when e.ValueKind == JsonValueKind.String => e.GetString()!,
        _ => JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions.GetTypeInfo(result.GetType())),
    };

    private bool ProbeTools()
    {
        var user = new List<JsonNode> { new JsonObject { ["role"] = "user", ["content"] = "ping" } };
        var tool = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject
                {
                    ["name"] = "hone_probe_tool",
                    ["description"] = "probe",
                    ["parameters"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() },
                },
            },
        };
        try
        {
            var without = _encoder.Encode(user, null, addGenerationPrompt: true).Text;
            var with = _encoder.Encode(user, tool, addGenerationPrompt: true).Text;
            return with.Contains("hone_probe_tool", StringComparison.Ordinal) && with != without;
        }
        catch (Hone.Tokenizers.ChatTemplates.ChatTemplateException)
        {
            return false;
        }
    }
}
