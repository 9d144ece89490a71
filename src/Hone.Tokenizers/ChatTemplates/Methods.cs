using System.Globalization;
using System.Text;

namespace Hone.Tokenizers.ChatTemplates;

/// <summary>The methods a template may call on str, dict, list and loop values (read-only, as the immutable sandbox allows).</summary>
internal static class Methods
{
    private static readonly HashSet<string> StringMethods =
    [
        "startswith", "endswith", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "upper", "lower", "title",
        "capitalize", "replace", "find", "rfind", "index", "rindex", "count", "format", "join", "isdigit", "isalpha",
        "isalnum", "isspace", "isupper", "islower", "isnumeric", "isdecimal", "center", "ljust", "rjust", "zfill", "swapcase",
        "removeprefix", "removesuffix", "partition", "rpartition",
    ];

    private static readonly HashSet<string> Mutating = ["append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear", "popitem", "update", "setdefault"];

    public static bool IsStringMethod(string name) => StringMethods.Contains(name);

    private static object? Arg(List<object?> args, Dictionary<string, object?> kwargs, int i, string name, object? dflt)
    {
        if (i < args.Count) return args[i];
        return kwargs.TryGetValue(name, out var v) ? v : dflt;
    }

    public static object? Call(RenderContext ctx, object target, string name, List<object?> args, Dictionary<string, object?> kwargs)
    {
        if (Mutating.Contains(name) && target is PyList or PyDict)
            throw new TemplateError($"SecurityError: '{Py.TypeName(target)}.{name}' would modify the value; chat templates run in an immutable sandbox");
        return target switch
        {
            PyDict d => DictMethod(d, name, args, kwargs),
            PyList l => ListMethod(l, name, args),
            LoopInfo li => li.Call(name, args),
            _ => StrMethod(ctx, target, name, args, kwargs),
        };
    }

    private static object? DictMethod(PyDict d, string name, List<object?> args, Dictionary<string, object?> kwargs)
    {
        switch (name)
        {
            case "get":
                if (args.Count == 0) throw new TemplateError("TypeError: get expected at least 1 argument, got 0");
                return d.TryGet(args[0], out var v) ? v : Arg(args, kwargs, 1, "default", null);
            case "items":
                return new PyIterator("dict_items", d.Pairs.Select(p => (object?)new PyList([PyDict.DenormKey(p.Key), p.Value], true)).ToList(), isView: true);
            case "keys": return new PyIterator("dict_keys", d.Keys.Select(PyDict.DenormKey).ToList(), isView: true);
            case "values": return new PyIterator("dict_values", d.Pairs.Select(p => p.Value).ToList(), isView: true);
            case "copy":
            {
                var c = new PyDict();
                foreach (var p in d.Pairs) c.Set(PyDict.DenormKey(p.Key), p.Value);
                return c;
            }
            default: throw new TemplateError($"dict method '{name}' is not supported in chat templates");
        }
    }

    private static object? ListMethod(PyList l, string name, List<object?> args)
    {
        switch (name)
        {
            case "count": return (long)l.Items.Count(x => Py.Eq(x, args.FirstOrDefault()));
            case "index":
                for (var i = 0; i < l.Count; i++) if (Py.Eq(l.Items[i], args.FirstOrDefault())) return (long)i;
                throw new TemplateError("ValueError: value is not in list");
            case "copy": return new PyList([.. l.Items], l.IsTuple);
            default: throw new TemplateError($"list method '{name}' is not supported in chat templates");
        }
    }

    private static string? Chars(object? v, string method) => v switch
    {
        null => null,
        string or TrackedString => Py.StrOf(v),
        _ => throw new TemplateError($"TypeError: {method} arg must be None or str"),
    };

    internal static object Strip(object s, string? chars, bool left, bool right)
    {
        var text = Py.StrOf(s);
        int a = 0, b = text.Length;
        bool Drop(char c) => chars is null ? IsPySpace(c) : chars.Contains(c, StringComparison.Ordinal);
        if (left) while (a < b && Drop(text[a])) a++;
        if (right) while (b > a && Drop(text[b - 1])) b--;
        return TrackedString.Sub(s, a, b);
    }

    internal static bool IsPySpace(char c) => char.IsWhiteSpace(c) || c is '\x1c' or '\x1d' or '\x1e' or '\x1f';

    /// <summary>A str method; on a Markup the result is a Markup again, with the arguments escaped where markupsafe does.</summary>
    private static object? StrMethod(RenderContext ctx, object target, string name, List<object?> args, Dictionary<string, object?> kwargs)
    {
        var markup = Markup.Is(target);
        var r = StrMethodOf(ctx, target, markup, name, args, kwargs);
        return r is PyList parts && markup ? new PyList(parts.Items.Select(x => (object?)Markup.KeepIf(true, x!)).ToList(), parts.IsTuple) : Markup.KeepIf(markup, r!);
    }

    private static object? StrMethodOf(RenderContext ctx, object target, bool markup, string name, List<object?> args, Dictionary<string, object?> kwargs)
    {
        var s = Py.StrOf(target);
        string StrArg(int i, string what)
        {
            var v = Arg(args, kwargs, i, what, null);
            return Py.IsStr(v) ? Py.StrOf(v) : throw new TemplateError($"TypeError: {name}() argument must be str, not {Py.TypeName(v)}");
        }
        switch (name)
        {
            case "startswith":
            case "endswith":
            {
                var a = Arg(args, kwargs, 0, "prefix", null);
                var options = a is PyList pl ? pl.Items.Select(x => Py.StrOf(x)).ToList() : [Py.IsStr(a) ? Py.StrOf(a) : throw new TemplateError($"TypeError: {name} first arg must be str or a tuple of str, not {Py.TypeName(a)}")];
                return options.Any(o => name == "startswith" ? s.StartsWith(o, StringComparison.Ordinal) : s.EndsWith(o, StringComparison.Ordinal));
            }
            case "strip": return Strip(target, Chars(Arg(args, kwargs, 0, "chars", null), name), true, true);
            case "lstrip": return Strip(target, Chars(Arg(args, kwargs, 0, "chars", null), name), true, false);
            case "rstrip": return Strip(target, Chars(Arg(args, kwargs, 0, "chars", null), name), false, true);
            case "split":
            case "rsplit":
                return Split(target, Chars(Arg(args, kwargs, 0, "sep", null), name), Py.ToLong(Arg(args, kwargs, 1, "maxsplit", -1L)), name == "rsplit");
            case "splitlines":
            {
                if (s.Length == 0) return new PyList();
                var ls = s.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
                if (ls[^1].Length == 0) ls.RemoveAt(ls.Count - 1);
                return new PyList(ls.Select(x => (object?)x).ToList());
            }
            case "upper": return s.ToUpperInvariant();
            case "lower": return s.ToLowerInvariant();
            case "swapcase": return new string(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)).ToArray());
            case "title": return Filters.PyTitle(s);
            case "capitalize": return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();
            case "replace":
            {
                var old = StrArg(0, "old");
                var neu = Markup.EscapedArg(markup, StrArg(1, "new"));
                var count = Py.ToLong(Arg(args, kwargs, 2, "count", -1L));
                return Replace(ctx, s, old, neu, count);
            }
            case "find": case "index":
            {
                var i = s.IndexOf(StrArg(0, "sub"), StringComparison.Ordinal);
                if (i < 0 && name == "index") throw new TemplateError("ValueError: substring not found");
                return (long)i;
            }
            case "rfind": case "rindex":
            {
                var i = s.LastIndexOf(StrArg(0, "sub"), StringComparison.Ordinal);
                if (i < 0 && name == "rindex") throw new TemplateError("ValueError: substring not found");
                return (long)i;
            }
            case "count":
            {
                var sub = StrArg(0, "sub");
                if (sub.Length == 0) return (long)s.Length + 1;
                long n = 0;
                for (var i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
                return n;
            }
            case "join":
            {
                var items = Py.Iterate(Arg(args, kwargs, 0, "iterable", null));
                return Filters.Join(ctx, markup ? items.Select(x => (object?)Markup.Escape(x)).ToList() : items, target);
            }
            case "format": return Format(s, markup ? args.Select(x => (object?)Markup.Escape(x)).ToList() : args,
                markup ? kwargs.ToDictionary(kv => kv.Key, kv => (object?)Markup.Escape(kv.Value), StringComparer.Ordinal) : kwargs);
            case "removeprefix": { var p = StrArg(0, "prefix"); return s.StartsWith(p, StringComparison.Ordinal) ? TrackedString.Sub(target, p.Length, s.Length) : target; }
            case "removesuffix": { var p = StrArg(0, "suffix"); return p.Length > 0 && s.EndsWith(p, StringComparison.Ordinal) ? TrackedString.Sub(target, 0, s.Length - p.Length) : target; }
            case "isdigit" or "isnumeric" or "isdecimal": return s.Length > 0 && s.All(char.IsDigit);
            case "isalpha": return s.Length > 0 && s.All(char.IsLetter);
            case "isalnum": return s.Length > 0 && s.All(char.IsLetterOrDigit);
            case "isspace": return s.Length > 0 && s.All(IsPySpace);
            case "isupper": return s.Any(char.IsLetter) && !s.Any(char.IsLower);
            case "islower": return s.Any(char.IsLetter) && !s.Any(char.IsUpper);
            case "zfill":
            {
                var w = (int)Math.Min(Py.ToLong(Arg(args, kwargs, 0, "width", 0L)), ctx.Limits.MaxOutputChars);
                if (s.Length >= w) return s;
                var sign = s.Length > 0 && s[0] is '+' or '-' ? s[..1] : "";
                return sign + new string('0', w - s.Length) + s[sign.Length..];
            }
            case "center" or "ljust" or "rjust":
            {
                var w = (int)Math.Min(Py.ToLong(Arg(args, kwargs, 0, "width", 0L)), ctx.Limits.MaxOutputChars);
                var fill = args.Count > 1 ? Markup.EscapedArg(markup, Py.StrOf(args[1])) : " ";
                if (fill.Length != 1) throw new TemplateError("TypeError: The fill character must be exactly one character long");
                if (s.Length >= w) return s;
                var pad = w - s.Length;
                var left = name == "rjust" ? pad : name == "ljust" ? 0 : pad / 2 + (pad & w & 1);
                return new string(fill[0], left) + s + new string(fill[0], pad - left);
            }
            case "partition" or "rpartition":
            {
                var sep = StrArg(0, "sep");
                var i = name == "partition" ? s.IndexOf(sep, StringComparison.Ordinal) : s.LastIndexOf(sep, StringComparison.Ordinal);
                if (i < 0) return name == "partition" ? new PyList([s, "", ""], true) : new PyList(["", "", s], true);
                return new PyList([s[..i], sep, s[(i + sep.Length)..]], true);
            }
            default: throw new TemplateError($"str method '{name}' is not supported");
        }
    }

    internal static string Replace(RenderContext ctx, string s, string old, string neu, long count)
    {
        if (count < 0) count = long.MaxValue;
        var sb = new StringBuilder();
        if (old.Length == 0)
        {
            var n = 0L;
            for (var i = 0; i <= s.Length; i++)
            {
                if (n < count) { sb.Append(neu); n++; }
                if (i < s.Length) sb.Append(s[i]);
                ctx.CheckLength(sb.Length);
            }
            return sb.ToString();
        }
        var pos = 0;
        var done = 0L;
        while (done < count)
        {
            var j = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (j < 0) break;
            sb.Append(s, pos, j - pos).Append(neu);
            ctx.CheckLength(sb.Length);
            pos = j + old.Length;
            done++;
        }
        sb.Append(s, pos, s.Length - pos);
        return sb.ToString();
    }

    private static PyList Split(object target, string? sep, long maxsplit, bool fromRight)
    {
        var s = Py.StrOf(target);
        var parts = new List<(int, int)>();
        if (maxsplit < 0) maxsplit = long.MaxValue;
        if (sep is null)
        {
            // Whitespace split: runs of whitespace separate, no empty strings.
            var ranges = new List<(int, int)>();
            var i = 0;
            while (i < s.Length)
            {
                while (i < s.Length && IsPySpace(s[i])) i++;
                if (i >= s.Length) break;
                var st = i;
                while (i < s.Length && !IsPySpace(s[i])) i++;
                ranges.Add((st, i));
            }
            if (ranges.Count - 1 > maxsplit)
            {
                var keep = (int)maxsplit;
                ranges = fromRight
                    ? [(0, ranges[^(keep + 1)].Item2), .. ranges.Skip(ranges.Count - keep)]
                    : [.. ranges.Take(keep), (ranges[keep].Item1, s.Length)];
            }
            return new PyList(ranges.Select(r => TrackedString.Sub(target, r.Item1, r.Item2)).ToList<object?>());
        }
        if (sep.Length == 0) throw new TemplateError("ValueError: empty separator");
        var cuts = new List<int>();
        for (var i = s.IndexOf(sep, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sep, i + sep.Length, StringComparison.Ordinal)) cuts.Add(i);
        if (cuts.Count > maxsplit) cuts = fromRight ? cuts.Skip(cuts.Count - (int)maxsplit).ToList() : cuts.Take((int)maxsplit).ToList();
        var start = 0;
        foreach (var c in cuts)
        {
            parts.Add((start, c));
            start = c + sep.Length;
        }
        parts.Add((start, s.Length));
        return new PyList(parts.Select(r => TrackedString.Sub(target, r.Item1, r.Item2)).ToList<object?>());
    }

    /// <summary>str.format with {} / {0} / {name} fields (no format specs beyond plain conversion).</summary>
    private static string Format(string s, List<object?> args, Dictionary<string, object?> kwargs)
    {
        var sb = new StringBuilder();
        var auto = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '{' && i + 1 < s.Length && s[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < s.Length && s[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            var j = s.IndexOf('}', i);
            if (j < 0) throw new TemplateError("ValueError: Single '{' encountered in format string");
            var field = s[(i + 1)..j];
            if (field.Contains(':', StringComparison.Ordinal) || field.Contains('!', StringComparison.Ordinal))
                throw new TemplateError("format specs in str.format are not supported in chat templates");
            object? v;
            if (field.Length == 0) v = auto < args.Count ? args[auto++] : throw new TemplateError("IndexError: Replacement index out of range");
            else if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var k)) v = k < args.Count ? args[k] : throw new TemplateError("IndexError: Replacement index out of range");
            else v = kwargs.TryGetValue(field, out var kv) ? kv : throw new TemplateError($"KeyError: '{field}'");
            sb.Append(Py.StrOf(v));
            i = j;
        }
        return sb.ToString();
    }
}
