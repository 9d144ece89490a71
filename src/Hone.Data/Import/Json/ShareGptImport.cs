using System.Text.Json;
using Hone.Data.Model;
using Microsoft.Extensions.AI;

namespace Hone.Data.Import.Json;

/// <summary>
/// ShareGPT JSON/JSONL → chat SFT (LLaMA-Factory's sharegpt format, e.g. <c>glaive_toolcall_en_demo.json</c>):
/// <c>{"conversations": [{"from": "human", "value": ...}, ...], "system": ..., "tools": "[...]"}</c>.
/// Function calls and observations become OpenAI <c>tool_calls</c> and <c>tool</c> messages; <c>tools</c> becomes
/// OpenAI tool definitions.
/// </summary>
public sealed record ShareGptImportOptions : ImportOptions
{
    /// <summary>Keys and role tags; LLaMA-Factory's defaults.</summary>
    public ShareGptTags Tags { get; init; } = new();

    /// <inheritdoc />
    public override DataKind Produces => DataKind.Sft;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Tags.Validate();
    }
}

/// <summary>Reads ShareGPT records as chat SFT examples.</summary>
public static class ShareGptImporter
{
    /// <summary>The examples, lazily; malformed records go to <paramref name="context"/>.</summary>
    public static IEnumerable<ChatExample> Read(ShareGptImportOptions options, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return RecordJson.Convert(options.InputPath, context, r => Convert(r, options.Tags));
    }

    internal static ChatExample Convert(JsonRecord r, ShareGptTags tags)
    {
        var rec = RecordJson.Object(r.Value, "$");
        var messages = ShareGptTurns.Convert(RecordJson.RequiredArray(rec, tags.MessagesKey, "$"), tags, r.Number, "$." + tags.MessagesKey);
        var system = RecordJson.OptionalString(rec, tags.SystemKey, "$");
        if (!string.IsNullOrEmpty(system) && !messages.Any(m => m.Role == ChatRole.System))
            messages.Insert(0, new ChatMessage(ChatRole.System, system));
        if (!messages.Any(m => m.Role == ChatRole.Assistant))
            throw new RecordProblemException($"$.{tags.MessagesKey} has no assistant turn ('{tags.AssistantTag}' or '{tags.FunctionTag}'); there is nothing to learn.");
        return new ChatExample { Messages = messages, Tools = ShareGptTurns.ParseTools(rec, tags.ToolsKey, "$") };
    }
}

/// <summary>
/// ShareGPT preference JSON/JSONL → preference pairs (LLaMA-Factory's ranking sharegpt format, e.g.
/// <c>dpo_en_demo.json</c>): the conversation is the prompt; <c>chosen</c> and <c>rejected</c> are one turn each
/// (<c>{"from": "gpt", "value": ...}</c>) or plain strings.
/// </summary>
public sealed record ShareGptPreferenceImportOptions : ImportOptions
{
    /// <summary>Keys and role tags; LLaMA-Factory's defaults.</summary>
    public ShareGptTags Tags { get; init; } = new();

    /// <summary>The preferred answer key; default <c>chosen</c>.</summary>
    public string ChosenKey { get; init; } = "chosen";

    /// <summary>The rejected answer key; default <c>rejected</c>.</summary>
    public string RejectedKey { get; init; } = "rejected";

    /// <inheritdoc />
    public override DataKind Produces => DataKind.Dpo;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        Tags.Validate();
        if (string.IsNullOrWhiteSpace(ChosenKey) || string.IsNullOrWhiteSpace(RejectedKey))
            throw new ArgumentException("ShareGPT preference import: the chosen and rejected keys must be named.", nameof(ChosenKey));
    }
}

/// <summary>Reads ShareGPT preference records as preference pairs.</summary>
public static class ShareGptPreferenceImporter
{
    /// <summary>The pairs, lazily; malformed records go to <paramref name="context"/>.</summary>
    public static IEnumerable<PreferenceExample> Read(ShareGptPreferenceImportOptions options, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return RecordJson.Convert(options.InputPath, context, r => Convert(r, options));
    }

    private static PreferenceExample Convert(JsonRecord r, ShareGptPreferenceImportOptions o)
    {
        var tags = o.Tags;
        var rec = RecordJson.Object(r.Value, "$");
        var messages = ShareGptTurns.Convert(RecordJson.RequiredArray(rec, tags.MessagesKey, "$"), tags, r.Number, "$." + tags.MessagesKey);
        var system = RecordJson.OptionalString(rec, tags.SystemKey, "$");
        if (!string.IsNullOrEmpty(system) && !messages.Any(m => m.Role == ChatRole.System))
            messages.Insert(0, new ChatMessage(ChatRole.System, system));
        if (messages.Count == 0 || messages[^1].Role != ChatRole.User)
            throw new RecordProblemException($"$.{tags.MessagesKey} must end with a user turn ('{tags.UserTag}'): the chosen and rejected answers reply to it.");
        return new PreferenceExample
        {
            Input = new PreferenceInput { Messages = messages, Tools = ShareGptTurns.ParseTools(rec, tags.ToolsKey, "$") },
            PreferredOutput = [Answer(rec, o.ChosenKey, tags)],
            NonPreferredOutput = [Answer(rec, o.RejectedKey, tags)],
        };
    }

    private static ChatMessage Answer(JsonElement rec, string key, ShareGptTags tags)
    {
        if (!rec.TryGetProperty(key, out var v)) throw new RecordProblemException($"$.{key} is missing; a preference record needs both answers.");
        if (v.ValueKind == JsonValueKind.String) return new ChatMessage(ChatRole.Assistant, v.GetString());
        if (v.ValueKind != JsonValueKind.Object) throw new RecordProblemException($"$.{key} is {RecordJson.Kind(v)}, expected a turn object or a string.");
        var role = RecordJson.OptionalString(v, tags.RoleKey, "$." + key) ?? RecordJson.OptionalString(v, "role", "$." + key);
        if (role is not null && role != tags.AssistantTag && role != OpenAiRoles.Assistant)
            throw new RecordProblemException($"$.{key}.{tags.RoleKey} is '{role}'; a preferred or rejected answer must be an assistant turn ('{tags.AssistantTag}').");
        return new ChatMessage(ChatRole.Assistant, ShareGptTurns.ReadValue(v, tags, "$." + key));
    }
}
