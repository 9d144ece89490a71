using System.Diagnostics.CodeAnalysis;

namespace Hone.Tokenizers.ChatTemplates;

// Template values follow Python: null is None, bool, long (int), double (float), string or TrackedString (str; a
// TrackedString may be a Markup), PyList (list/tuple), PyDict (dict), PyIterator (generator, iterator, dict view),
// Undefined, and callables. Nothing else ever reaches a template.

/// <summary>
/// Jinja2's default Undefined: prints as "", is falsy, iterates as empty, fails on any other use. A <see cref="Missing"/>
/// one (a data template's absent field) fails with its hint alone, which names the path.
/// </summary>
internal sealed class Undefined
{
    public Undefined(string hint, bool missing = false) { Hint = hint; Missing = missing; }
    public string Hint { get; }
    public bool Missing { get; }
    public static readonly Undefined Plain = new("value is undefined");
    public TemplateError Fail() => Missing ? new(Hint) { Missing = true } : new($"UndefinedError: {Hint}");
}

/// <summary>Where a piece of a tracked string came from: the index of the message that owns it.</summary>
internal readonly record struct Seg(int Start, int End, int Owner, bool Weak = false);

/// <summary>
/// A str whose characters (all or some) come from a message's content or tool calls, or a MarkupSafe <c>Markup</c>
/// (a str marked safe, see <see cref="Markup"/>). Concatenation, trimming, slicing and joining keep the provenance, so
/// the renderer can tell where each message's text lands in the output.
/// </summary>
internal sealed class TrackedString
{
    public TrackedString(string text, Seg[] segs, bool fromToolCall = false, bool isMarkup = false)
    {
        Text = text;
        Segs = segs;
        FromToolCall = fromToolCall;
        IsMarkup = isMarkup;
    }

    public string Text { get; }
    public Seg[] Segs { get; }
    /// <summary>True for a string taken straight from a message's tool_calls (reading it marks the output).</summary>
    public bool FromToolCall { get; }
    /// <summary>True for a Markup: adding a plain str to it escapes that str; printing it writes the text as it is.</summary>
    public bool IsMarkup { get; }

    /// <summary>A string owned by a message. An empty one still carries a zero-width segment, so its position is known.</summary>
    public static object Owned(string s, int owner, bool toolCall) => new TrackedString(s, [new Seg(0, s.Length, owner)], toolCall);

    public override string ToString() => Text;

    /// <summary>
    /// Concatenates the str of two values, keeping provenance; the result is a plain str (not Markup), as Jinja2's
    /// <c>~</c> and <c>join</c> give with autoescape off.
    /// </summary>
    public static object Concat(object a, object b)
    {
        var sa = Py.StrOf(a);
        var sb = Py.StrOf(b);
        var ta = a as TrackedString;
        var tb = b as TrackedString;
        if (ta is null && tb is null) return sa + sb;
        int na = ta?.Segs.Length ?? 0, nb = tb?.Segs.Length ?? 0;
        if (na + nb == 0) return sa + sb;
        var segs = new Seg[na + nb];
        ta?.Segs.CopyTo(segs, 0);
        for (var i = 0; i < nb; i++)
        {
            var s = tb!.Segs[i];
            segs[na + i] = s with { Start = s.Start + sa.Length, End = s.End + sa.Length };
        }
        return new TrackedString(sa + sb, segs);
    }

    /// <summary>The str of run[0, count) concatenated in one string, keeping provenance as <see cref="Concat(object, object)"/>
    /// does pair by pair (a plain str, not Markup): a chain <c>a + b + c + ...</c> joined once.</summary>
    public static object Concat(object[] run, int count)
    {
        var parts = run.AsSpan(0, count);
        var segs = 0;
        var length = 0;
        foreach (var p in parts)
        {
            length += Py.StrOf(p).Length;
            if (p is TrackedString t) segs += t.Segs.Length;
        }
        var text = string.Create(length, (run, count), static (chars, state) =>
        {
            var at = 0;
            for (var i = 0; i < state.count; i++)
            {
                var str = Py.StrOf(state.run[i]);
                str.CopyTo(chars[at..]);
                at += str.Length;
            }
        });
        if (segs == 0) return text;
        var all = new Seg[segs];
        int k = 0, offset = 0;
        foreach (var p in parts)
        {
            if (p is TrackedString t)
                foreach (var g in t.Segs) all[k++] = g with { Start = g.Start + offset, End = g.End + offset };
            offset += Py.StrOf(p).Length;
        }
        return new TrackedString(text, all);
    }

    /// <summary>The substring [start, end) of a value, keeping the provenance that falls inside it (and Markup, as Markup.__getitem__ does).</summary>
    public static object Sub(object v, int start, int end)
    {
        var s = Py.StrOf(v);
        var text = s[start..end];
        if (v is not TrackedString t) return text;
        var segs = new List<Seg>();
        foreach (var g in t.Segs)
        {
            var a = Math.Max(g.Start, start);
            var b = Math.Min(g.End, end);
            if (a < b || (g.Start == g.End && g.Start >= start && g.Start <= end)) segs.Add(g with { Start = a - start, End = b - start });
        }
        return segs.Count == 0 && !t.IsMarkup ? text : new TrackedString(text, [.. segs], isMarkup: t.IsMarkup);
    }

    /// <summary>The same text and provenance as a plain str (what str() of a Markup gives).</summary>
    public static object Plain(object v) => v is TrackedString { IsMarkup: true } t ? t.Segs.Length == 0 ? t.Text : new TrackedString(t.Text, t.Segs) : v;
}

/// <summary>
/// What Jinja2 hands on as a Python iterator or view rather than a list: the generator of map, select, reject,
/// selectattr, rejectattr, unique, batch and the items filter; the iterator of reverse on a list; dict.items(), keys()
/// and values(). It iterates like a list but has no index, cannot be added to, and tojson refuses it as json.dumps does.
/// A generator or iterator has no len() and is used up by its first pass (a second sees nothing); a view is sized,
/// falsy when empty, and iterates again.
/// </summary>
internal sealed class PyIterator
{
    private readonly List<object?> _items;
    private bool _used;

    public PyIterator(string kind, List<object?> items, bool isView = false)
    {
        Kind = kind;
        _items = items;
        IsView = isView;
    }

    /// <summary>Python's type name: generator, list_reverseiterator, dict_items, ...</summary>
    public string Kind { get; }
    public bool IsView { get; }
    public int Count => _items.Count;

    public static PyIterator Generator(List<object?> items) => new("generator", items);

    /// <summary>The items of one pass: all of them for a view or a fresh iterator, none once an iterator has been used.</summary>
    public List<object?> Take()
    {
        if (IsView) return _items;
        if (_used) return [];
        _used = true;
        return _items;
    }
}

/// <summary>A Python list or tuple; <see cref="Owner"/> is the message index when it comes from a message.</summary>
internal sealed class PyList
{
    public PyList() { Items = []; }
    public PyList(List<object?> items, bool isTuple = false) { Items = items; IsTuple = isTuple; }
    public List<object?> Items { get; }
    public bool IsTuple { get; }
    public int Owner { get; init; } = -1;
    public bool ToolCalls { get; init; }
    public int Count => Items.Count;
}

/// <summary>A Python dict (insertion-ordered). Keys are normalized: bool and integral floats become long, tracked strings plain.</summary>
internal sealed class PyDict
{
    private readonly OrderedDictionary<object, object?> _map = new(KeyComparer.Instance);

    public int Owner { get; init; } = -1;
    public bool ToolCalls { get; init; }
    public int Count => _map.Count;
    public IEnumerable<object> Keys => _map.Keys;
    public IEnumerable<KeyValuePair<object, object?>> Pairs => _map;

    public static object NormKey(object? key) => key switch
    {
        null => NoneKey.Instance,
        bool b => b ? 1L : 0L,
        double d when d == Math.Floor(d) && Math.Abs(d) < 9e18 => (long)d,
        TrackedString t => t.Text,
        PyList or PyDict => throw new TemplateError("TypeError: unhashable type: '" + Py.TypeName(key) + "'"),
        _ => key,
    };

    public static object? DenormKey(object k) => k is NoneKey ? null : k;

    public void Set(object? key, object? value) => _map[NormKey(key)] = value;

    public bool TryGet(object? key, out object? value)
    {
        if (key is Undefined || key is PyList || key is PyDict) { value = null; return false; }
        return _map.TryGetValue(NormKey(key), out value);
    }

    public bool ContainsKey(object? key) => TryGet(key, out _);

    private sealed class NoneKey
    {
        public static readonly NoneKey Instance = new();
        public override string ToString() => "None";
    }

    private sealed class KeyComparer : IEqualityComparer<object>
    {
        public static readonly KeyComparer Instance = new();
        public new bool Equals(object? x, object? y) => Py.Eq(x, y);
        public int GetHashCode([DisallowNull] object obj) => obj switch
        {
            string s => StringComparer.Ordinal.GetHashCode(s),
            long l => l.GetHashCode(),
            double d => d.GetHashCode(),
            _ => obj.GetHashCode(),
        };
    }
}

/// <summary>The object <c>namespace(...)</c> returns: attributes that <c>set ns.x = ...</c> may change.</summary>
internal sealed class Namespace
{
    public Dictionary<string, object?> Attrs { get; } = new(StringComparer.Ordinal);
}

/// <summary>Something a template can call: a built-in function, a bound method, a macro.</summary>
internal abstract class Callable
{
    public abstract string Name { get; }
}

/// <summary>A built-in global function (range, namespace, raise_exception, strftime_now, ...).</summary>
internal sealed class BuiltinFunction : Callable
{
    public BuiltinFunction(string name, Func<RenderContext, List<object?>, Dictionary<string, object?>, object?> fn)
    {
        Name = name;
        Fn = fn;
    }

    public override string Name { get; }
    public Func<RenderContext, List<object?>, Dictionary<string, object?>, object?> Fn { get; }
}

/// <summary>A method looked up on a value (<c>s.strip</c>, <c>d.items</c>, <c>loop.cycle</c>) and not yet called.</summary>
internal sealed class BoundMethod : Callable
{
    public BoundMethod(object target, string name)
    {
        Target = target;
        Name = name;
    }

    public object Target { get; }
    public override string Name { get; }
}

/// <summary>A macro defined by the template, with the scope it was defined in.</summary>
internal sealed class MacroValue : Callable
{
    public MacroValue(MacroStmt def, Scope closure, Body? callerBody = null)
    {
        Def = def;
        Closure = closure;
        CallerBody = callerBody;
    }

    public MacroStmt Def { get; }
    public Scope Closure { get; }
    public Body? CallerBody { get; }
    public override string Name => Def.Name;
}

/// <summary>The <c>loop</c> variable inside a for loop.</summary>
internal sealed class LoopInfo
{
    public LoopInfo(List<object?> items, LoopInfo? parent)
    {
        Items = items;
        Depth0 = parent is null ? 0 : parent.Depth0 + 1;
    }

    public List<object?> Items { get; }
    public int Index0 { get; set; }
    public int Depth0 { get; }
    public object? LastChanged { get; set; } = Undefined.Plain;

    public object? Get(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(Items.Count - Index0),
        "revindex0" => (long)(Items.Count - Index0 - 1),
        "first" => Py.Box(Index0 == 0),
        "last" => Py.Box(Index0 == Items.Count - 1),
        "length" => (long)Items.Count,
        "depth" => (long)Depth0 + 1,
        "depth0" => (long)Depth0,
        "previtem" => Index0 > 0 ? Items[Index0 - 1] : new Undefined("there is no previous item"),
        "nextitem" => Index0 + 1 < Items.Count ? Items[Index0 + 1] : new Undefined("there is no next item"),
        "cycle" or "changed" => new BoundMethod(this, name),
        _ => new Undefined($"'LoopContext' object has no attribute '{name}'"),
    };

    /// <summary>Calls <c>loop.cycle(...)</c> (the argument at this index, round robin) or <c>loop.changed(...)</c> (whether the arguments differ from the last call's).</summary>
    public object? Call(string name, List<object?> args)
    {
        if (name == "cycle")
        {
            if (args.Count == 0) throw new TemplateError("TypeError: loop.cycle() needs at least one value");
            return args[Index0 % args.Count];
        }
        var val = new PyList(args, true);
        var changed = !Py.Eq(LastChanged, val);
        LastChanged = val;
        return changed;
    }
}
