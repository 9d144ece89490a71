using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Hone.Training.Handoff;

/// <summary>Writes a JSON tree as block-style YAML (maps, lists, scalars; strings quoted when YAML would read them otherwise).</summary>
internal static class Yaml
{
    public static string Write(JsonObject root, string? header = null)
    {
        var sb = new StringBuilder();
        if (header is not null) foreach (var line in header.Split('\n')) sb.Append("# ").Append(line).Append('\n');
        Map(sb, root, 0);
        return sb.ToString();
    }

    private static void Map(StringBuilder sb, JsonObject map, int indent)
    {
        foreach (var (key, value) in map)
        {
            sb.Append(' ', indent).Append(key).Append(':');
            Value(sb, value, indent);
        }
    }

    private static void Value(StringBuilder sb, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject { Count: 0 }:
                sb.Append(" {}\n");
                break;
            case JsonObject o:
                sb.Append('\n');
                Map(sb, o, indent + 2);
                break;
            case JsonArray { Count: 0 }:
                sb.Append(" []\n");
                break;
            case JsonArray a:
                sb.Append('\n');
                foreach (var item in a)
                {
                    sb.Append(' ', indent + 2).Append('-');
                    if (item is JsonObject io)
                    {
                        bool first = true;
                        foreach (var (k, v) in io)
                        {
                            if (first) sb.Append(' ').Append(k).Append(':');
                            else sb.Append(' ', indent + 4).Append(k).Append(':');
                            Value(sb, v, indent + 4);
                            first = false;
                        }
                    }
                    else
                    {
                        sb.Append(' ').Append(Scalar(item)).Append('\n');
                    }
                }
                break;
            default:
                sb.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    /// <summary>A JSON number as YAML 1.1 reads it as a float: 1E-05 becomes 1.0e-05 (PyYAML reads "1e-05" as a string).</summary>
    internal static string Number(string json)
    {
        int e = json.IndexOfAny(['e', 'E']);
        if (e < 0) return json;
        var mantissa = json[..e];
        if (!mantissa.Contains('.', StringComparison.Ordinal)) mantissa += ".0";
        var exponent = json[(e + 1)..];
        if (exponent[0] != '-' && exponent[0] != '+') exponent = "+" + exponent;
        return mantissa + "e" + exponent;
    }

    private static string Scalar(JsonNode? v)
    {
        if (v is null) return "null";
        var kind = v.GetValueKind();
        if (kind is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False) return kind == System.Text.Json.JsonValueKind.True ? "true" : "false";
        if (kind == System.Text.Json.JsonValueKind.Number) return Number(v.ToJsonString());
        if (v is JsonValue sv && sv.TryGetValue<string>(out var s))
        {
            bool plain = s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '/' or '.')
                && !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _) && s is not ("true" or "false" or "null" or "yes" or "no" or "on" or "off");
            return plain ? s : JsonValue.Create(s)!.ToJsonString();
        }
        return v.ToJsonString();
    }
}
