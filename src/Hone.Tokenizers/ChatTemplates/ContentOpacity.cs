namespace Hone.Tokenizers.ChatTemplates;

/// <summary>
/// Whether a template treats message contents as opaque text: it may write a message's <c>content</c> out (alone or
/// joined with <c>+</c> / <c>~</c> to other strings that are written out) and test it for truth (empty or not), but
/// never looks into it (no filter, method, comparison, <c>in</c>, length, slice or loop over it, no assignment of it, no
/// capture of output holding it). For such a template, the text of a conversation whose messages hold only a role and
/// a string content is fixed by the roles, which contents are empty and the flags, with each content written where its
/// placeholder is (<see cref="PlainSkeletons"/>). A static, conservative check over the syntax tree: any construct it
/// cannot place (a message reached by a computed key, a message or its content passed to a macro or function, a
/// dict or list method on messages, <c>loop.previtem</c>, <c>strftime_now</c>, ...) makes the template not opaque.
/// </summary>
internal static class ContentOpacity
{
    /// <summary>The placeholder brackets; a template whose own text holds either is not opaque (its text could be taken for a placeholder).</summary>
    public const char Open = '\uE000', Close = '\uE001';

    private enum Kind
    {
        /// <summary>A value that holds no message content.</summary>
        Plain,

        /// <summary>The messages list, a message, or what may be either (a message by computed key).</summary>
        Message,

        /// <summary>A message's content, or a string joined from one.</summary>
        Content,
    }

    /// <summary>True when <paramref name="body"/> treats message contents as opaque text (see the type).</summary>
    public static bool IsOpaque(Body body)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { "messages" };
        // The names that may hold messages: loop targets over messages and names set to them, to a fixed point
        // (flow-insensitive: a name that ever holds a message is treated as one everywhere).
        for (var grown = true; grown;)
        {
            var before = names.Count;
            var probe = new Walker(names, collecting: true);
            probe.Body(body);
            grown = names.Count > before;
        }
        var walker = new Walker(names, collecting: false);
        walker.Body(body);
        return walker.Opaque;
    }

    private sealed class Walker(HashSet<string> messageNames, bool collecting)
    {
        private int _captured; // inside a macro, call block, set block or filter block: output is a value, not the text

        public bool Opaque { get; private set; } = true;

        private void Fail() => Opaque = false;

        public void Body(Body? body)
        {
            if (body is null) return;
            foreach (var s in body.Stmts) Stmt(s);
        }

        private void Stmt(Stmt s)
        {
            switch (s)
            {
                case TextStmt t:
                    if (t.Text.Contains(Open, StringComparison.Ordinal) || t.Text.Contains(Close, StringComparison.Ordinal)) Fail();
                    break;
                case OutputStmt o:
                    var k = Expr(o.Value);
                    if (k == Kind.Message || (k == Kind.Content && _captured > 0)) Fail();
                    break;
                case IfStmt i:
                    foreach (var (cond, body) in i.Branches)
                    {
                        Truth(cond);
                        Body(body);
                    }
                    Body(i.Else);
                    break;
                case ForStmt f:
                    var iter = Expr(f.Iter);
                    if (iter == Kind.Content) Fail();
                    if (iter == Kind.Message) Bind(f.Target);
                    if (f.Filter is not null) Truth(f.Filter);
                    Body(f.Body);
                    Body(f.Else);
                    break;
                case SetStmt set:
                    var v = Expr(set.Value);
                    if (v == Kind.Content || (v == Kind.Message && (set.Target.Attr is not null || set.Target.IsTuple))) Fail();
                    if (v == Kind.Message) Bind(set.Target);
                    break;
                case SetBlockStmt sb:
                    Captured(sb.Body, sb.Filters, []);
                    break;
                case MacroStmt m:
                    Captured(m.Body, [], m.Params);
                    break;
                case CallBlockStmt cb:
                    PlainOnly(cb.Call);
                    Captured(cb.Body, [], cb.CallerParams);
                    break;
                case FilterBlockStmt fb:
                    Captured(fb.Body, fb.Filters, []);
                    break;
                case DoStmt d:
                    PlainOnly(d.Value);
                    break;
                case GenerationStmt g:
                    Body(g.Body);
                    break;
                case BreakStmt or ContinueStmt:
                    break;
                default:
                    Fail(); // a statement this check does not know
                    break;
            }
        }

        /// <summary>A body whose output becomes a value (a macro, call block, set block or filter block), with its filters' arguments and its parameters' defaults.</summary>
        private void Captured(Body body, IReadOnlyList<FilterExpr> filters, IReadOnlyList<MacroParam> parameters)
        {
            foreach (var filter in filters) Args(filter.Args);
            foreach (var p in parameters) if (p.Default is not null) PlainOnly(p.Default);
            _captured++;
            Body(body);
            _captured--;
        }

        private void Bind(Target target)
        {
            if (!collecting) return;
            if (target.Attr is not null) return; // the second pass fails it
            foreach (var n in target.Names) messageNames.Add(n);
        }

        /// <summary>A test of truth (if, loop filter, <c>x if c else y</c>): a content read straight from a message is allowed (its emptiness is part of the shape).</summary>
        private void Truth(Expr e)
        {
            switch (e)
            {
                case UnaryExpr { Op: "not" } u:
                    Truth(u.Operand);
                    return;
                case BinaryExpr { Op: "and" or "or" } b:
                    Truth(b.Left);
                    Truth(b.Right);
                    return;
                case AttrExpr or ItemExpr:
                    // Content here is one read straight from a message (the only attribute or item that gives it), not
                    // a joined string, which could outgrow the output limit without being written.
                    Expr(e);
                    return;
                default:
                    if (Expr(e) == Kind.Content) Fail();
                    return;
            }
        }

        private void PlainOnly(Expr e)
        {
            if (Expr(e) != Kind.Plain) Fail();
        }

        private void Args(IReadOnlyList<Arg> args)
        {
            foreach (var a in args) PlainOnly(a.Value);
        }

        private Kind Expr(Expr e)
        {
            switch (e)
            {
                case ConstExpr c:
                    if (c.Value is string s && (s.Contains(Open, StringComparison.Ordinal) || s.Contains(Close, StringComparison.Ordinal))) Fail();
                    return Kind.Plain;
                case NameExpr n:
                    if (n.Name == "strftime_now") Fail(); // the text would depend on when the shape was first seen
                    return messageNames.Contains(n.Name) ? Kind.Message : Kind.Plain;
                case AttrExpr a:
                {
                    if (a.Obj is NameExpr { Name: "loop" } && a.Name is "previtem" or "nextitem") return Kind.Message;
                    var k = Expr(a.Obj);
                    if (k == Kind.Content) Fail();
                    if (k != Kind.Message) return Kind.Plain;
                    if (a.Name.StartsWith('_') || IsMethod(a.Name)) Fail();
                    return a.Name == "content" ? Kind.Content : Kind.Plain;
                }
                case ItemExpr i:
                {
                    var k = Expr(i.Obj);
                    var key = Expr(i.Key);
                    if (k == Kind.Content || key != Kind.Plain) Fail();
                    if (k != Kind.Message) return Kind.Plain;
                    return i.Key is ConstExpr { Value: string name } ? name == "content" ? Kind.Content : Kind.Plain : Kind.Message;
                }
                case SliceExpr sl:
                {
                    var k = Expr(sl.Obj);
                    if (sl.Start is not null) PlainOnly(sl.Start);
                    if (sl.Stop is not null) PlainOnly(sl.Stop);
                    if (sl.Step is not null) PlainOnly(sl.Step);
                    if (k == Kind.Content) Fail();
                    return k;
                }
                case CallExpr call:
                    PlainOnly(call.Func);
                    Args(call.Args);
                    return Kind.Plain;
                case FilterExpr f:
                {
                    Args(f.Args);
                    if (f.Value is null) return Kind.Plain;
                    var k = Expr(f.Value);
                    if (k == Kind.Content) Fail();
                    if (k != Kind.Message) return Kind.Plain;
                    switch (f.Name)
                    {
                        case "length" or "count": return Kind.Plain;
                        case "first" or "last" or "reverse" or "list": return Kind.Message;
                        default: Fail(); return Kind.Plain;
                    }
                }
                case TestExpr t:
                {
                    Args(t.Args);
                    var k = Expr(t.Value);
                    // Presence and type only: a plain message's content is always a string, the same for every content.
                    if (k != Kind.Plain && t.Name is not ("defined" or "undefined" or "none" or "string")) Fail();
                    return Kind.Plain;
                }
                case UnaryExpr u:
                    PlainOnly(u.Operand);
                    return Kind.Plain;
                case BinaryExpr b:
                {
                    var l = Expr(b.Left);
                    var r = Expr(b.Right);
                    if (b.Op is "+" or "~")
                    {
                        if (l == Kind.Message || r == Kind.Message) Fail();
                        return l == Kind.Content || r == Kind.Content ? Kind.Content : Kind.Plain;
                    }
                    if (l != Kind.Plain || r != Kind.Plain) Fail();
                    return Kind.Plain;
                }
                case CompareExpr cmp:
                    PlainOnly(cmp.First);
                    foreach (var (_, right) in cmp.Rest) PlainOnly(right);
                    return Kind.Plain;
                case CondExpr c:
                {
                    Truth(c.Test);
                    var t = Expr(c.Then);
                    var f = c.Else is null ? Kind.Plain : Expr(c.Else);
                    return t == Kind.Content || f == Kind.Content ? Kind.Content : t == Kind.Message || f == Kind.Message ? Kind.Message : Kind.Plain;
                }
                case ListExpr l:
                    foreach (var x in l.Items) PlainOnly(x);
                    return Kind.Plain;
                case DictExpr d:
                    foreach (var (k, v) in d.Items)
                    {
                        PlainOnly(k);
                        PlainOnly(v);
                    }
                    return Kind.Plain;
                default:
                    Fail(); // an expression this check does not know
                    return Kind.Plain;
            }
        }

        private static bool IsMethod(string name) => ExpressionEvaluator.IsDictOrListMethod(name);
    }
}
