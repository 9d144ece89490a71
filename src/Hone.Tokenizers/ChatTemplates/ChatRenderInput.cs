using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hone.Tokenizers.ChatTemplates;

/// <summary>
/// What a chat template renders: OpenAI-format messages (each a JSON object with <c>role</c>, <c>content</c> (a string or a
/// list of parts), and optionally <c>name</c>, <c>tool_calls</c>, <c>tool_call_id</c>, <c>weight</c>, ...), tools, the
/// generation-prompt flag, special tokens and extra variables. Messages reach the template as Python-like dicts, unchanged.
/// </summary>
public sealed class ChatRenderInput
{
    /// <summary>The conversation, one JSON object per message (never modified).</summary>
    public required IReadOnlyList<JsonNode> Messages { get; init; }

    /// <summary>Tool definitions; when null the template sees <c>tools</c> as undefined.</summary>
    public JsonNode? Tools { get; init; }

    /// <summary>Appends the header that starts the assistant's reply.</summary>
    public bool AddGenerationPrompt { get; init; }

    /// <summary>The <c>bos_token</c> variable (e.g. "&lt;s&gt;", "&lt;|begin_of_text|&gt;"); "" when the model has none.</summary>
    public string BosToken { get; init; } = "";

    /// <summary>The <c>eos_token</c> variable; also recognized as an end-of-turn marker for spans.</summary>
    public string EosToken { get; init; } = "";

    /// <summary>Extra template variables (e.g. <c>date_string</c>, <c>documents</c>, <c>enable_thinking</c>).</summary>
    public IReadOnlyDictionary<string, JsonNode?>? Variables { get; init; }

    /// <summary>
    /// What <c>strftime_now(fmt)</c> returns. Null formats the current UTC time with <c>fmt</c>; set it for reproducible
    /// renders (the golden renders use "21 Nov 2026").
    /// </summary>
    public string? StrftimeNow { get; init; }

    /// <summary>Extra end-of-turn markers to include in assistant spans, besides the built-in list and <see cref="EosToken"/>.</summary>
    public IReadOnlyList<string>? EndOfTurnMarkers { get; init; }

    /// <summary>Limits that stop runaway templates.</summary>
    public ChatTemplateLimits Limits { get; init; } = ChatTemplateLimits.Default;

    /// <summary>Builds an input from a JSON array of messages (as in an OpenAI chat request or a JSONL example).</summary>
    public static ChatRenderInput FromJson(JsonElement messages, JsonElement? tools = null, bool addGenerationPrompt = false)
    {
        if (messages.ValueKind != JsonValueKind.Array) throw new ChatTemplateException("'messages' must be a JSON array of message objects");
        var list = new List<JsonNode>();
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object) throw new ChatTemplateException($"message {list.Count} must be a JSON object with 'role' and 'content'");
            list.Add(JsonNode.Parse(m.GetRawText())!);
        }
        return new ChatRenderInput
        {
            Messages = list,
            Tools = tools is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } t ? JsonNode.Parse(t.GetRawText()) : null,
            AddGenerationPrompt = addGenerationPrompt,
        };
    }

    /// <summary>Builds an input from (role, content) pairs.</summary>
    public static ChatRenderInput FromTurns(params (string Role, string Content)[] turns) => new()
    {
        Messages = turns.Select(t => (JsonNode)new JsonObject { ["role"] = t.Role, ["content"] = t.Content }).ToList(),
    };
}

/// <summary>Caps that keep a hostile or broken template bounded in time and memory.</summary>
/// <param name="MaxOutputChars">Largest rendered text, and largest string or list a template may build.</param>
/// <param name="MaxLoopIterations">Total loop iterations (and filter items) per render.</param>
/// <param name="MaxCallDepth">Deepest nesting of macro calls.</param>
public sealed record ChatTemplateLimits(int MaxOutputChars = 8_000_000, long MaxLoopIterations = 1_000_000, int MaxCallDepth = 64)
{
    /// <summary>The defaults: 8 M chars, 1 M iterations, 64 nested macro calls.</summary>
    public static ChatTemplateLimits Default { get; } = new();
}

/// <summary>
/// The [Start, End) UTF-16 char range of one assistant message in the rendered text: its content (and any tool calls the
/// template rendered for it) plus the end-of-turn marker that follows. <see cref="Trained"/> is false for messages with
/// <c>"weight": 0</c>.
/// </summary>
public readonly record struct AssistantSpan(int MessageIndex, int Start, int End, bool Trained);

/// <summary>A rendered conversation and the spans of its assistant messages, in text order.</summary>
public sealed record RenderResult(string Text, IReadOnlyList<AssistantSpan> Spans);
