using System.Globalization;
using System.Text.Json;
using Hone.Evals.Templating;

namespace Hone.Evals.Graders.Json;

/// <summary>Helpers to get JSON values out of templates and relative field paths.</summary>
internal static class JsonValues
{
    /// <summary>
    /// The template's value as JSON: a sole reference gives the referenced element, and a string (from a reference or
    /// rendered text) is parsed as JSON. False with the parser's message when the text is not JSON.
    /// </summary>
    public static bool TryResolve(Template t, GradeContext ctx, out JsonElement value, out string? error)
    {
        var v = t.ResolveJson(ctx);
        if (v.ValueKind != JsonValueKind.String)
        {
            value = v;
            error = null;
            return true;
        }
        return JsonValidGrader.TryParse(v.GetString()!, out value, out error);
    }

    /// <summary>Follows a relative path such as <c>address.city</c> or <c>items.0.sku</c> / <c>items[0].sku</c>; <c>items[-1]</c> is the last element.</summary>
    public static bool TryGet(JsonElement root, string path, out JsonElement value)
    {
        value = root;
        foreach (var raw in path.Replace("[", ".", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal).Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty(raw, out var next)) value = next;
            else if (value.ValueKind == JsonValueKind.Array && int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)
                && (i < 0 ? value.GetArrayLength() + i : i) is var at && at >= 0 && at < value.GetArrayLength()) value = value[at];
            else return false;
        }
        return true;
    }
}
