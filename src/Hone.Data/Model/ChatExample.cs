using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace Hone.Data.Model;

/// <summary>
/// One OpenAI chat SFT example (one line of the JSONL):
/// <c>{"messages": [...], "tools": [...], "parallel_tool_calls": false}</c>, with the legacy <c>functions</c> list. The
/// messages are Microsoft.Extensions.AI messages (<see cref="OpenAiChatReader"/>: a message's <c>weight</c> and other
/// keys only a file has are in its <see cref="ChatMessage.AdditionalProperties"/>).
/// </summary>
public sealed class ChatExample
{
    /// <summary><c>messages</c>, in conversation order.</summary>
    [JsonPropertyName("messages")]
    public List<ChatMessage> Messages { get; set; } = [];

    /// <summary><c>tools</c> offered to the model, or null when the key is absent.</summary>
    [JsonPropertyName("tools")]
    public List<ToolDefinition>? Tools { get; set; }

    /// <summary><c>parallel_tool_calls</c>, or null when the key is absent.</summary>
    [JsonPropertyName("parallel_tool_calls")]
    public bool? ParallelToolCalls { get; set; }

    /// <summary>Legacy <c>functions</c> list, or null when absent.</summary>
    [JsonPropertyName("functions")]
    public List<FunctionDefinition>? Functions { get; set; }

    /// <summary>Any other top-level key, kept verbatim.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>The <c>input</c> of a preference example: the conversation both outputs answer.</summary>
public sealed class PreferenceInput
{
    /// <summary><c>messages</c> of the prompt conversation.</summary>
    [JsonPropertyName("messages")]
    public List<ChatMessage> Messages { get; set; } = [];

    /// <summary><c>tools</c>, or null when absent.</summary>
    [JsonPropertyName("tools")]
    public List<ToolDefinition>? Tools { get; set; }

    /// <summary><c>parallel_tool_calls</c>, or null when absent.</summary>
    [JsonPropertyName("parallel_tool_calls")]
    public bool? ParallelToolCalls { get; set; }

    /// <summary>Any other key, kept verbatim.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>
/// One OpenAI preference (DPO) example:
/// <c>{"input": {"messages": [...]}, "preferred_output": [{"role": "assistant", ...}], "non_preferred_output": [...]}</c>.
/// </summary>
public sealed class PreferenceExample
{
    /// <summary><c>input</c>: the prompt conversation.</summary>
    [JsonPropertyName("input")]
    public PreferenceInput Input { get; set; } = new();

    /// <summary><c>preferred_output</c>: the better answer (normally one assistant message).</summary>
    [JsonPropertyName("preferred_output")]
    public List<ChatMessage> PreferredOutput { get; set; } = [];

    /// <summary><c>non_preferred_output</c>: the worse answer (normally one assistant message).</summary>
    [JsonPropertyName("non_preferred_output")]
    public List<ChatMessage> NonPreferredOutput { get; set; } = [];

    /// <summary>Any other top-level key, kept verbatim.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>
/// One OpenAI reinforcement fine-tuning example: <c>messages</c> ending with a user turn, optional <c>tools</c>,
/// and any extra keys (reference answers and the like, read by graders), kept verbatim in <see cref="Extra"/>.
/// </summary>
public sealed class ReinforcementExample
{
    /// <summary><c>messages</c>; the last one is a user turn.</summary>
    [JsonPropertyName("messages")]
    public List<ChatMessage> Messages { get; set; } = [];

    /// <summary><c>tools</c>, or null when absent.</summary>
    [JsonPropertyName("tools")]
    public List<ToolDefinition>? Tools { get; set; }

    /// <summary><c>parallel_tool_calls</c>, or null when absent.</summary>
    [JsonPropertyName("parallel_tool_calls")]
    public bool? ParallelToolCalls { get; set; }

    /// <summary>Every other top-level key (e.g. <c>reference_answer</c>), kept verbatim for graders.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>One legacy prompt/completion example: <c>{"prompt": "...", "completion": "..."}</c>.</summary>
public sealed class PromptCompletionExample
{
    /// <summary><c>prompt</c></summary>
    [JsonPropertyName("prompt")]
    public string Prompt { get; set; } = "";

    /// <summary><c>completion</c></summary>
    [JsonPropertyName("completion")]
    public string Completion { get; set; } = "";

    /// <summary>Any other key, kept verbatim.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
