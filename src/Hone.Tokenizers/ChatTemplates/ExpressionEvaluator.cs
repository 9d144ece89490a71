namespace Hone.Tokenizers.ChatTemplates;

/// <summary>
/// Evaluates expressions to the sandbox's Python-like values in a <see cref="Scope"/>: names, attributes and items
/// (Python's lookup rules, the sandbox's refusals), slices, calls, filters, tests and operators. It notes which
/// message's tool calls an expression read (<see cref="EvalTracked"/>) so that what a statement writes from them is
/// attributed to that message. Macros it calls are run by the statements' side (<see cref="Renderer"/>), handed in as
/// <c>callMacro</c>; limits, budget and error position are the render's <see cref="RenderContext"/>.
/// </summary>
internal sealed class ExpressionEvaluator
{
    private static readonly HashSet<string> DictMethods = ["get", "items", "keys", "values", "copy", "pop", "popitem", "update", "setdefault", "clear", "fromkeys"];
    private static readonly HashSet<string> ListMethods = ["count", "index", "copy", "append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"];

    /// <summary>Whether <paramref name="name"/> names a method of dict or list (what <c>x.name</c> gives on those rather than a key).</summary>
    internal static bool IsDictOrListMethod(string name) => DictMethods.Contains(name) || ListMethods.Contains(name);

    private readonly RenderContext _ctx;
    private readonly Func<MacroValue, List<object?>, Dictionary<string, object?>, object?> _callMacro;
    private int _toolRead = -1;

    public ExpressionEvaluator(RenderContext ctx, Func<MacroValue, List<object?>, Dictionary<string, object?>, object?> callMacro)
    {
        _ctx = ctx;
        _callMacro = callMacro;
    }

    /// <summary>The value of one expression, converted by <paramref name="convert"/> (errors located as in a render).</summary>
    public T Evaluate<T>(Expr e, Scope globals, Func<object?, int, T> convert) => _ctx.Guard(() => convert(Needed(Eval(e, globals)), 0));

    /// <summary>
    /// The value of <paramref name="e"/> and the message whose tool calls it read last (-1: none), leaving the note
    /// of an enclosing expression as it was.
    /// </summary>
    public (object? Value, int ToolOwner) EvalTracked(Expr e, Scope s)
    {
        var saved = _toolRead;
        _toolRead = -1;
        var v = Eval(e, s);
        var owner = _toolRead;
        _toolRead = saved;
        return (v, owner);
    }

    /// <summary>The value of <paramref name="e"/> in <paramref name="s"/> (an absent name is an <see cref="Undefined"/>, not an error).</summary>
    public object? Eval(Expr e, Scope s)
    {
        _ctx.Pos = e.Pos;
        switch (e)
        {
            case ConstExpr c: return c.Value;
            case NameExpr n: return s.TryGet(n.Name, out var v) ? v : new Undefined($"'{n.Name}' is undefined");
            case AttrExpr a when _ctx.Data: return DataValues.Attr(Eval(a.Obj, s), a.Name, a.Obj);
            case AttrExpr a: return Mark(GetAttr(Eval(a.Obj, s), a.Name));
            case ItemExpr i:
            {
                var obj = Eval(i.Obj, s);
                var key = Eval(i.Key, s);
                _ctx.Pos = i.Pos;
                return _ctx.Data ? DataValues.Item(obj, key, i.Obj) : Mark(GetItem(obj, key));
            }
            case SliceExpr sl: return EvalSlice(sl, s);
            case CallExpr c:
            {
                var fn = Eval(c.Func, s);
                var (args, kwargs) = EvalArgs(c.Args, s);
                _ctx.Pos = c.Pos;
                return Call(fn, args, kwargs);
            }
            case FilterExpr f: return ApplyFilter(f, Eval(f.Value!, s), s);
            case TestExpr t:
            {
                var val = Eval(t.Value, s);
                var (args, kwargs) = EvalArgs(t.Args, s);
                _ctx.Pos = t.Pos;
                var r = JinjaTests.Apply(_ctx, t.Name, val, args, kwargs);
                return Py.Box(t.Negated ? !r : r);
            }
            case UnaryExpr u: return EvalUnary(u, s);
            case BinaryExpr b: return EvalBinary(b, s);
            case CompareExpr c: return EvalCompare(c, s);
            case CondExpr c:
                if (Py.Truthy(Needed(Eval(c.Test, s)))) return Eval(c.Then, s);
                return c.Else is null ? new Undefined("the inline if-expression evaluated to false and has no else") : Eval(c.Else, s);
            case ListExpr l:
            {
                var items = new List<object?>(l.Items.Count);
                for (var k = 0; k < l.Items.Count; k++) items.Add(Eval(l.Items[k], s));
                return new PyList(items, l.IsTuple);
            }
            case DictExpr d:
            {
                var dict = new PyDict();
                for (var k = 0; k < d.Items.Count; k++) dict.Set(Eval(d.Items[k].Key, s), Eval(d.Items[k].Value, s));
                return dict;
            }
            default: throw new TemplateError("unsupported expression");
        }
    }

    /// <summary>In a data template, an absent field fails where its value is needed; elsewhere the value as it is.</summary>
    public object? Needed(object? v) => _ctx.Data && v is Undefined { Missing: true } u ? throw u.Fail() : v;

    private object? Mark(object? v)
    {
        var owner = v switch
        {
            PyDict { ToolCalls: true, Count: > 0 } d => d.Owner,
            PyList { ToolCalls: true, Count: > 0 } l => l.Owner,
            TrackedString { FromToolCall: true } t => t.Segs[0].Owner,
            _ => -1,
        };
        if (owner >= 0) _toolRead = owner;
        return v;
    }

    public (List<object?> Args, Dictionary<string, object?> Kwargs) EvalArgs(IReadOnlyList<Arg> list, Scope s)
    {
        var args = new List<object?>();
        var kwargs = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (var k = 0; k < list.Count; k++)
        {
            var a = list[k];
            if (a.Name is null) args.Add(Eval(a.Value, s));
            else kwargs[a.Name] = Eval(a.Value, s);
        }
        return (args, kwargs);
    }

    public object? ApplyFilter(FilterExpr f, object? value, Scope s)
    {
        var (args, kwargs) = EvalArgs(f.Args, s);
        _ctx.Pos = f.Pos;
        return Filters.Apply(_ctx, f.Name, value, args, kwargs);
    }

    internal static object? GetAttr(object? obj, string name)
    {
        if (obj is Undefined u) throw u.Fail();
        if (obj is PyDict d)
        {
            // Python attributes of dict first (its methods), then keys — any key, since keys are plain data.
            if (DictMethods.Contains(name)) return new BoundMethod(d, name);
            return d.TryGet(name, out var v) ? v : new Undefined($"'dict object' has no attribute '{name}'");
        }
        if (name.StartsWith('_')) return new Undefined($"access to attribute '{name}' is not allowed in a sandboxed template");
        switch (obj)
        {
            case string or TrackedString:
                return Methods.IsStringMethod(name) ? new BoundMethod(obj, name) : new Undefined($"'str object' has no attribute '{name}'");
            case PyList l:
                return ListMethods.Contains(name) ? new BoundMethod(l, name) : new Undefined($"'{Py.TypeName(l)} object' has no attribute '{name}'");
            case Namespace ns:
                return ns.Attrs.TryGetValue(name, out var nv) ? nv : new Undefined($"'Namespace' object has no attribute '{name}'");
            case LoopInfo li: return li.Get(name);
            default: return new Undefined($"'{Py.TypeName(obj)}' object has no attribute '{name}'");
        }
    }

    internal static object? GetItem(object? obj, object? key)
    {
        if (obj is Undefined u) throw u.Fail();
        switch (obj)
        {
            case PyDict d:
                if (d.TryGet(key, out var v)) return v;
                break;
            case PyList l when key is long or bool:
            {
                var i = Py.ToLong(key);
                if (i < 0) i += l.Count;
                return i >= 0 && i < l.Count ? l.Items[(int)i] : new Undefined($"{Py.TypeName(l)} index {key} out of range");
            }
            case string or TrackedString when key is long or bool:
            {
                var s = Py.StrOf(obj);
                var i = Py.ToLong(key);
                if (i < 0) i += s.Length;
                return i >= 0 && i < s.Length ? TrackedString.Sub(obj, (int)i, (int)i + 1) : new Undefined($"string index {key} out of range");
            }
        }
        if (key is string or TrackedString) return GetAttr(obj, Py.StrOf(key));
        return new Undefined($"'{Py.TypeName(obj)} object' has no attribute '{Py.StrOf(key)}'");
    }

    private object? EvalSlice(SliceExpr sl, Scope s)
    {
        var obj = Eval(sl.Obj, s);
        long? Opt(Expr? x)
        {
            if (x is null) return null;
            var v = Eval(x, s);
            if (v is null) return null;
            if (v is long || v is bool) return Py.ToLong(v);
            throw new TemplateError("TypeError: slice indices must be integers or None");
        }
        var start = Opt(sl.Start);
        var stop = Opt(sl.Stop);
        var step = Opt(sl.Step) ?? 1;
        _ctx.Pos = sl.Pos;
        if (obj is Undefined u) throw u.Fail();
        if (step == 0) throw new TemplateError("ValueError: slice step cannot be zero");
        int len;
        if (obj is PyList l) len = l.Count;
        else if (Py.IsStr(obj)) len = Py.StrOf(obj).Length;
        else throw new TemplateError($"TypeError: '{Py.TypeName(obj)}' object is not subscriptable");
        var idx = SliceIndices(len, start, stop, step);
        if (obj is PyList list)
        {
            var items = new List<object?>(idx.Count);
            foreach (var i in idx) items.Add(list.Items[i]);
            return new PyList(items, list.IsTuple) { Owner = list.Owner, ToolCalls = list.ToolCalls };
        }
        if (step == 1) return idx.Count == 0 ? Markup.KeepIf(Markup.Is(obj), "") : TrackedString.Sub(obj!, idx[0], idx[^1] + 1);
        var str = Py.StrOf(obj);
        var chars = new char[idx.Count];
        for (var k = 0; k < idx.Count; k++) chars[k] = str[idx[k]];
        return Markup.KeepIf(Markup.Is(obj), new string(chars));
    }

    /// <summary>Python's slice.indices: the positions a[start:stop:step] selects.</summary>
    internal static List<int> SliceIndices(int len, long? start, long? stop, long step)
    {
        long Norm(long? v, long dflt, long lo, long hi)
        {
            if (v is null) return dflt;
            var x = v.Value < 0 ? v.Value + len : v.Value;
            return Math.Clamp(x, lo, hi);
        }
        var res = new List<int>();
        if (step > 0)
        {
            var a = Norm(start, 0, 0, len);
            var b = Norm(stop, len, 0, len);
            for (var i = a; i < b; i += step) res.Add((int)i);
        }
        else
        {
            var a = Norm(start, len - 1, -1, len - 1);
            var b = Norm(stop, -1, -1, len - 1);
            for (var i = a; i > b; i += step) res.Add((int)i);
        }
        return res;
    }

    /// <summary>Calls a built-in, a bound method or a macro (a macro's body runs on the statements' side).</summary>
    public object? Call(object? fn, List<object?> args, Dictionary<string, object?> kwargs)
    {
        switch (fn)
        {
            case Undefined u: throw u.Fail();
            case BuiltinFunction b: return b.Fn(_ctx, args, kwargs);
            case BoundMethod m: return Methods.Call(_ctx, m.Target, m.Name, args, kwargs);
            case MacroValue mv:
            {
                var savedRead = _toolRead;
                try { return _callMacro(mv, args, kwargs); }
                finally { _toolRead = savedRead; }
            }
            default: throw new TemplateError($"TypeError: '{Py.TypeName(fn)}' object is not callable");
        }
    }

    private object? EvalUnary(UnaryExpr u, Scope s)
    {
        var v = Eval(u.Operand, s);
        _ctx.Pos = u.Pos;
        switch (u.Op)
        {
            case "not": return Py.Box(!Py.Truthy(v));
            case "-":
                return v switch
                {
                    long l => l == long.MinValue ? throw new TemplateError("OverflowError: integer too large") : (object)(-l),
                    bool b => b ? -1L : 0L,
                    double d => (object)(-d),
                    Undefined un => throw un.Fail(),
                    _ => throw new TemplateError($"TypeError: bad operand type for unary -: '{Py.TypeName(v)}'"),
                };
            default:
                return v switch
                {
                    long or double => v,
                    bool b => (object)(b ? 1L : 0L),
                    Undefined un => throw un.Fail(),
                    _ => throw new TemplateError($"TypeError: bad operand type for unary +: '{Py.TypeName(v)}'"),
                };
        }
    }

    private object? EvalBinary(BinaryExpr b, Scope s)
    {
        if (b.Op == "+" && b.Left is BinaryExpr { Op: "+" }) return EvalPlusChain(b, s);
        var left = Eval(b.Left, s);
        if (b.Op == "and") return Py.Truthy(left) ? Eval(b.Right, s) : left;
        if (b.Op == "or") return Py.Truthy(left) ? left : Eval(b.Right, s);
        var right = Eval(b.Right, s);
        _ctx.Pos = b.Pos;
        if (b.Op == "~")
        {
            _ctx.CheckLength((long)Py.StrOf(left).Length + Py.StrOf(right).Length);
            return TrackedString.Concat(left ?? "None", right ?? "None");
        }
        return Arith.Binary(_ctx, b.Op, left, right);
    }

    /// <summary>
    /// <c>a + b + c + ...</c> (a left-deep chain): the same values, errors and positions as evaluating each
    /// <c>+</c> in turn, but a run of plain strs (str or tracked str, not Markup) is joined once at its end instead
    /// of copying the growing text at every step (the chat templates' <c>'&lt;|im_start|&gt;' + role + '\n' + content + ...</c>).
    /// Operands are evaluated left to right, the length cap is checked at every step, and any other operand takes
    /// <see cref="Arith.Binary"/> with the text so far.
    /// </summary>
    private object? EvalPlusChain(BinaryExpr outer, Scope s)
    {
        var nodes = PlusChains.GetValue(outer, static o =>
        {
            var list = new List<BinaryExpr>();
            for (Expr e = o; e is BinaryExpr { Op: "+" } x; e = x.Left) list.Add(x);
            list.Reverse();
            return [.. list];
        });
        var acc = Eval(nodes[0].Left, s);
        object[]? run = null; // acc and the plain strs after it, not yet joined
        int count = 0;
        long length = 0;
        try
        {
            foreach (var node in nodes)
            {
                var right = Eval(node.Right, s);
                _ctx.Pos = node.Pos;
                if (IsPlainStr(right) && (count > 0 || IsPlainStr(acc)))
                {
                    if (count == 0)
                    {
                        run ??= System.Buffers.ArrayPool<object>.Shared.Rent(nodes.Length + 1);
                        run[count++] = acc!;
                        length = Py.StrOf(acc).Length;
                    }
                    length += Py.StrOf(right).Length;
                    _ctx.CheckLength(length);
                    run![count++] = right!;
                    continue;
                }
                if (count > 0)
                {
                    acc = TrackedString.Concat(run!, count);
                    count = 0;
                }
                acc = Arith.Binary(_ctx, "+", acc, right);
            }
            return count > 0 ? TrackedString.Concat(run!, count) : acc;
        }
        finally
        {
            if (run is not null) System.Buffers.ArrayPool<object>.Shared.Return(run, clearArray: true);
        }

        static bool IsPlainStr(object? v) => v is string || v is TrackedString { IsMarkup: false };
    }

    /// <summary>The <c>+</c> nodes of a left-deep chain, innermost first, by its outermost node (made once per template node).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<BinaryExpr, BinaryExpr[]> PlusChains = [];

    private object? EvalCompare(CompareExpr c, Scope s)
    {
        var left = Eval(c.First, s);
        for (var k = 0; k < c.Rest.Count; k++)
        {
            var (op, rx) = c.Rest[k];
            var right = Eval(rx, s);
            _ctx.Pos = c.Pos;
            var ok = op switch
            {
                "==" => Py.Eq(left, right),
                "!=" => !Py.Eq(left, right),
                "<" => Py.Compare(left, right, op) < 0,
                "<=" => Py.Compare(left, right, op) <= 0,
                ">" => Py.Compare(left, right, op) > 0,
                ">=" => Py.Compare(left, right, op) >= 0,
                "in" => Py.Contains(right, left),
                _ => !Py.Contains(right, left),
            };
            if (!ok) return Py.False;
            left = right;
        }
        return Py.True;
    }
}
