using System.Text;

namespace Hone.Tokenizers.ChatTemplates;

/// <summary>How a statement list ended: ran through, or left by <c>break</c> or <c>continue</c>.</summary>
internal enum Flow { Normal, Break, Continue }

/// <summary>
/// Executes a template's statements: writes text and values to the output with their provenance (which message a
/// piece came from, strongly or inside a loop over its list), runs if/for/set/macro/call/filter blocks, and runs the
/// macros that expressions call. Expressions are left to its <see cref="ExpressionEvaluator"/>; the limits, budget and
/// error position are the render's <see cref="RenderContext"/>.
/// </summary>
internal sealed class Renderer
{
    private readonly RenderContext _ctx;
    private readonly ExpressionEvaluator _expr;
    private readonly Stack<Sink> _sinks = new();
    private long _totalChars;
    private int _callDepth;
    private int _weakOwner = -1;
    private LoopInfo? _loop;

    public Renderer(SourceInfo info, ChatTemplateLimits limits, string? strftimeNow, bool data = false, StringBuilder? output = null)
    {
        _ctx = new RenderContext(info, limits, strftimeNow, data);
        _expr = new ExpressionEvaluator(_ctx, CallMacro);
        _sinks.Push(output is null ? new Sink() : new Sink(output));
    }

    /// <summary>The evaluator of this render's expressions (for a template that is a sole expression).</summary>
    public ExpressionEvaluator Expressions => _expr;

    /// <summary>Runs the template's body with <paramref name="globals"/>; the output and its provenance (errors located at the statement or expression that failed).</summary>
    public Sink Render(Body body, Scope globals) => _ctx.Guard(() =>
    {
        var flow = Exec(body, globals);
        if (flow != Flow.Normal) throw new TemplateErrorAt(_ctx.Pos, "'break' or 'continue' outside a for loop");
        return _sinks.Peek();
    });

    private void Write(object? v, int strongOwner = -1)
    {
        var sink = _sinks.Peek();
        var start = sink.Text.Length;
        string text;
        if (v is TrackedString t)
        {
            text = t.Text;
            foreach (var g in t.Segs) sink.Segs.Add(g with { Start = g.Start + start, End = g.End + start });
        }
        else text = Py.StrOf(v);
        if (text.Length == 0) return;
        _totalChars += text.Length;
        if (_totalChars > _ctx.Limits.MaxOutputChars)
            throw new TemplateError($"template wrote more than {_ctx.Limits.MaxOutputChars} chars (ChatTemplateLimits.MaxOutputChars)");
        sink.Text.Append(text);
        if (strongOwner >= 0) sink.Segs.Add(new Seg(start, start + text.Length, strongOwner));
        if (_weakOwner >= 0) sink.Segs.Add(new Seg(start, start + text.Length, _weakOwner, true));
    }

    private object Capture(Body body, Scope scope)
    {
        _sinks.Push(new Sink());
        try
        {
            if (Exec(body, scope) != Flow.Normal) throw new TemplateError("'break' or 'continue' outside a for loop");
            return _sinks.Peek().ToValue();
        }
        finally
        {
            _sinks.Pop();
        }
    }

    private Flow Exec(Body body, Scope scope)
    {
        var stmts = body.Stmts;
        for (var k = 0; k < stmts.Count; k++)
        {
            var f = Exec(stmts[k], scope);
            if (f != Flow.Normal) return f;
        }
        return Flow.Normal;
    }

    private Flow Exec(Stmt st, Scope scope)
    {
        _ctx.Pos = st.Pos;
        switch (st)
        {
            case TextStmt t: Write(t.Text); return Flow.Normal;
            case OutputStmt o:
            {
                var (v, owner) = _expr.EvalTracked(o.Value, scope);
                Write(_ctx.Data ? DataValues.Text(_expr.Needed(v)) : v, owner);
                return Flow.Normal;
            }
            case IfStmt i: return ExecIf(i, scope);
            case ForStmt f: return ExecFor(f, scope);
            case SetStmt s: Assign(s.Target, _expr.Eval(s.Value, scope), scope); return Flow.Normal;
            case SetBlockStmt sb:
            {
                var v = Capture(sb.Body, scope);
                foreach (var fl in sb.Filters) v = _expr.ApplyFilter(fl, v, scope)!;
                Assign(sb.Target, v, scope);
                return Flow.Normal;
            }
            case MacroStmt m: scope.Set(m.Name, new MacroValue(m, scope)); return Flow.Normal;
            case CallBlockStmt c:
            {
                var caller = new MacroValue(new MacroStmt(c.Pos, "caller", c.CallerParams, c.Body), scope);
                var fn = _expr.Eval(c.Call.Func, scope);
                var (args, kwargs) = _expr.EvalArgs(c.Call.Args, scope);
                kwargs["caller"] = caller;
                Write(_expr.Call(fn, args, kwargs));
                return Flow.Normal;
            }
            case FilterBlockStmt fb:
            {
                var v = Capture(fb.Body, scope);
                foreach (var fl in fb.Filters) v = _expr.ApplyFilter(fl, v, scope)!;
                Write(v);
                return Flow.Normal;
            }
            case BreakStmt: return Flow.Break;
            case ContinueStmt: return Flow.Continue;
            case DoStmt d: _expr.Eval(d.Value, scope); return Flow.Normal;
            case GenerationStmt g: return Exec(g.Body, scope);
            default: throw new TemplateError("unsupported statement");
        }
    }

    private Flow ExecIf(IfStmt i, Scope scope)
    {
        for (var k = 0; k < i.Branches.Count; k++)
        {
            var (cond, body) = i.Branches[k];
            var (v, owner) = _expr.EvalTracked(cond, scope);
            var taken = Py.Truthy(_expr.Needed(v));
            if (!taken) continue;
            return ExecWeak(body, scope, owner);
        }
        return i.Else is null ? Flow.Normal : Exec(i.Else, scope);
    }

    private Flow ExecWeak(Body body, Scope scope, int owner)
    {
        if (owner < 0) return Exec(body, scope);
        var savedWeak = _weakOwner;
        _weakOwner = owner;
        try { return Exec(body, scope); }
        finally { _weakOwner = savedWeak; }
    }

    private Flow ExecFor(ForStmt f, Scope scope)
    {
        if (f.Recursive) throw new TemplateError("recursive for loops are not supported in chat templates");
        var iterValue = _expr.Needed(_expr.Eval(f.Iter, scope));
        var source = Py.Iterate(iterValue);
        var items = source;
        if (f.Filter is not null)
        {
            items = [];
            foreach (var x in source)
            {
                _ctx.Tick();
                var fs = new Scope(scope);
                Bind(f.Target, x, fs);
                if (Py.Truthy(_expr.Eval(f.Filter, fs))) items.Add(x);
            }
        }
        else items = [.. source];
        if (items.Count == 0) return f.Else is null ? Flow.Normal : Exec(f.Else, scope);
        var owner = iterValue is PyList pl && pl.Owner >= 0 ? pl.Owner : -1;
        var loop = new LoopInfo(items, _loop);
        var savedLoop = _loop;
        try
        {
            for (var k = 0; k < items.Count; k++)
            {
                _ctx.Tick();
                loop.Index0 = k;
                var s = new Scope(scope);
                Bind(f.Target, items[k], s);
                s.Set("loop", loop);
                _loop = loop;
                if (ExecWeak(f.Body, s, owner) == Flow.Break) break;
                _ctx.Pos = f.Pos;
            }
        }
        finally
        {
            _loop = savedLoop;
        }
        return Flow.Normal;
    }

    private void Bind(Target t, object? value, Scope s)
    {
        if (!t.IsTuple)
        {
            s.Set(t.Names[0], value);
            return;
        }
        var parts = value is PyList l ? l.Items : Py.IsStr(value) || value is PyIterator ? Py.Iterate(value) : null;
        if (parts is null) throw new TemplateError($"TypeError: cannot unpack non-iterable {Py.TypeName(value)} object");
        if (parts.Count != t.Names.Count)
            throw new TemplateError($"ValueError: expected {t.Names.Count} values to unpack, got {parts.Count}");
        for (var i = 0; i < parts.Count; i++) s.Set(t.Names[i], parts[i]);
    }

    private void Assign(Target t, object? value, Scope scope)
    {
        if (t.Attr is null)
        {
            Bind(t, value, scope);
            return;
        }
        if (!scope.TryGet(t.Names[0], out var obj) || obj is not Namespace ns)
            throw new TemplateError($"cannot assign attribute '{t.Attr}' on '{t.Names[0]}': only namespace() objects can be changed");
        ns.Attrs[t.Attr] = value;
    }

    private object? CallMacro(MacroValue m, List<object?> args, Dictionary<string, object?> kwargs)
    {
        if (++_callDepth > _ctx.Limits.MaxCallDepth)
            throw new TemplateError($"macros nest more than {_ctx.Limits.MaxCallDepth} calls deep (ChatTemplateLimits.MaxCallDepth); is a macro recursing forever?");
        var savedPos = _ctx.Pos;
        var savedWeak = _weakOwner;
        var savedLoop = _loop;
        try
        {
            System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
            var s = new Scope(m.Closure);
            var ps = m.Def.Params;
            var extra = new List<object?>();
            for (var i = 0; i < args.Count; i++)
            {
                if (i < ps.Count) s.Set(ps[i].Name, args[i]);
                else extra.Add(args[i]);
            }
            var kw = new PyDict();
            foreach (var (k, v) in kwargs)
            {
                if (k == "caller") { s.Set("caller", v); continue; }
                var idx = -1;
                for (var i = 0; i < ps.Count; i++) if (ps[i].Name == k) idx = i;
                if (idx < 0) { kw.Set(k, v); continue; }
                if (idx < args.Count) throw new TemplateError($"TypeError: macro '{m.Name}' got multiple values for argument '{k}'");
                s.Set(k, v);
            }
            for (var i = args.Count; i < ps.Count; i++)
            {
                if (kwargs.ContainsKey(ps[i].Name)) continue;
                s.Set(ps[i].Name, ps[i].Default is null ? new Undefined($"parameter '{ps[i].Name}' was not provided") : _expr.Eval(ps[i].Default!, s));
            }
            s.Set("varargs", new PyList(extra, true));
            s.Set("kwargs", kw);
            _weakOwner = -1;
            _loop = null;
            return Capture(m.Def.Body, s);
        }
        finally
        {
            _callDepth--;
            _ctx.Pos = savedPos;
            _weakOwner = savedWeak;
            _loop = savedLoop;
        }
    }
}
