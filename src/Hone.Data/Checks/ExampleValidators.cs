using System.Text;
using System.Text.Json;
using Hone.Data.Model;
using Hone.Tokenizers.ChatTemplates;
using Microsoft.Extensions.AI;

namespace Hone.Data.Checks;

/// <summary>What the dataset-level analyses need from one valid example.</summary>
internal sealed record ExampleDigest(long Line, string Input, string? Output, string? SystemPrompt, int Tokens);

/// <summary>Validates one example of each kind; returns its digest when it has no errors.</summary>
internal static class ExampleValidators
{
    /// <remarks>
    /// <paramref name="direct"/>: the document was parsed with a depth cap no deeper than the serializer's
    /// (<see cref="OpenAiJson.Options"/>), so a chat example may be typed straight from the element (<see cref="TypedChat{T}"/>).
    /// </remarks>
    public static ExampleDigest? Validate(DataKind kind, JsonElement root, FindingSink sink, ITokenCounter counter, bool direct = false) => kind switch
    {
        DataKind.Sft => Sft(root, sink, counter, direct),
        DataKind.Dpo => Dpo(root, sink, counter),
        DataKind.Rft => Rft(root, sink, counter, direct),
        DataKind.PromptCompletion => PromptCompletion(root, sink, counter),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Picks the kind of a file from its first object line.</summary>
    public static DataKind Detect(JsonElement root)
    {
        if (root.TryGetProperty("input", out _) || root.TryGetProperty("preferred_output", out _) || root.TryGetProperty("non_preferred_output", out _))
            return DataKind.Dpo;
        if (!root.TryGetProperty("messages", out var messages) && (root.TryGetProperty("prompt", out _) || root.TryGetProperty("completion", out _)))
            return DataKind.PromptCompletion;
        if (messages.ValueKind == JsonValueKind.Array)
        {
            var hasAssistant = false;
            string? last = null;
            foreach (var m in messages.EnumerateArray())
            {
                last = m.ValueKind == JsonValueKind.Object && m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                hasAssistant |= last == OpenAiRoles.Assistant;
            }
            if (!hasAssistant && last == OpenAiRoles.User) return DataKind.Rft;
        }
        return DataKind.Sft;
    }

    private static JsonElement? Messages(JsonElement owner, string path, FindingSink sink)
    {
        if (!owner.TryGetProperty("messages", out var messages) || messages.ValueKind == JsonValueKind.Null
            || (messages.ValueKind == JsonValueKind.Array && messages.GetArrayLength() == 0))
        {
            sink.Error(FindingCodes.MissingMessagesList, path, "the example has no \"messages\" (or an empty list).", "Add \"messages\": [{\"role\": \"user\", \"content\": \"...\"}, ...].");
            return null;
        }
        if (messages.ValueKind != JsonValueKind.Array)
        {
            sink.Error(FindingCodes.MissingMessagesList, path, $"\"messages\" is a JSON {MessageListValidator.Kind(messages)}, not a list.", "Make \"messages\" a list of message objects.");
            return null;
        }
        return messages;
    }

    private static void RoleWarnings(MessageListSummary s, string path, FindingSink sink, bool userWarning = true)
    {
        if (!s.HasSystem)
            sink.Warning(FindingCodes.MissingSystemMessage, path, "the example has no system message.",
                "Add the system prompt you will use in production as the first message (the same one in every example).");
        if (userWarning && !s.HasUser)
            sink.Warning(FindingCodes.MissingUserMessage, path, "the example has no user message.", "Add the user turn the assistant answers.");
    }

    private static ExampleDigest? Sft(JsonElement root, FindingSink sink, ITokenCounter counter, bool direct)
    {
        if (Messages(root, "$.messages", sink) is not { } messages) return null;
        var s = MessageListValidator.Validate(messages, "$.messages", MessageListValidator.DeclaredFunctions(root), sink);
        if (!s.HasAssistant)
            sink.Error(FindingCodes.ExampleMissingAssistantMessage, "$.messages", "the example has no assistant message, so there is nothing to learn.",
                "Add the assistant reply the model should give.");
        RoleWarnings(s, "$.messages", sink);
        if (sink.HasErrors) return null;
        if (PlainChat.TryDigest(root, sink.Line, counter, reinforcement: false) is { } plain) return plain;
        var (messages2, tools) = TypedChat<ChatExample>(root, sink.Line, direct, e => (e.Messages, e.Tools));
        if (Count(counter, messages2, tools, "$.messages", sink) is not { } tokens) return null;
        var lastAssistant = messages2.FindLastIndex(m => m.Role == ChatRole.Assistant);
        return new ExampleDigest(sink.Line, Text(messages2.Take(lastAssistant)), Text([messages2[lastAssistant]], withRole: false).TrimEnd('\n'), SystemPrompt(messages2),
            tokens);
    }

    private static ExampleDigest? Rft(JsonElement root, FindingSink sink, ITokenCounter counter, bool direct)
    {
        if (Messages(root, "$.messages", sink) is not { } messages) return null;
        var s = MessageListValidator.Validate(messages, "$.messages", MessageListValidator.DeclaredFunctions(root), sink);
        if (s.LastRole != OpenAiRoles.User)
            sink.Error(FindingCodes.RftNotEndingWithUser, $"$.messages[{s.Count - 1}]", $"the last message is {s.LastRole ?? "not a valid message"}; a reinforcement item ends with the user turn the model answers.",
                "End the messages with the user turn; put reference answers in extra top-level keys for the graders.");
        RoleWarnings(s, "$.messages", sink, userWarning: false);
        if (sink.HasErrors) return null;
        if (PlainChat.TryDigest(root, sink.Line, counter, reinforcement: true) is { } plain) return plain;
        var (messages2, tools) = TypedChat<ReinforcementExample>(root, sink.Line, direct, e => (e.Messages, e.Tools));
        if (Count(counter, messages2, tools, "$.messages", sink) is not { } tokens) return null;
        return new ExampleDigest(sink.Line, Text(messages2), null, SystemPrompt(messages2), tokens);
    }

    /// <summary>The conversation's token count, or null with a <see cref="FindingCodes.TemplateRenderFailed"/> error when the
    /// model's chat template refuses it (one such example is a finding, not the end of the check).</summary>
    private static int? Count(ITokenCounter counter, IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition>? tools, string path, FindingSink sink)
    {
        try
        {
            return counter.CountMessages(messages, tools);
        }
        catch (ChatTemplateException e)
        {
            sink.Error(FindingCodes.TemplateRenderFailed, path, $"the {counter.Name} cannot render this example: {e.Message}",
                "Change the message the template refuses (training renders it with the same template), or check with the model you will train.");
            return null;
        }
    }

    private static ExampleDigest? Dpo(JsonElement root, FindingSink sink, ITokenCounter counter)
    {
        MessageListSummary? s = null;
        if (!root.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.Object)
        {
            sink.Error(FindingCodes.PreferenceMissingInput, "$.input", "the pair has no \"input\" object.", "Add \"input\": {\"messages\": [...]} with the prompt conversation.");
        }
        else if (Messages(input, "$.input.messages", sink) is { } messages)
        {
            s = MessageListValidator.Validate(messages, "$.input.messages", MessageListValidator.DeclaredFunctions(input), sink);
            RoleWarnings(s, "$.input.messages", sink);
        }
        var declared = input.ValueKind == JsonValueKind.Object ? MessageListValidator.DeclaredFunctions(input) : null;
        var preferred = Output(root, "preferred_output", declared, sink);
        var rejected = Output(root, "non_preferred_output", declared, sink);
        if (preferred is { } p && rejected is { } r && JsonElement.DeepEquals(p, r))
            sink.Error(FindingCodes.PreferenceOutputsIdentical, "$.non_preferred_output", "the preferred and non-preferred outputs are identical, so the pair teaches nothing.",
                "Replace the non-preferred output with the worse answer it is meant to be.");
        if (sink.HasErrors || s is null) return null;
        var ex = OpenAiJson.FromElement<PreferenceExample>(root, "", sink.Line);
        if (Count(counter, [.. ex.Input.Messages, .. ex.PreferredOutput], ex.Input.Tools, "$.preferred_output", sink) is not { } preferredTokens
            || Count(counter, [.. ex.Input.Messages, .. ex.NonPreferredOutput], ex.Input.Tools, "$.non_preferred_output", sink) is not { } rejectedTokens)
            return null;
        var tokens = Math.Max(preferredTokens, rejectedTokens);
        return new ExampleDigest(sink.Line, Text(ex.Input.Messages), Text(ex.PreferredOutput, withRole: false).TrimEnd('\n'), SystemPrompt(ex.Input.Messages), tokens);
    }

    private static JsonElement? Output(JsonElement root, string key, HashSet<string>? declared, FindingSink sink)
    {
        var path = "$." + key;
        if (!root.TryGetProperty(key, out var o) || o.ValueKind != JsonValueKind.Array || o.GetArrayLength() == 0)
        {
            sink.Error(FindingCodes.PreferenceMissingOutput, path, $"\"{key}\" is missing, empty or not a list.", $"Add \"{key}\": [{{\"role\": \"assistant\", \"content\": \"...\"}}].");
            return null;
        }
        MessageListValidator.Validate(o, path, declared, sink);
        var i = -1;
        foreach (var m in o.EnumerateArray())
        {
            i++;
            if (m.ValueKind == JsonValueKind.Object && (!m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String || role.GetString() != OpenAiRoles.Assistant))
                sink.Error(FindingCodes.PreferenceOutputNotAssistant, $"{path}[{i}]", $"{key} message {i} is not an assistant message.", "Give the output as {\"role\": \"assistant\", \"content\": \"...\"}.");
        }
        return o;
    }

    private static ExampleDigest? PromptCompletion(JsonElement root, FindingSink sink, ITokenCounter counter)
    {
        foreach (var key in (ReadOnlySpan<string>)["prompt", "completion"])
        {
            if (!root.TryGetProperty(key, out var v) || v.ValueKind != JsonValueKind.String)
                sink.Error(FindingCodes.MissingPromptOrCompletion, "$." + key, $"\"{key}\" is missing or not a string.", $"Add \"{key}\": \"...\".");
        }
        if (sink.HasErrors) return null;
        var prompt = root.GetProperty("prompt").GetString()!;
        var completion = root.GetProperty("completion").GetString()!;
        return new ExampleDigest(sink.Line, prompt, completion, null, counter.CountText(prompt) + counter.CountText(completion));
    }

    /// <summary>
    /// The messages and tools of a chat or reinforcement example, as <see cref="OpenAiJson.FromElement{T}"/> gives them.
    /// With <paramref name="direct"/> (the element is no deeper than the serializer's depth cap, so it cannot fail there), a root whose keys are only <c>messages</c> and <c>tools</c>, each once, is read straight from the element
    /// (<see cref="OpenAiChatReader.ReadMessages"/>, the reader the serializer's converter calls for each message, and the
    /// tools deserialised as the typed example's property is), without the serializer re-parsing every message; any
    /// other shape, and any error, takes <see cref="OpenAiJson.FromElement{T}"/> (which throws the error reported).
    /// </summary>
    internal static (List<ChatMessage> Messages, List<ToolDefinition>? Tools) TypedChat<T>(JsonElement root, long line, bool direct, Func<T, (List<ChatMessage>, List<ToolDefinition>?)> parts)
        where T : class
    {
        if (direct && DirectShape(root, out var messages, out var tools))
        {
            try
            {
                var list = OpenAiChatReader.ReadMessages(messages);
                if (!list.Contains(null!))
                    return (list, tools.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? null : tools.Deserialize<List<ToolDefinition>>(OpenAiJson.Options));
            }
#pragma warning disable CA1031 // any failure of the direct read: the typed read below fails (or not) as it always did
            catch (Exception)
            {
            }
#pragma warning restore CA1031
        }
        return parts(OpenAiJson.FromElement<T>(root, "", line));
    }

    private static bool DirectShape(JsonElement root, out JsonElement messages, out JsonElement tools)
    {
        messages = tools = default;
        if (root.ValueKind != JsonValueKind.Object) return false;
        var seenMessages = false;
        var seenTools = false;
        foreach (var p in root.EnumerateObject())
        {
            if (p.NameEquals("messages") && !seenMessages)
            {
                seenMessages = true;
                messages = p.Value;
            }
            else if (p.NameEquals("tools") && !seenTools)
            {
                seenTools = true;
                tools = p.Value;
            }
            else
            {
                return false;
            }
        }
        return seenMessages && messages.ValueKind == JsonValueKind.Array;
    }

    private static string? SystemPrompt(IEnumerable<ChatMessage> messages) =>
        messages.FirstOrDefault(m => m.Role.Value is OpenAiRoles.System or OpenAiRoles.Developer)?.ContentText();

    /// <summary>A stable text rendering of messages for hashing and similarity.</summary>
    internal static string Text(IEnumerable<ChatMessage> messages, bool withRole = true)
    {
        var sb = TakeBuilder();
        try
        {
            AppendText(sb, messages, withRole);
            return sb.ToString();
        }
        finally
        {
            KeepBuilder(sb);
        }
    }

    /// <summary>An empty builder for a digest text: the one this thread keeps, or a new one.</summary>
    internal static StringBuilder TakeBuilder()
    {
        var sb = t_text ?? new StringBuilder();
        t_text = null; // taken: a nested call (none today) would make its own
        return sb.Clear();
    }

    /// <summary>Gives back a builder from <see cref="TakeBuilder"/> (kept unless it grew too large).</summary>
    internal static void KeepBuilder(StringBuilder sb)
    {
        if (sb.Capacity <= MaxKeptTextChars) t_text = sb;
    }

    /// <summary>Largest builder a thread keeps for the next <see cref="Text"/>.</summary>
    private const int MaxKeptTextChars = 1 << 16;

    [ThreadStatic] private static StringBuilder? t_text;

    private static void AppendText(StringBuilder sb, IEnumerable<ChatMessage> messages, bool withRole)
    {
        foreach (var m in messages)
        {
            if (withRole) sb.Append(m.Role.Value).Append(": ");
            sb.Append(m.ContentText());
            for (var i = 0; i < m.Contents.Count; i++)
                if (m.Contents[i] is FunctionCallContent c) sb.Append(" [call ").Append(c.Name).Append(' ').Append(OpenAiChatWriter.ArgumentsText(c)).Append(']');
            sb.Append('\n');
        }
    }
}
