using Microsoft.Extensions.AI;

namespace Hone.Data.Model;

/// <summary>What data code reads of a Microsoft.Extensions.AI message besides its contents: its text and its file-only weight.</summary>
public static class ChatMessageText
{
    /// <summary>The text of the content (the string, or the text parts joined; a tool message's result), or "" when there is none.</summary>
    public static string ContentText(this ChatMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var text = m.Text;
        if (text.Length > 0) return text;
        for (var i = 0; i < m.Contents.Count; i++)
        {
            if (m.Contents[i] is FunctionResultContent r) return r.Result is { } result ? result as string ?? result.ToString() ?? "" : text;
        }
        return text;
    }

    /// <summary>The message's <c>weight</c> (0: do not train on it, 1: train on it), or null when the file gave none (1).</summary>
    public static int? Weight(this ChatMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return m.AdditionalProperties?.TryGetValue(OpenAiChatReader.WeightKey, out var w) == true && w is int i ? i : null;
    }

    /// <summary>Sets (or, with null, removes) the message's <c>weight</c>; returns the message.</summary>
    public static ChatMessage WithWeight(this ChatMessage m, int? weight)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (weight is { } w) (m.AdditionalProperties ??= [])[OpenAiChatReader.WeightKey] = w;
        else m.AdditionalProperties?.Remove(OpenAiChatReader.WeightKey);
        return m;
    }
}
