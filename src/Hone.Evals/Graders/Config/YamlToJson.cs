using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Hone.Evals.Graders.Config;

/// <summary>
/// Converts a YAML document to JSON with YAML 1.2 core-schema scalars: plain <c>null</c>/<c>~</c>/empty → null,
/// <c>true</c>/<c>false</c> → booleans, plain numbers → numbers, everything else (and every quoted scalar) → strings.
/// Aliases are rejected (no billion-laughs expansion); duplicate keys are errors.
/// </summary>
public static class YamlToJson
{
    private const int MaxDepth = 64;
    private const int MaxChars = 4_000_000;

    /// <summary>Converts one YAML document; throws <see cref="GraderConfigException"/> with the line and column of a syntax error.</summary>
    public static JsonElement Convert(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        if (yaml.Length > MaxChars) throw new GraderConfigException("$", $"the YAML is {yaml.Length} characters; the limit is {MaxChars}.");
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new GraderConfigException("$", $"invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}");
        }
        if (stream.Documents.Count != 1)
            throw new GraderConfigException("$", $"expected exactly one YAML document, found {stream.Documents.Count}.");
        var node = ToNode(stream.Documents[0].RootNode, "$", 0);
        return JsonSerializer.SerializeToElement(node);
    }

    private static JsonNode? ToNode(YamlNode node, string path, int depth)
    {
        if (depth > MaxDepth) throw new GraderConfigException(path, $"nesting deeper than {MaxDepth} levels.");
        if (!node.Anchor.IsEmpty)
            throw new GraderConfigException(path, $"YAML anchors and aliases are not supported (line {node.Start.Line}); write the value out.");
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode ks || ks.Value is null)
                        throw new GraderConfigException(path, $"keys must be plain strings (line {k.Start.Line}).");
                    if (obj.ContainsKey(ks.Value))
                        throw new GraderConfigException($"{path}.{ks.Value}", $"duplicate key (line {k.Start.Line}).");
                    obj[ks.Value] = ToNode(v, $"{path}.{ks.Value}", depth + 1);
                }
                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                int i = 0;
                foreach (var c in seq.Children) arr.Add(ToNode(c, $"{path}[{i++}]", depth + 1));
                return arr;
            case YamlScalarNode s:
                return Scalar(s);
            default:
                throw new GraderConfigException(path, $"unsupported YAML node at line {node.Start.Line}.");
        }
    }

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(v);
        switch (v)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (LooksNumeric(v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
            return JsonValue.Create(d);
        }
        return JsonValue.Create(v);
    }

    private static bool LooksNumeric(string v) =>
        v.Length > 0 && (char.IsAsciiDigit(v[0]) || (v.Length > 1 && v[0] is '-' or '+' or '.' && (char.IsAsciiDigit(v[1]) || v[1] == '.')));
}
