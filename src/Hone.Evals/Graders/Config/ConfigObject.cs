using System.Globalization;
using System.Text.Json;
using Hone.Evals.Templating;

namespace Hone.Evals.Graders.Config;

/// <summary>Strict reader over one JSON object of a grader definition: unknown keys and wrong types are errors.</summary>
internal sealed class ConfigObject
{
    private readonly JsonElement _obj;

    public ConfigObject(JsonElement obj, string path)
    {
        if (obj.ValueKind != JsonValueKind.Object)
            throw new GraderConfigException(path, $"expected an object (a mapping of keys to values), found {Describe(obj)}.");
        _obj = obj;
        Path = path;
    }

    public string Path { get; }

    public JsonElement Element => _obj;

    public string At(string key) => Path + "." + key;

    /// <summary>Throws when the object has a key outside <paramref name="allowed"/>, listing the valid keys.</summary>
    public void AllowOnly(string what, params string[] allowed)
    {
        foreach (var p in _obj.EnumerateObject())
        {
            if (Array.IndexOf(allowed, p.Name) < 0)
                throw new GraderConfigException(At(p.Name), $"unknown key '{p.Name}' for a {what} grader; valid keys: {string.Join(", ", allowed)}.");
        }
    }

    public bool Has(string key) => _obj.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    public JsonElement? Get(string key) => _obj.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public JsonElement Require(string key) =>
        Get(key) ?? throw new GraderConfigException(At(key), $"missing required key '{key}'.");

    public string RequireString(string key)
    {
        var v = Require(key);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new GraderConfigException(At(key), $"expected a string, found {Describe(v)}.");
    }

    public string? OptString(string key)
    {
        var v = Get(key);
        if (v is null) return null;
        return v.Value.ValueKind == JsonValueKind.String ? v.Value.GetString() : throw new GraderConfigException(At(key), $"expected a string, found {Describe(v.Value)}.");
    }

    public double? OptNumber(string key)
    {
        var v = Get(key);
        if (v is null) return null;
        if (v.Value.ValueKind != JsonValueKind.Number || !v.Value.TryGetDouble(out var d) || !double.IsFinite(d))
            throw new GraderConfigException(At(key), $"expected a finite number, found {Describe(v.Value)}.");
        return d;
    }

    public bool? OptBool(string key)
    {
        var v = Get(key);
        if (v is null) return null;
        return v.Value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new GraderConfigException(At(key), $"expected true or false, found {Describe(v.Value)}."),
        };
    }

    /// <summary>A pass threshold in [0, 1], or the default.</summary>
    public double Threshold(double fallback, string key = "pass_threshold")
    {
        var t = OptNumber(key) ?? fallback;
        if (t is < 0 or > 1) throw new GraderConfigException(At(key), $"must be between 0 and 1 (scores are normalised to [0, 1]), found {t.ToString(CultureInfo.InvariantCulture)}.");
        return t;
    }

    /// <summary>
    /// A raw score scale <c>range</c> ([min, max], default [0, 1]) and a <c>pass_threshold</c> on it (default the
    /// midpoint); <paramref name="rangeHint"/> is added to the message when the range is malformed.
    /// </summary>
    public (double Lo, double Hi, double Threshold) ScaleAndThreshold(string rangeHint = "")
    {
        double lo = 0, hi = 1;
        if (Get("range") is { } range)
        {
            if (range.ValueKind != JsonValueKind.Array || range.GetArrayLength() != 2 || range.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number))
                throw new GraderConfigException(At("range"), $"expected [min, max], two numbers{rangeHint}.");
            lo = range[0].GetDouble();
            hi = range[1].GetDouble();
            if (!(hi > lo) || !double.IsFinite(lo) || !double.IsFinite(hi)) throw new GraderConfigException(At("range"), "max must be greater than min.");
        }
        var threshold = OptNumber("pass_threshold") ?? (lo + hi) / 2;
        if (threshold < lo || threshold > hi) throw new GraderConfigException(At("pass_threshold"), $"must lie within the range [{lo}, {hi}].");
        return (lo, hi, threshold);
    }

    public Template RequireTemplate(string key) => ParseTemplate(key, RequireString(key));

    public Template OptTemplate(string key, string fallback) => ParseTemplate(key, OptString(key) ?? fallback);

    public Template ParseTemplate(string key, string text)
    {
        try
        {
            return Template.Parse(text);
        }
        catch (TemplateException e)
        {
            throw new GraderConfigException(At(key), e.Message);
        }
    }

    public T RequireEnum<T>(string key, IReadOnlyDictionary<string, T> choices)
    {
        var s = RequireString(key);
        return choices.TryGetValue(s, out var v)
            ? v
            : throw new GraderConfigException(At(key), $"unknown value '{s}'; valid values: {string.Join(", ", choices.Keys)}.");
    }

    public IReadOnlyList<string> StringList(string key, bool required)
    {
        var v = required ? Require(key) : Get(key);
        if (v is null) return [];
        if (v.Value.ValueKind != JsonValueKind.Array) throw new GraderConfigException(At(key), $"expected a list of strings, found {Describe(v.Value)}.");
        var list = new List<string>();
        int i = 0;
        foreach (var e in v.Value.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String) throw new GraderConfigException($"{At(key)}[{i}]", $"expected a string, found {Describe(e)}.");
            list.Add(e.GetString()!);
            i++;
        }
        return list;
    }

    public static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => $"the string \"{Short(e.GetString()!)}\"",
        JsonValueKind.Number => $"the number {e.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {e.GetRawText()}",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Short(string s) => s.Length <= 40 ? s : s[..37] + "...";
}
