using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hone.Evals.Graders.Json;

/// <summary>
/// A JSON Schema validator for the commonly used subset: <c>type</c> (string or list; <c>integer</c> included),
/// <c>properties</c>, <c>required</c>, <c>additionalProperties</c> (boolean or schema), <c>enum</c>, <c>const</c>,
/// <c>items</c> (one schema for every element), <c>minItems</c>/<c>maxItems</c>, <c>minimum</c>/<c>maximum</c>,
/// <c>exclusiveMinimum</c>/<c>exclusiveMaximum</c> (numbers), <c>minLength</c>/<c>maxLength</c> (Unicode code points),
/// <c>pattern</c> (.NET regex, unanchored as in JSON Schema, 1 s match limit), <c>anyOf</c>/<c>oneOf</c>/<c>allOf</c>,
/// <c>not</c>. Annotations (<c>title</c>, <c>description</c>, <c>$schema</c>, <c>$id</c>, <c>$comment</c>,
/// <c>default</c>, <c>examples</c>) are allowed and ignored. Any other keyword (e.g. <c>$ref</c>) is rejected when the
/// schema is loaded, so a schema is never silently half-checked.
/// </summary>
public sealed class JsonSchema
{
    private static readonly string[] Keywords =
    [
        "type", "properties", "required", "additionalProperties", "enum", "const", "items", "minItems", "maxItems",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern",
        "anyOf", "oneOf", "allOf", "not",
        "title", "description", "$schema", "$id", "$comment", "default", "examples",
    ];

    private static readonly string[] Types = ["object", "array", "string", "number", "integer", "boolean", "null"];
    private static readonly TimeSpan RegexLimit = TimeSpan.FromSeconds(1);

    private readonly JsonElement _root;
    private readonly Dictionary<string, Regex> _patterns = new(StringComparer.Ordinal);

    private JsonSchema(JsonElement root) => _root = root;

    /// <summary>The schema document.</summary>
    public JsonElement Root => _root;

    /// <summary>Loads and checks a schema; throws <see cref="ArgumentException"/> naming the schema path of a bad keyword.</summary>
    public static JsonSchema Load(JsonElement schema)
    {
        var s = new JsonSchema(schema.Clone());
        s.Check(s._root, "#", 0);
        return s;
    }

    /// <summary>Validates an instance; an empty list means it conforms.</summary>
    public IReadOnlyList<JsonSchemaError> Validate(JsonElement instance)
    {
        var errors = new List<JsonSchemaError>();
        Validate(_root, instance, "$", errors);
        return errors;
    }

    private void Check(JsonElement s, string at, int depth)
    {
        if (depth > 64) throw new ArgumentException($"schema {at}: nested deeper than 64 levels.");
        if (s.ValueKind is JsonValueKind.True or JsonValueKind.False) return;
        if (s.ValueKind != JsonValueKind.Object) throw new ArgumentException($"schema {at}: a schema must be an object or a boolean.");
        foreach (var p in s.EnumerateObject())
        {
            var here = $"{at}/{p.Name}";
            var v = p.Value;
            switch (p.Name)
            {
                case "type":
                    var names = v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToList() : [v];
                    foreach (var t in names)
                        if (t.ValueKind != JsonValueKind.String || Array.IndexOf(Types, t.GetString()) < 0)
                            throw new ArgumentException($"schema {here}: unknown type {t.GetRawText()}; valid types: {string.Join(", ", Types)}.");
                    break;
                case "properties":
                    if (v.ValueKind != JsonValueKind.Object) throw new ArgumentException($"schema {here}: must be an object of schemas.");
                    foreach (var q in v.EnumerateObject()) Check(q.Value, $"{here}/{q.Name}", depth + 1);
                    break;
                case "required":
                    if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                        throw new ArgumentException($"schema {here}: must be a list of property names.");
                    break;
                case "additionalProperties" or "items" or "not":
                    Check(v, here, depth + 1);
                    break;
                case "enum":
                    if (v.ValueKind != JsonValueKind.Array) throw new ArgumentException($"schema {here}: must be a list of values.");
                    break;
                case "anyOf" or "oneOf" or "allOf":
                    if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0) throw new ArgumentException($"schema {here}: must be a non-empty list of schemas.");
                    int i = 0;
                    foreach (var sub in v.EnumerateArray()) Check(sub, $"{here}/{i++}", depth + 1);
                    break;
                case "minItems" or "maxItems" or "minLength" or "maxLength":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n) || n < 0)
                        throw new ArgumentException($"schema {here}: must be a non-negative integer.");
                    break;
                case "minimum" or "maximum" or "exclusiveMinimum" or "exclusiveMaximum":
                    if (v.ValueKind != JsonValueKind.Number) throw new ArgumentException($"schema {here}: must be a number.");
                    break;
                case "pattern":
                    if (v.ValueKind != JsonValueKind.String) throw new ArgumentException($"schema {here}: must be a regular expression string.");
                    try
                    {
                        _patterns.TryAdd(v.GetString()!, new Regex(v.GetString()!, RegexOptions.CultureInvariant, RegexLimit));
                    }
                    catch (ArgumentException e)
                    {
                        throw new ArgumentException($"schema {here}: invalid regular expression: {e.Message}");
                    }
                    break;
                default:
                    if (Array.IndexOf(Keywords, p.Name) < 0)
                        throw new ArgumentException($"schema {here}: unsupported keyword '{p.Name}'; supported: {string.Join(", ", Keywords)}.");
                    break;
            }
        }
    }

    private bool Conforms(JsonElement s, JsonElement x)
    {
        var sink = new List<JsonSchemaError>();
        Validate(s, x, "$", sink);
        return sink.Count == 0;
    }

    private void Validate(JsonElement s, JsonElement x, string path, List<JsonSchemaError> errors)
    {
        if (s.ValueKind == JsonValueKind.True) return;
        if (s.ValueKind == JsonValueKind.False)
        {
            errors.Add(new(path, "no value is allowed here."));
            return;
        }
        if (s.TryGetProperty("type", out var type) && !TypeMatches(type, x))
        {
            errors.Add(new(path, $"expected type {type.GetRawText()}, found {KindName(x)}."));
            return;
        }
        if (s.TryGetProperty("const", out var c) && !JsonEquality.Equal(c, x))
            errors.Add(new(path, $"must equal {c.GetRawText()}."));
        if (s.TryGetProperty("enum", out var en) && !en.EnumerateArray().Any(e => JsonEquality.Equal(e, x)))
            errors.Add(new(path, $"must be one of {en.GetRawText()}."));
        switch (x.ValueKind)
        {
            case JsonValueKind.Object: ValidateObject(s, x, path, errors); break;
            case JsonValueKind.Array: ValidateArray(s, x, path, errors); break;
            case JsonValueKind.String: ValidateString(s, x, path, errors); break;
            case JsonValueKind.Number: ValidateNumber(s, x, path, errors); break;
        }
        if (s.TryGetProperty("allOf", out var all))
            foreach (var sub in all.EnumerateArray()) Validate(sub, x, path, errors);
        if (s.TryGetProperty("anyOf", out var any) && !any.EnumerateArray().Any(sub => Conforms(sub, x)))
            errors.Add(new(path, "matches none of the anyOf schemas."));
        if (s.TryGetProperty("oneOf", out var one))
        {
            int matched = one.EnumerateArray().Count(sub => Conforms(sub, x));
            if (matched != 1) errors.Add(new(path, $"must match exactly one oneOf schema, matched {matched}."));
        }
        if (s.TryGetProperty("not", out var not) && Conforms(not, x))
            errors.Add(new(path, "matches the schema under 'not'."));
    }

    private void ValidateObject(JsonElement s, JsonElement x, string path, List<JsonSchemaError> errors)
    {
        s.TryGetProperty("properties", out var props);
        if (s.TryGetProperty("required", out var req))
            foreach (var r in req.EnumerateArray())
                if (!x.TryGetProperty(r.GetString()!, out _)) errors.Add(new(path, $"missing required property '{r.GetString()}'."));
        s.TryGetProperty("additionalProperties", out var extra);
        foreach (var p in x.EnumerateObject())
        {
            var sub = $"{path}.{p.Name}";
            if (props.ValueKind == JsonValueKind.Object && props.TryGetProperty(p.Name, out var ps)) Validate(ps, p.Value, sub, errors);
            else if (extra.ValueKind == JsonValueKind.False) errors.Add(new(sub, "additional property not allowed."));
            else if (extra.ValueKind == JsonValueKind.Object) Validate(extra, p.Value, sub, errors);
        }
    }

    private void ValidateArray(JsonElement s, JsonElement x, string path, List<JsonSchemaError> errors)
    {
        int n = x.GetArrayLength();
        if (s.TryGetProperty("minItems", out var min) && n < min.GetInt32()) errors.Add(new(path, $"has {n} items, fewer than minItems {min.GetInt32()}."));
        if (s.TryGetProperty("maxItems", out var max) && n > max.GetInt32()) errors.Add(new(path, $"has {n} items, more than maxItems {max.GetInt32()}."));
        if (s.TryGetProperty("items", out var items))
            for (int i = 0; i < n; i++) Validate(items, x[i], $"{path}[{i}]", errors);
    }

    private void ValidateString(JsonElement s, JsonElement x, string path, List<JsonSchemaError> errors)
    {
        var str = x.GetString()!;
        int len = str.EnumerateRunes().Count();
        if (s.TryGetProperty("minLength", out var min) && len < min.GetInt32()) errors.Add(new(path, $"length {len} is below minLength {min.GetInt32()}."));
        if (s.TryGetProperty("maxLength", out var max) && len > max.GetInt32()) errors.Add(new(path, $"length {len} is above maxLength {max.GetInt32()}."));
        if (s.TryGetProperty("pattern", out var pat))
        {
            try
            {
                if (!_patterns[pat.GetString()!].IsMatch(str)) errors.Add(new(path, $"does not match pattern {pat.GetRawText()}."));
            }
            catch (RegexMatchTimeoutException)
            {
                errors.Add(new(path, $"pattern {pat.GetRawText()} took too long to match; simplify it."));
            }
        }
    }

    private static void ValidateNumber(JsonElement s, JsonElement x, string path, List<JsonSchemaError> errors)
    {
        double v = x.GetDouble();
        string V(JsonElement e) => e.GetDouble().ToString(CultureInfo.InvariantCulture);
        if (s.TryGetProperty("minimum", out var min) && v < min.GetDouble()) errors.Add(new(path, $"{x.GetRawText()} is below minimum {V(min)}."));
        if (s.TryGetProperty("maximum", out var max) && v > max.GetDouble()) errors.Add(new(path, $"{x.GetRawText()} is above maximum {V(max)}."));
        if (s.TryGetProperty("exclusiveMinimum", out var emin) && v <= emin.GetDouble()) errors.Add(new(path, $"{x.GetRawText()} is not above exclusiveMinimum {V(emin)}."));
        if (s.TryGetProperty("exclusiveMaximum", out var emax) && v >= emax.GetDouble()) errors.Add(new(path, $"{x.GetRawText()} is not below exclusiveMaximum {V(emax)}."));
    }

    private static bool TypeMatches(JsonElement type, JsonElement x) =>
        type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Any(t => Is(t.GetString()!, x)) : Is(type.GetString()!, x);

    private static bool Is(string type, JsonElement x) => type switch
    {
        "object" => x.ValueKind == JsonValueKind.Object,
        "array" => x.ValueKind == JsonValueKind.Array,
        "string" => x.ValueKind == JsonValueKind.String,
        "number" => x.ValueKind == JsonValueKind.Number,
        "integer" => x.ValueKind == JsonValueKind.Number && IsInteger(x),
        "boolean" => x.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => x.ValueKind == JsonValueKind.Null,
        _ => false,
    };

    private static bool IsInteger(JsonElement x) =>
        x.TryGetDecimal(out var d) ? decimal.Truncate(d) == d : Math.Floor(x.GetDouble()) == x.GetDouble();

    private static string KindName(JsonElement x) => x.ValueKind switch
    {
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => x.ValueKind.ToString().ToLowerInvariant(),
    };
}
