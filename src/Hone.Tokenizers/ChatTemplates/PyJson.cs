using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hone.Tokenizers.ChatTemplates;

/// <summary>
/// Python's <c>json.dumps(x, ensure_ascii=False, indent=indent)</c> (what Hugging Face's <c>tojson</c> does), and the
/// conversion of System.Text.Json values into template values.
/// </summary>
internal static class PyJson
{
    public static string Dumps(object? v, int? indent, bool sortKeys = false, bool compact = false)
    {
        // The thread's builder (taken while in use, kept when not too large): tojson runs on every render of a template
        // with tools.
        var sb = t_builder ?? new StringBuilder();
        t_builder = null;
        sb.Clear();
        try
        {
            Write(sb, v, indent, 0, sortKeys, compact);
            return sb.ToString();
        }
        finally
        {
            if (sb.Capacity <= MaxKeptChars) t_builder = sb;
        }
    }

    /// <summary>Largest builder a thread keeps for its next <see cref="Dumps"/>.</summary>
    private const int MaxKeptChars = 1 << 16;

    [ThreadStatic] private static StringBuilder? t_builder;

    private static void Newline(StringBuilder sb, int? indent, int level)
    {
        if (indent is null) return;
        sb.Append('\n').Append(' ', indent.Value * level);
    }

    private static void Write(StringBuilder sb, object? v, int? indent, int level, bool sortKeys, bool compact = false)
    {
        string itemSeparator = indent is null && !compact ? ", " : ",", keySeparator = compact ? ":" : ": ";
        if (level > 200) throw new TemplateError("ValueError: value nested too deeply for tojson");
        switch (v)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : Py.FloatRepr(d));
                break;
            case string or TrackedString: Str(sb, Py.StrOf(v)); break;
            case PyList list:
                if (list.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(itemSeparator);
                    Newline(sb, indent, level + 1);
                    Write(sb, list.Items[i], indent, level + 1, sortKeys, compact);
                }
                Newline(sb, indent, level);
                sb.Append(']');
                break;
            case PyDict dict:
                if (dict.Count == 0) { sb.Append("{}"); break; }
                sb.Append('{');
                var first = true;
                var pairs = sortKeys ? dict.Pairs.OrderBy(p => Py.StrOf(PyDict.DenormKey(p.Key)), StringComparer.Ordinal) : dict.Pairs;
                foreach (var kv in pairs)
                {
                    if (!first) sb.Append(itemSeparator);
                    first = false;
                    Newline(sb, indent, level + 1);
                    var key = PyDict.DenormKey(kv.Key);
                    switch (key)
                    {
                        case string s: Str(sb, s); break;
                        case null: sb.Append("\"null\""); break;
                        case long or double: sb.Append('"').Append(Py.StrOf(key)).Append('"'); break;
                        default: throw new TemplateError($"TypeError: keys must be str, int, float, bool or None, not {Py.TypeName(key)}");
                    }
                    sb.Append(keySeparator);
                    Write(sb, kv.Value, indent, level + 1, sortKeys, compact);
                }
                Newline(sb, indent, level);
                sb.Append('}');
                break;
            case PyIterator it:
                throw new TemplateError($"TypeError: Object of type {it.Kind} is not JSON serializable (tojson needs a list; "
                    + (it.Kind == "generator" ? "in Jinja2 map, select, reject, selectattr, rejectattr, unique, batch and items give a generator; " : "")
                    + "add |list before |tojson)");
            default:
                throw new TemplateError($"TypeError: Object of type {Py.TypeName(v)} is not JSON serializable");
        }
    }

    private static void Str(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>Converts a JSON value to a template value. Strings below an owned root are tracked for spans.</summary>
    public static object? FromNode(JsonNode? node, int owner = -1, bool toolCalls = false, int depth = 0)
    {
        if (depth > 128) throw new ChatTemplateException("input JSON nests more than 128 levels deep");
        switch (node)
        {
            case null: return null;
            case JsonObject o:
            {
                var d = new PyDict { Owner = owner, ToolCalls = toolCalls };
                for (var j = 0; j < o.Count; j++)
                {
                    var (k, v) = o.GetAt(j);
                    d.Set(k, FromNode(v, owner, toolCalls, depth + 1));
                }
                return d;
            }
            case JsonArray a:
            {
                var items = new List<object?>(a.Count);
                for (var j = 0; j < a.Count; j++) items.Add(FromNode(a[j], owner, toolCalls, depth + 1));
                return new PyList(items) { Owner = owner, ToolCalls = toolCalls };
            }
            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case JsonValueKind.String:
                    {
                        var s = v.GetValue<string>();
                        return owner >= 0 ? TrackedString.Owned(s, owner, toolCalls) : s;
                    }
                    case JsonValueKind.Number: return Number(v.ToJsonString());
                    case JsonValueKind.True: return true;
                    case JsonValueKind.False: return false;
                    default: return null;
                }
            default: return null;
        }
    }

    /// <summary>A JSON number as Python's json.loads reads it: int unless it has a fraction or exponent.</summary>
    private static object Number(string raw)
    {
        if (raw.IndexOfAny(['.', 'e', 'E']) < 0 && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
        return double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    public static object? FromElement(JsonElement e, int owner = -1, bool toolCalls = false, int depth = 0)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
            {
                var s = e.GetString()!;
                return owner >= 0 ? TrackedString.Owned(s, owner, toolCalls) : s;
            }
            case JsonValueKind.Number: return Number(e.GetRawText());
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.Null: return null;
            case JsonValueKind.Object:
            {
                // A repeated key keeps its last value, as Python's json.loads does.
                if (depth > 128) throw new ChatTemplateException("input JSON nests more than 128 levels deep");
                var d = new PyDict { Owner = owner, ToolCalls = toolCalls };
                foreach (var p in e.EnumerateObject()) d.Set(p.Name, FromElement(p.Value, owner, toolCalls, depth + 1));
                return d;
            }
            case JsonValueKind.Array:
            {
                if (depth > 128) throw new ChatTemplateException("input JSON nests more than 128 levels deep");
                var items = new List<object?>(e.GetArrayLength());
                foreach (var x in e.EnumerateArray()) items.Add(FromElement(x, owner, toolCalls, depth + 1));
                return new PyList(items) { Owner = owner, ToolCalls = toolCalls };
            }
            default: return null;
        }
    }
}
