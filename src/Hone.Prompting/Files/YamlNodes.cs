using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Hone.Prompting.Files;

/// <summary>A YAML mapping of a prompt file read side by side with its JSON form: values from JSON, lines from YAML.</summary>
internal sealed class YamlNodes(string file, YamlMappingNode node, JsonElement json, string prefix)
{
    public string File => file;

    public JsonElement Json => json;

    public YamlMappingNode Node => node;

    public int Line => (int)node.Start.Line;

    public bool Has(string key) => json.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    public YamlNode? Child(string key) => node.Children.TryGetValue(new YamlScalarNode(key), out var n) ? n : null;

    public int LineOf(string key) => node.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => k.Value == key) is { } k ? (int)k.Start.Line : Line;

    public PromptFileException Error(string key, string message) => new(file, LineOf(key), $"{prefix}{key}: {message}");

    public void CheckKeys(params string[] allowed)
    {
        foreach (var k in node.Children.Keys)
        {
            var name = (k as YamlScalarNode)?.Value ?? "?";
            if (!allowed.Contains(name, StringComparer.Ordinal))
                throw new PromptFileException(file, (int)k.Start.Line, $"unknown key '{prefix}{name}'. Valid keys here: {string.Join(", ", allowed)}.");
        }
    }

    public string? Str(string key)
    {
        if (!Has(key)) return null;
        var v = json.GetProperty(key);
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Error(key, $"must be text; got {v.ValueKind.ToString().ToLowerInvariant()}.");
    }

    /// <summary>The line where a scalar's text starts (the line after '|' or '>' for a block scalar).</summary>
    public int TextLine(string key) => Child(key) is YamlScalarNode s
        ? (int)s.Start.Line + (s.Style is ScalarStyle.Literal or ScalarStyle.Folded ? 1 : 0)
        : LineOf(key);

    public double? Num(string key, double min, double max)
    {
        if (!Has(key)) return null;
        var v = json.GetProperty(key);
        if (v.ValueKind == JsonValueKind.Number && v.GetDouble() is var d && d >= min && d <= max) return d;
        throw Error(key, $"must be a number from {min} to {max}; got {v.GetRawText()}.");
    }

    public long? Int(string key, long min, long max)
    {
        if (!Has(key)) return null;
        var v = json.GetProperty(key);
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var i) && i >= min && i <= max) return i;
        throw Error(key, $"must be an integer from {min} to {max}; got {v.GetRawText()}.");
    }

    public IReadOnlyList<string> Strings(string key)
    {
        if (!Has(key)) return [];
        var v = json.GetProperty(key);
        if (v.ValueKind == JsonValueKind.String) return [v.GetString()!];
        if (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(x => x.ValueKind is JsonValueKind.String or JsonValueKind.Number))
            return [.. v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : x.GetRawText())];
        throw Error(key, "must be a list of strings.");
    }

    public YamlNodes Map(string key)
    {
        if (Child(key) is YamlMappingNode m) return new YamlNodes(file, m, json.GetProperty(key), $"{prefix}{key}.");
        throw Error(key, "must be a mapping (key: value lines below it).");
    }

    public IReadOnlyList<YamlNodes> Maps(string key)
    {
        if (!Has(key)) return [];
        if (Child(key) is not YamlSequenceNode seq) throw Error(key, "must be a list ('- ...' lines below it).");
        var arr = json.GetProperty(key);
        var list = new List<YamlNodes>();
        for (int i = 0; i < seq.Children.Count; i++)
        {
            if (seq.Children[i] is not YamlMappingNode m)
                throw new PromptFileException(file, (int)seq.Children[i].Start.Line, $"{prefix}{key}[{i}]: each entry must be a mapping.");
            list.Add(new YamlNodes(file, m, arr[i], $"{prefix}{key}[{i}]."));
        }
        return list;
    }
}
