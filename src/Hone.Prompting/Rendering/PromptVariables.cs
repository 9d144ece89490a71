using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Evals.Specs;

namespace Hone.Prompting.Rendering;

/// <summary>The variables a prompt's templates read for one case: each field of the case, and <c>case</c> (the whole object).</summary>
public static class PromptVariables
{
    /// <summary>The variable holding the whole case.</summary>
    public const string CaseKey = "case";

    /// <summary>The variables of <paramref name="c"/>.</summary>
    public static Dictionary<string, JsonNode?> Of(GoldenCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return Of(c.Item);
    }

    /// <summary>The variables of a JSON object.</summary>
    public static Dictionary<string, JsonNode?> Of(JsonElement item)
    {
        var vars = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (item.ValueKind == JsonValueKind.Object)
            foreach (var p in item.EnumerateObject()) vars[p.Name] = JsonNode.Parse(p.Value.GetRawText());
        vars[CaseKey] = JsonNode.Parse(item.GetRawText());
        return vars;
    }

    /// <summary>How errors name a case: <c>case 'ID' (FILE:LINE)</c>.</summary>
    public static string Label(GoldenCase c, string? goldenPath)
    {
        ArgumentNullException.ThrowIfNull(c);
        return goldenPath is null ? $"case '{c.Id}'" : $"case '{c.Id}' ({goldenPath}:{c.Line})";
    }
}
