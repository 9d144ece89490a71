using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Hone.Tokenizers.ChatTemplates;

/// <summary>The Jinja2 filters chat templates use, with Jinja2's (and Hugging Face's tojson) semantics.</summary>
internal static partial class Filters
{
    private static object? A(List<object?> args, Dictionary<string, object?> kw, int i, string name, object? dflt) =>
        i < args.Count ? args[i] : kw.TryGetValue(name, out var v) ? v : dflt;

    public static object? Apply(RenderContext ctx, string name, object? v, List<object?> args, Dictionary<string, object?> kw)
    {
        switch (name)
        {
            case "trim": return Methods.Strip(Py.IsStr(v) ? v! : Py.StrOf(v), A(args, kw, 0, "chars", null) is { } c ? Py.StrOf(c) : null, true, true);
            case "tojson": return ToJson(v, A(args, kw, 0, "indent", null), A(args, kw, 1, "sort_keys", false));
            case "length" or "count": return Py.Length(v);
            case "default" or "d":
            {
                var dflt = A(args, kw, 0, "default_value", "");
                var boolean = Py.Truthy(A(args, kw, 1, "boolean", false));
                return v is Undefined || (boolean && !Py.Truthy(v)) ? dflt : v;
            }
            // upper, lower, capitalize, center, indent, trim, string and reverse work on soft_str(value) and so keep a
            // Markup; title, join and replace (with autoescape off) build a plain str.
            case "upper": return Markup.KeepIf(Markup.Is(v), Py.StrOf(v).ToUpperInvariant());
            case "lower": return Markup.KeepIf(Markup.Is(v), Py.StrOf(v).ToLowerInvariant());
            case "title": return PyTitle(Py.StrOf(v));
            case "capitalize": { var s = Py.StrOf(v); return Markup.KeepIf(Markup.Is(v), s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant()); }
            case "items":
                if (v is Undefined) return PyIterator.Generator([]);
                if (v is not PyDict d) throw new TemplateError("TypeError: Can only get item pairs from a mapping.");
                return PyIterator.Generator(d.Pairs.Select(p => (object?)new PyList([PyDict.DenormKey(p.Key), p.Value], true)).ToList());
            case "list": return new PyList([.. Py.Iterate(v)]);
            case "first":
            {
                var items = Py.Iterate(v);
                return items.Count > 0 ? items[0] : new Undefined("No first item, sequence was empty.");
            }
            case "last":
            {
                if (v is PyIterator { IsView: false } it) throw new TemplateError($"TypeError: '{it.Kind}' object is not reversible (add |list before |last)");
                var items = Py.Iterate(v);
                return items.Count > 0 ? items[^1] : new Undefined("No last item, sequence was empty.");
            }
            case "join":
            {
                var attr = A(args, kw, 1, "attribute", null);
                var items = Py.Iterate(v);
                if (attr is not null) items = items.Select(x => AttrPath(x, attr)).ToList();
                return Join(ctx, items, A(args, kw, 0, "d", "")!);
            }
            case "replace":
            {
                var count = A(args, kw, 2, "count", null);
                return Methods.Replace(ctx, Py.StrOf(v), Py.StrOf(A(args, kw, 0, "old", "")), Py.StrOf(A(args, kw, 1, "new", "")), count is null ? -1 : Py.ToLong(count));
            }
            case "string": return Py.IsStr(v) ? v : Py.StrOf(v);
            case "safe": return Markup.Safe(v);
            case "escape" or "e": return Markup.Escape(v);
            case "forceescape": return Markup.ForceEscape(v);
            case "int": return ToInt(v, A(args, kw, 0, "default", 0L), A(args, kw, 1, "base", 10L));
            case "float": return ToFloat(v, A(args, kw, 0, "default", 0.0));
            case "abs":
                return v switch
                {
                    long l => l == long.MinValue ? throw new TemplateError("OverflowError: integer too large") : (object)Math.Abs(l),
                    bool b => (object)(b ? 1L : 0L),
                    double dd => (object)Math.Abs(dd),
                    _ => throw new TemplateError($"TypeError: bad operand type for abs(): '{Py.TypeName(v)}'"),
                };
            case "round": return Round(v, A(args, kw, 0, "precision", 0L), Py.StrOf(A(args, kw, 1, "method", "common")));
            case "wordcount": return (long)WordRe().Matches(Py.StrOf(v)).Count;
            case "indent": return Markup.KeepIf(Markup.Is(v), Indent(Py.StrOf(v), A(args, kw, 0, "width", 4L), Py.Truthy(A(args, kw, 1, "first", false)), Py.Truthy(A(args, kw, 2, "blank", false))));
            case "center":
            {
                var w = (int)Math.Min(Py.ToLong(A(args, kw, 0, "width", 80L)), ctx.Limits.MaxOutputChars);
                var s = Py.StrOf(v);
                if (s.Length >= w) return Markup.KeepIf(Markup.Is(v), s);
                var pad = w - s.Length;
                var left = pad / 2 + (pad & w & 1);
                return Markup.KeepIf(Markup.Is(v), new string(' ', left) + s + new string(' ', pad - left));
            }
            case "reverse": return Reverse(v);
            case "unique": return PyIterator.Generator(Unique(v, Py.Truthy(A(args, kw, 0, "case_sensitive", false)), A(args, kw, 1, "attribute", null)).Items);
            case "sort": return Sort(v, Py.Truthy(A(args, kw, 0, "reverse", false)), Py.Truthy(A(args, kw, 1, "case_sensitive", false)), A(args, kw, 2, "attribute", null));
            case "dictsort":
            {
                if (v is not PyDict dd2) throw new TemplateError("TypeError: dictsort needs a mapping");
                var byValue = Py.StrOf(A(args, kw, 1, "by", "key")) == "value";
                var cs = Py.Truthy(A(args, kw, 0, "case_sensitive", false));
                var pairs = dd2.Pairs.Select(p => (object?)new PyList([PyDict.DenormKey(p.Key), p.Value], true)).ToList();
                var sorted = SortList(pairs, x => SortKey(((PyList)x!).Items[byValue ? 1 : 0], cs));
                if (Py.Truthy(A(args, kw, 2, "reverse", false))) sorted.Reverse();
                return new PyList(sorted);
            }
            // In Jinja2 these filters are generators: iterable once, no len(), no index, refused by tojson.
            case "map": return PyIterator.Generator(Map(ctx, v, args, kw).Items);
            case "select" or "reject": return PyIterator.Generator(Select(ctx, v, args, kw, name == "select", false).Items);
            case "selectattr" or "rejectattr": return PyIterator.Generator(Select(ctx, v, args, kw, name == "selectattr", true).Items);
            case "attr": return ExpressionEvaluator.GetAttr(v, Py.StrOf(A(args, kw, 0, "name", "")));
            case "sum":
            {
                var attr = A(args, kw, 0, "attribute", null);
                object? acc = A(args, kw, 1, "start", 0L);
                foreach (var x in Py.Iterate(v)) acc = Arith.Binary(ctx, "+", acc, attr is null ? x : AttrPath(x, attr));
                return acc;
            }
            case "min" or "max":
            {
                var items = Py.Iterate(v);
                if (items.Count == 0) return new Undefined($"No {name} item, sequence was empty.");
                var cs = Py.Truthy(A(args, kw, 0, "case_sensitive", false));
                var attr = A(args, kw, 1, "attribute", null);
                var best = items[0];
                foreach (var x in items.Skip(1))
                {
                    var cmp = Py.Compare(SortKey(attr is null ? x : AttrPath(x, attr), cs), SortKey(attr is null ? best : AttrPath(best, attr), cs), "<");
                    if (name == "min" ? cmp < 0 : cmp > 0) best = x;
                }
                return best;
            }
            case "batch":
            {
                var n = Py.ToLong(A(args, kw, 0, "linecount", 1L));
                if (n <= 0) throw new TemplateError("ValueError: batch size must be positive");
                var items = Py.Iterate(v);
                var res = new List<object?>();
                for (var i = 0; i < items.Count; i += (int)Math.Min(n, int.MaxValue))
                    res.Add(new PyList(items.Skip(i).Take((int)Math.Min(n, int.MaxValue)).ToList()));
                return PyIterator.Generator(res);
            }
            default:
                throw new TemplateError($"no filter named '{name}' (chat templates support: trim, tojson, length, default, upper, lower, title, capitalize, items, list, first, last, join, replace, string, int, float, safe, map, select, reject, selectattr, rejectattr, unique, sort, dictsort, reverse, abs, round, wordcount, indent, center, sum, min, max, batch, attr, escape)");
        }
    }

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordRe();

    [GeneratedRegex(@"([-\s(\{\[<]+)")]
    private static partial Regex TitleSplitRe();

    /// <summary>Jinja2's title filter: capitalizes each word split on whitespace, '-', and opening brackets.</summary>
    public static string PyTitle(string s)
    {
        var parts = TitleSplitRe().Split(s);
        var sb = new StringBuilder();
        foreach (var p in parts)
        {
            if (p.Length == 0) continue;
            sb.Append(char.ToUpperInvariant(p[0])).Append(p[1..].ToLowerInvariant());
        }
        return sb.ToString();
    }

    /// <summary>
    /// Jinja2's reverse: a str reversed (a Markup stays one), a list or tuple as Python's reversed() iterator, a dict's
    /// keys or a view as a reverse iterator, and anything else (a generator) read into a reversed list.
    /// </summary>
    private static object Reverse(object? v)
    {
        if (Py.IsStr(v)) { var arr = Py.StrOf(v).ToCharArray(); Array.Reverse(arr); return Markup.KeepIf(Markup.Is(v), new string(arr)); }
        var items = Py.Iterate(v).AsEnumerable().Reverse().ToList();
        return v switch
        {
            PyList l => new PyIterator(l.IsTuple ? "reversed" : "list_reverseiterator", items),
            PyDict => new PyIterator("dict_reversekeyiterator", items),
            PyIterator { Kind: "dict_keys" } => new PyIterator("dict_reversekeyiterator", items),
            PyIterator { Kind: "dict_values" } => new PyIterator("dict_reversevalueiterator", items),
            PyIterator { Kind: "dict_items" } => new PyIterator("dict_reverseitemiterator", items),
            _ => new PyList(items),
        };
    }

    private static object ToJson(object? v, object? indent, object? sortKeys)
    {
        int? ind = indent switch
        {
            null => null,
            long l when l >= 0 && l <= 64 => (int)l,
            _ => throw new TemplateError("tojson indent must be an integer between 0 and 64"),
        };
        var text = PyJson.Dumps(v, ind, Py.Truthy(sortKeys));
        var owner = v switch
        {
            PyDict d => d.Owner,
            PyList l => l.Owner,
            TrackedString t when t.Segs.Length == 1 && t.Segs[0].Start == 0 && t.Segs[0].End == t.Text.Length => t.Segs[0].Owner,
            _ => -1,
        };
        return owner >= 0 ? TrackedString.Owned(text, owner, false) : text;
    }

    /// <summary>
    /// <c>sep.join(items)</c> in one pass (<see cref="TrackedString.Concat(object[], int)"/>): the text, provenance and
    /// length error of <see cref="JoinNaive"/>, its twin, which adds one item at a time (and so copies the text so far
    /// once per item).
    /// </summary>
    internal static object Join(RenderContext ctx, List<object?> items, object sep)
    {
        if (items.Count == 0) return "";
        var run = new object[(2 * items.Count) - 1];
        int sepLength = Py.StrOf(sep).Length;
        long len = 0;
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0) run[(2 * i) - 1] = sep;
            var x = items[i];
            var part = Py.IsStr(x) ? x! : Py.StrOf(x);
            run[2 * i] = part;
            // The same lengths, checked at the same steps, as the naive twin's partial joins.
            len += (i > 0 ? sepLength : 0) + Py.StrOf(part).Length;
            ctx.CheckLength(len);
        }
        return TrackedString.Concat(run, run.Length);
    }

    /// <summary>Naive twin of <see cref="Join"/>: one <see cref="TrackedString.Concat(object, object)"/> per separator and item.</summary>
    internal static object JoinNaive(RenderContext ctx, List<object?> items, object sep)
    {
        object acc = "";
        long len = 0;
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0) acc = TrackedString.Concat(acc, sep);
            var x = items[i];
            acc = TrackedString.Concat(acc, Py.IsStr(x) ? x! : Py.StrOf(x));
            len = Py.StrOf(acc).Length;
            ctx.CheckLength(len);
        }
        return acc;
    }

    /// <summary>Resolves "a.b.0" on a value as Jinja2's attribute getters do (item first, then attribute).</summary>
    internal static object? AttrPath(object? v, object? attr)
    {
        if (attr is long) return ExpressionEvaluator.GetItem(v, attr);
        foreach (var part in Py.StrOf(attr).Split('.'))
        {
            object key = int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? (long)n : part;
            v = ExpressionEvaluator.GetItem(v, key);
        }
        return v;
    }

    private static object? ToInt(object? v, object? dflt, object? bas)
    {
        switch (v)
        {
            case long or bool: return Py.ToLong(v);
            case double d: return double.IsFinite(d) && Math.Abs(d) < 9.2e18 ? (long)Math.Truncate(d) : dflt;
            case string or TrackedString:
            {
                var s = Py.StrOf(v).Trim().Replace("_", "", StringComparison.Ordinal);
                var b = (int)Py.ToLong(bas);
                try
                {
                    if (b == 10 && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
                    if (b is 2 or 8 or 16 && s.Length > 0) return Convert.ToInt64(s, b);
                }
                catch (FormatException) { return dflt; }
                catch (OverflowException) { return dflt; }
                if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d2) && double.IsFinite(d2) && Math.Abs(d2) < 9.2e18) return (long)Math.Truncate(d2);
                return dflt;
            }
            default: return dflt;
        }
    }

    private static object? ToFloat(object? v, object? dflt) => v switch
    {
        long or bool or double => Py.ToDouble(v),
        string or TrackedString when double.TryParse(Py.StrOf(v).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => dflt,
    };

    private static object Round(object? v, object? precision, string method)
    {
        var p = (int)Math.Clamp(Py.ToLong(precision), -15, 15);
        if (v is long && p >= 0 && method == "common") return v;
        var x = Py.ToDouble(v);
        var scale = Math.Pow(10, p);
        return method switch
        {
            "common" => p >= 0 ? Math.Round(x, p, MidpointRounding.ToEven) : Math.Round(x / scale, MidpointRounding.ToEven) * scale,
            "ceil" => Math.Ceiling(x * scale) / scale,
            "floor" => Math.Floor(x * scale) / scale,
            _ => throw new TemplateError("round method must be 'common', 'ceil' or 'floor'"),
        };
    }

    private static string Indent(string s, object? width, bool first, bool blank)
    {
        var ind = Py.IsStr(width) ? Py.StrOf(width) : new string(' ', (int)Math.Clamp(Py.ToLong(width), 0, 1000));
        s += "\n";
        var lines = s.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        lines.RemoveAt(lines.Count - 1);
        string rv;
        if (blank) rv = string.Join("\n" + ind, lines);
        else
        {
            rv = lines[0];
            if (lines.Count > 1) rv += "\n" + string.Join("\n", lines.Skip(1).Select(l => l.Length > 0 ? ind + l : l));
        }
        return first ? ind + rv : rv;
    }

    private static object? SortKey(object? v, bool caseSensitive) => !caseSensitive && Py.IsStr(v) ? Py.StrOf(v).ToLowerInvariant() : v;

    private static List<object?> SortList(List<object?> items, Func<object?, object?> key)
    {
        var keyed = items.Select((x, i) => (Key: key(x), Index: i, Item: x)).ToList();
        keyed.Sort((a, b) =>
        {
            var c = Py.Compare(a.Key, b.Key, "<");
            return c != 0 ? c : a.Index.CompareTo(b.Index);
        });
        return keyed.Select(k => k.Item).ToList();
    }

    private static PyList Sort(object? v, bool reverse, bool cs, object? attr)
    {
        var sorted = SortList([.. Py.Iterate(v)], x => SortKey(attr is null ? x : AttrPath(x, attr), cs));
        if (reverse) sorted.Reverse();
        return new PyList(sorted);
    }

    private static PyList Unique(object? v, bool cs, object? attr)
    {
        var seen = new List<object?>();
        var res = new List<object?>();
        foreach (var x in Py.Iterate(v))
        {
            var k = SortKey(attr is null ? x : AttrPath(x, attr), cs);
            if (seen.Any(s => Py.Eq(s, k))) continue;
            seen.Add(k);
            res.Add(x);
        }
        return new PyList(res);
    }

    private static PyList Map(RenderContext ctx, object? v, List<object?> args, Dictionary<string, object?> kw)
    {
        // Jinja2 maps (and selects) nothing over a falsy value, even None.
        var items = Py.Truthy(v) ? Py.Iterate(v) : [];
        if (kw.TryGetValue("attribute", out var attr))
        {
            var hasDefault = kw.TryGetValue("default", out var dflt);
            return new PyList(items.Select(x =>
            {
                var r = AttrPath(x, attr);
                return r is Undefined && hasDefault ? dflt : r;
            }).ToList());
        }
        if (args.Count == 0) throw new TemplateError("map needs a filter name or attribute=...");
        var filter = Py.StrOf(args[0]);
        var rest = args.Skip(1).ToList();
        return new PyList(items.Select(x => Apply(ctx, filter, x, rest, kw)).ToList());
    }

    private static PyList Select(RenderContext ctx, object? v, List<object?> args, Dictionary<string, object?> kw, bool keep, bool byAttr)
    {
        var items = Py.Truthy(v) ? Py.Iterate(v) : [];
        var k = 0;
        object? attr = null;
        if (byAttr)
        {
            if (args.Count == 0) throw new TemplateError("selectattr/rejectattr need an attribute name");
            attr = args[k++];
        }
        string? test = k < args.Count ? Py.StrOf(args[k++]) : null;
        var testArgs = args.Skip(k).ToList();
        var res = new List<object?>();
        foreach (var x in items)
        {
            ctx.Tick();
            var val = byAttr ? AttrPath(x, attr) : x;
            var ok = test is null ? Py.Truthy(val) : JinjaTests.Apply(ctx, test, val, testArgs, []);
            if (ok == keep) res.Add(x);
        }
        return new PyList(res);
    }
}
