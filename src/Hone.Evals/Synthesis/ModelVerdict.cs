using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hone.Evals.Synthesis;

/// <summary>Reads the one JSON object a checking model (verifier, reviewer) is asked to answer with.</summary>
public static class ModelVerdict
{
    /// <summary>
    /// The JSON object in <paramref name="text"/>: the whole text, else the span from its first <c>{</c> to its last
    /// <c>}</c> (models wrap answers in prose or code fences); null when there is none.
    /// </summary>
    public static JsonObject? Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var candidate in new[] { text.Trim(), Span(text) })
        {
            if (candidate is null) continue;
            try
            {
                if (JsonNode.Parse(candidate) is JsonObject o) return o;
            }
            catch (JsonException)
            {
                // try the next reading
            }
        }
        return null;
    }

    /// <summary>A string field, or null when absent or not a string.</summary>
    public static string? String(JsonObject o, string name)
    {
        ArgumentNullException.ThrowIfNull(o);
        return o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    }

    private static string? Span(string text)
    {
        int a = text.IndexOf('{', StringComparison.Ordinal), b = text.LastIndexOf('}');
        return a >= 0 && b > a ? text[a..(b + 1)] : null;
    }
}
