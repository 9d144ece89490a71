namespace Hone.Data.Import.Json;

/// <summary>
/// The keys and role tags of a ShareGPT-style record (LLaMA-Factory's <c>dataset_info.json</c> "columns" and "tags";
/// the defaults are LLaMA-Factory's). The OpenAI role names (user, assistant, system, tool) are understood too.
/// </summary>
public sealed record ShareGptTags
{
    /// <summary>The list of turns; default <c>conversations</c>.</summary>
    public string MessagesKey { get; init; } = "conversations";

    /// <summary>The role key inside a turn; default <c>from</c> (<c>role</c> is tried when it is absent).</summary>
    public string RoleKey { get; init; } = "from";

    /// <summary>The text key inside a turn; default <c>value</c> (<c>content</c> is tried when it is absent).</summary>
    public string ContentKey { get; init; } = "value";

    /// <summary>User turns; default <c>human</c>.</summary>
    public string UserTag { get; init; } = "human";

    /// <summary>Assistant turns; default <c>gpt</c>.</summary>
    public string AssistantTag { get; init; } = "gpt";

    /// <summary>System turns; default <c>system</c>.</summary>
    public string SystemTag { get; init; } = "system";

    /// <summary>Assistant tool calls (value: JSON <c>{"name", "arguments"}</c> or a list of them); default <c>function_call</c>.</summary>
    public string FunctionTag { get; init; } = "function_call";

    /// <summary>Tool results; default <c>observation</c>.</summary>
    public string ObservationTag { get; init; } = "observation";

    /// <summary>The record-level system prompt key; default <c>system</c>.</summary>
    public string SystemKey { get; init; } = "system";

    /// <summary>The record-level tool list key (a JSON string or a list); default <c>tools</c>.</summary>
    public string ToolsKey { get; init; } = "tools";

    /// <summary>Throws when a key or tag is empty.</summary>
    public void Validate()
    {
        foreach (var (name, value) in new[]
                 {
                     (nameof(MessagesKey), MessagesKey), (nameof(RoleKey), RoleKey), (nameof(ContentKey), ContentKey),
                     (nameof(UserTag), UserTag), (nameof(AssistantTag), AssistantTag), (nameof(SystemTag), SystemTag),
                     (nameof(FunctionTag), FunctionTag), (nameof(ObservationTag), ObservationTag),
                     (nameof(SystemKey), SystemKey), (nameof(ToolsKey), ToolsKey),
                 })
        {
            if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"ShareGPT import: {name} is empty; give the key or tag your file uses.", name);
        }
    }
}
