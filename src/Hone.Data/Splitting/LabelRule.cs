using System.Text.Json;
using Hone.Data.Model;

namespace Hone.Data.Splitting;

/// <summary>
/// What the label of an example is, for stratifying. <c>"label"</c> means the assistant's final answer (chat: the last
/// assistant message; preference: the preferred output; prompt/completion: the completion), trimmed, usable when the
/// answers fall into a small set of labels; a record that has a top-level string or number field named <c>label</c>
/// uses that field instead. Any other name is a top-level field of the record (its string, number or boolean value).
/// </summary>
public static class LabelRule
{
    /// <summary>The name meaning "the assistant's final answer".</summary>
    public const string AssistantAnswer = "label";

    /// <summary>The label of a record, or null when it has none.</summary>
    public static string? Of(JsonElement record, string rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (record.ValueKind != JsonValueKind.Object) return null;
        if (rule != AssistantAnswer || (record.TryGetProperty(rule, out var direct) && direct.ValueKind is JsonValueKind.String or JsonValueKind.Number))
            return Field(record, rule);
        return FinalAnswer(record);
    }

    /// <summary>The value of a top-level field as text, or null.</summary>
    public static string? Field(JsonElement record, string name)
    {
        if (record.ValueKind != JsonValueKind.Object || !record.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
            JsonValueKind.Null => null,
            _ => v.GetRawText(),
        };
    }

    private static string? FinalAnswer(JsonElement record)
    {
        if (record.TryGetProperty("completion", out var completion) && completion.ValueKind == JsonValueKind.String)
            return completion.GetString()!.Trim();
        var list = record.TryGetProperty("preferred_output", out var preferred) ? preferred
            : record.TryGetProperty("messages", out var messages) ? messages : default;
        if (list.ValueKind != JsonValueKind.Array) return null;
        string? last = null;
        foreach (var m in list.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var role) || role.GetString() != OpenAiRoles.Assistant) continue;
            last = m.TryGetProperty("content", out var c) ? Text(c) : null;
        }
        return last?.Trim();
    }

    private static string? Text(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString(),
        JsonValueKind.Array => string.Concat(content.EnumerateArray()
            .Where(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            .Select(p => p.GetProperty("text").GetString())),
        _ => null,
    };

    /// <summary>
    /// The text compared for near-duplicates: every message's text except system/developer prompts (shared prompts would
    /// make every pair look alike), plus prompt/completion and preference outputs.
    /// </summary>
    public static string ComparableText(JsonElement record)
    {
        if (record.ValueKind != JsonValueKind.Object) return record.GetRawText();
        var parts = new List<string>();
        void Messages(JsonElement list)
        {
            if (list.ValueKind != JsonValueKind.Array) return;
            foreach (var m in list.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object) continue;
                var role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                if (role is OpenAiRoles.System or OpenAiRoles.Developer) continue;
                if (m.TryGetProperty("content", out var c) && Text(c) is { } t) parts.Add(t);
            }
        }
        if (record.TryGetProperty("messages", out var msgs)) Messages(msgs);
        if (record.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Object && input.TryGetProperty("messages", out var im)) Messages(im);
        if (record.TryGetProperty("preferred_output", out var po)) Messages(po);
        if (record.TryGetProperty("non_preferred_output", out var npo)) Messages(npo);
        foreach (var key in new[] { "prompt", "completion" })
            if (record.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String) parts.Add(v.GetString()!);
        return string.Join("\n", parts);
    }
}
