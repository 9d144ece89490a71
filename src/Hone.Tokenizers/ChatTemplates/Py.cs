using System.Globalization;
using System.Text;

namespace Hone.Tokenizers.ChatTemplates;

/// <summary>Python semantics for template values: str(), repr(), truthiness, ==, ordering, arithmetic, iteration.</summary>
internal static class Py
{
    /// <summary>True, boxed once (a template's bools are objects; tests and comparisons need not box one each time).</summary>
    public static readonly object True = true;

    /// <summary>False, boxed once.</summary>
    public static readonly object False = false;

    /// <summary><paramref name="b"/> as one of the two shared boxes.</summary>
    public static object Box(bool b) => b ? True : False;

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        TrackedString { IsMarkup: true } => "Markup",
        string or TrackedString => "str",
        PyList l => l.IsTuple ? "tuple" : "list",
        PyIterator it => it.Kind,
        PyDict => "dict",
        Undefined => "Undefined",
        Namespace => "Namespace",
        LoopInfo => "LoopContext",
        MacroValue => "Macro",
        _ => "function",
    };

    public static bool IsStr(object? v) => v is string or TrackedString;
    public static bool IsNumber(object? v) => v is long or double or bool;

    /// <summary>The str of a value as Python (and Jinja2 output) writes it; Undefined is "".</summary>
    public static string StrOf(object? v) => v switch
    {
        string s => s,
        TrackedString t => t.Text,
        Undefined => "",
        _ => Repr(v),
    };

    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        WriteRepr(sb, v, 0);
        return sb.ToString();
    }

    private static void WriteRepr(StringBuilder sb, object? v, int depth)
    {
        if (depth > 200) throw new TemplateError("RecursionError: value nested too deeply to print");
        switch (v)
        {
            case null: sb.Append("None"); break;
            case bool b: sb.Append(b ? "True" : "False"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(FloatRepr(d)); break;
            case string s: StrRepr(sb, s); break;
            case TrackedString { IsMarkup: true } m: sb.Append("Markup("); StrRepr(sb, m.Text); sb.Append(')'); break;
            case TrackedString t: StrRepr(sb, t.Text); break;
            case Undefined: break;
            case PyIterator { IsView: true } view:
                sb.Append(view.Kind).Append('(');
                WriteRepr(sb, new PyList(view.Take()), depth + 1);
                sb.Append(')');
                break;
            case PyIterator it: sb.Append('<').Append(it.Kind).Append(" object>"); break;
            case PyList l:
                sb.Append(l.IsTuple ? '(' : '[');
                for (var i = 0; i < l.Items.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    WriteRepr(sb, l.Items[i], depth + 1);
                }
                if (l.IsTuple && l.Items.Count == 1) sb.Append(',');
                sb.Append(l.IsTuple ? ')' : ']');
                break;
            case PyDict d:
                sb.Append('{');
                var first = true;
                foreach (var kv in d.Pairs)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    WriteRepr(sb, PyDict.DenormKey(kv.Key), depth + 1);
                    sb.Append(": ");
                    WriteRepr(sb, kv.Value, depth + 1);
                }
                sb.Append('}');
                break;
            case Namespace: sb.Append("<Namespace>"); break;
            case LoopInfo: sb.Append("<LoopContext>"); break;
            case Callable c: sb.Append("<function ").Append(c.Name).Append('>'); break;
            default: sb.Append('?'); break;
        }
    }

    private static void StrRepr(StringBuilder sb, string s)
    {
        var q = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        sb.Append(q);
        foreach (var c in s)
        {
            if (c == q || c == '\\') sb.Append('\\').Append(c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        sb.Append(q);
    }

    /// <summary>Python's repr of a float: shortest round-trip digits, fixed notation for 1e-4 &lt;= |x| &lt; 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        var r = d.ToString("E16", CultureInfo.InvariantCulture);
        // Find the shortest precision that round-trips.
        for (var p = 0; p <= 16; p++)
        {
            var t = d.ToString("E" + p.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            if (double.Parse(t, CultureInfo.InvariantCulture) == d) { r = t; break; }
        }
        var neg = r.StartsWith('-');
        if (neg) r = r[1..];
        var ePos = r.IndexOf('E', StringComparison.Ordinal);
        var digits = r[..ePos].Replace(".", "", StringComparison.Ordinal).TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        var exp = int.Parse(r[(ePos + 1)..], CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        if (neg) sb.Append('-');
        if (exp >= -4 && exp < 16)
        {
            if (exp < 0)
            {
                sb.Append("0.").Append('0', -exp - 1).Append(digits);
            }
            else if (digits.Length <= exp + 1)
            {
                sb.Append(digits).Append('0', exp + 1 - digits.Length).Append(".0");
            }
            else
            {
                sb.Append(digits, 0, exp + 1).Append('.').Append(digits, exp + 1, digits.Length - exp - 1);
            }
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    public static bool Truthy(object? v) => v switch
    {
        null => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        TrackedString t => t.Text.Length > 0,
        PyList l => l.Count > 0,
        PyDict d => d.Count > 0,
        PyIterator { IsView: true } view => view.Count > 0,
        Undefined => false,
        _ => true,
    };

    public static bool Eq(object? a, object? b)
    {
        if (a is TrackedString ta) a = ta.Text;
        if (b is TrackedString tb) b = tb.Text;
        if (a is bool ba) a = ba ? 1L : 0L;
        if (b is bool bb) b = bb ? 1L : 0L;
        switch (a)
        {
            case null: return b is null;
            case string s: return b is string s2 && string.Equals(s, s2, StringComparison.Ordinal);
            case long l: return b is long l2 ? l == l2 : b is double d2 && l == d2;
            case double d: return b is double d3 ? d == d3 : b is long l3 && d == l3;
            case Undefined: return b is Undefined;
            case PyList la:
                if (b is not PyList lb || la.Count != lb.Count || la.IsTuple != lb.IsTuple) return false;
                for (var i = 0; i < la.Count; i++) if (!Eq(la.Items[i], lb.Items[i])) return false;
                return true;
            case PyDict da:
                if (b is not PyDict db || da.Count != db.Count) return false;
                foreach (var kv in da.Pairs)
                    if (!db.TryGet(PyDict.DenormKey(kv.Key), out var v2) || !Eq(kv.Value, v2)) return false;
                return true;
            default: return ReferenceEquals(a, b);
        }
    }

    /// <summary>Python ordering (&lt;): numbers with numbers, str with str, lists element-wise; else TypeError.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (a is TrackedString ta) a = ta.Text;
        if (b is TrackedString tb) b = tb.Text;
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a).CompareTo(ToDouble(b));
            return ToLong(a).CompareTo(ToLong(b));
        }
        if (a is string sa && b is string sb) return string.CompareOrdinal(sa, sb) switch { < 0 => -1, 0 => 0, _ => 1 };
        if (a is PyList la && b is PyList lb)
        {
            for (var i = 0; i < Math.Min(la.Count, lb.Count); i++)
            {
                if (Eq(la.Items[i], lb.Items[i])) continue;
                return Compare(la.Items[i], lb.Items[i], op);
            }
            return la.Count.CompareTo(lb.Count);
        }
        if (a is Undefined u) throw u.Fail();
        if (b is Undefined u2) throw u2.Fail();
        throw new TemplateError($"TypeError: '{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    public static double ToDouble(object? v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        double d => d,
        _ => throw new TemplateError($"TypeError: expected a number, got '{TypeName(v)}'"),
    };

    public static long ToLong(object? v) => v switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        _ => throw new TemplateError($"TypeError: expected an integer, got '{TypeName(v)}'"),
    };

    /// <summary>Items of an iterable value (list, tuple, dict keys, str chars, Undefined empty).</summary>
    public static List<object?> Iterate(object? v) => v switch
    {
        PyList l => l.Items,
        PyDict d => d.Keys.Select(PyDict.DenormKey).ToList(),
        string s => StrChars(s),
        TrackedString t => Enumerable.Range(0, t.Text.Length).Select(i => TrackedString.Sub(TrackedString.Plain(t), i, i + 1)).ToList<object?>(),
        PyIterator it => it.Take(),
        Undefined => [],
        _ => throw new TemplateError($"TypeError: '{TypeName(v)}' object is not iterable"),
    };

    private static List<object?> StrChars(string s)
    {
        var list = new List<object?>(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                list.Add(s.Substring(i, 2));
                i++;
            }
            else list.Add(s[i].ToString());
        }
        return list;
    }

    public static long Length(object? v) => v switch
    {
        string s => s.Length,
        TrackedString t => t.Text.Length,
        PyList l => l.Count,
        PyDict d => d.Count,
        PyIterator { IsView: true } view => view.Count,
        Undefined => 0,
        _ => throw new TemplateError($"TypeError: object of type '{TypeName(v)}' has no len()"),
    };

    public static bool Contains(object? container, object? item)
    {
        switch (container)
        {
            case string or TrackedString:
                if (!IsStr(item)) throw new TemplateError($"TypeError: 'in <string>' requires string as left operand, not {TypeName(item)}");
                return StrOf(container).Contains(StrOf(item), StringComparison.Ordinal);
            case PyList l:
                foreach (var x in l.Items) if (Eq(x, item)) return true;
                return false;
            case PyDict d: return d.ContainsKey(item);
            case PyIterator it:
                foreach (var x in it.Take()) if (Eq(x, item)) return true;
                return false;
            case Undefined: return false;
            default: throw new TemplateError($"TypeError: argument of type '{TypeName(container)}' is not iterable");
        }
    }
}
