using System.Text;
using System.Text.Json;

namespace Hone.Ui.Pages;

/// <summary>
/// Renders a run's JSON summary readably: scalars as a fact list, arrays of objects (prompt variants, best-of
/// candidates, sweep or scaling points) as tables of their scalar fields, nested objects as sections. All text encoded.
/// </summary>
internal static class JsonView
{
    public static string Render(JsonElement e, int depth = 0)
    {
        var sb = new StringBuilder();
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var scalars = e.EnumerateObject().Where(p => IsScalar(p.Value)).ToList();
                if (scalars.Count > 0)
                {
                    sb.Append("<dl class=\"facts\">");
                    foreach (var p in scalars) sb.Append($"<div><dt>{Html.E(p.Name)}</dt><dd>{Html.E(Scalar(p.Value))}</dd></div>");
                    sb.Append("</dl>");
                }
                foreach (var p in e.EnumerateObject().Where(p => !IsScalar(p.Value)))
                {
                    var h = Math.Min(6, depth + 2);
                    sb.Append($"<h{h}>{Html.E(p.Name)}</h{h}>").Append(depth >= 4 ? $"<pre>{Html.E(p.Value.ToString())}</pre>" : Render(p.Value, depth + 1));
                }
                break;
            case JsonValueKind.Array:
                var items = e.EnumerateArray().ToList();
                if (items.Count > 0 && items.All(i => i.ValueKind == JsonValueKind.Object))
                {
                    var cols = items.SelectMany(i => i.EnumerateObject().Where(p => IsScalar(p.Value)).Select(p => p.Name)).Distinct(StringComparer.Ordinal).ToList();
                    sb.Append("<table class=\"grid\"><thead><tr>");
                    foreach (var c in cols) sb.Append($"<th scope=\"col\">{Html.E(c)}</th>");
                    sb.Append("</tr></thead><tbody>");
                    foreach (var i in items.Take(1000))
                    {
                        sb.Append("<tr>");
                        foreach (var c in cols) sb.Append($"<td>{(i.TryGetProperty(c, out var v) ? Html.E(Scalar(v)) : "")}</td>");
                        sb.Append("</tr>");
                    }
                    sb.Append("</tbody></table>");
                }
                else
                {
                    sb.Append($"<pre>{Html.E(string.Join("\n", items.Take(1000).Select(i => i.ToString())))}</pre>");
                }
                break;
            default:
                sb.Append($"<p>{Html.E(Scalar(e))}</p>");
                break;
        }
        return sb.ToString();
    }

    private static bool IsScalar(JsonElement v) => v.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array);

    private static string Scalar(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString() ?? "",
        JsonValueKind.Number => v.TryGetDouble(out var d) ? Html.N(d) : v.GetRawText(),
        JsonValueKind.Null => "–",
        _ => v.GetRawText(),
    };
}
