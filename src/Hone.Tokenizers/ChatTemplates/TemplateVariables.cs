namespace Hone.Tokenizers.ChatTemplates;

/// <summary>A variable a template reads without defining it, at its first use.</summary>
/// <param name="Name">The variable's name.</param>
/// <param name="Line">1-based line of its first use in the template.</param>
/// <param name="Column">1-based column of its first use.</param>
/// <param name="Paths">The attribute paths read from it (<c>address.city</c> for <c>{{ address.city }}</c>), in order, distinct.</param>
public sealed record TemplateVariable(string Name, int Line, int Column, IReadOnlyList<string> Paths);

/// <summary>
/// Finds the undeclared variables of a parsed template by walking its syntax tree with Jinja2's scoping: <c>set</c> at
/// a level binds for what follows at that level and below, <c>for</c> targets and <c>loop</c> bind inside the loop,
/// macro parameters (and <c>varargs</c>, <c>kwargs</c>, <c>caller</c>) inside the macro.
/// </summary>
internal static class TemplateVariables
{
    private static readonly HashSet<string> Builtins = ["range", "namespace", "dict", "raise_exception", "strftime_now", "true", "false", "none", "True", "False", "None"];

    public static IReadOnlyList<TemplateVariable> Find(Body body, SourceInfo info)
    {
        var found = new List<(string Name, int Pos, List<string> Paths)>();
        var walker = new Walker(found);
        walker.Body(body, new Bound(null));
        return [.. found.Select(f =>
        {
            var (l, c) = info.Locate(f.Pos);
            return new TemplateVariable(f.Name, l, c, f.Paths);
        })];
    }

    private sealed class Bound(Bound? parent)
    {
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);

        public bool Has(string name) => _names.Contains(name) || (parent?.Has(name) ?? false);

        public void Add(string name) => _names.Add(name);
    }

    private sealed class Walker(List<(string Name, int Pos, List<string> Paths)> found)
    {
        public void Body(Body b, Bound s)
        {
            foreach (var st in b.Stmts) Stmt(st, s);
        }

        private void Stmt(Stmt st, Bound s)
        {
            switch (st)
            {
                case OutputStmt o: Expr(o.Value, s); break;
                case IfStmt i:
                    foreach (var (cond, body) in i.Branches)
                    {
                        Expr(cond, s);
                        Body(body, s);
                    }
                    if (i.Else is not null) Body(i.Else, s);
                    break;
                case ForStmt f:
                {
                    Expr(f.Iter, s);
                    var inner = new Bound(s);
                    foreach (var n in f.Target.Names) inner.Add(n);
                    inner.Add("loop");
                    if (f.Filter is not null) Expr(f.Filter, inner);
                    Body(f.Body, inner);
                    if (f.Else is not null) Body(f.Else, s);
                    break;
                }
                case SetStmt set:
                    Expr(set.Value, s);
                    if (set.Target.Attr is not null) Name(set.Target.Names[0], set.Target.Pos, null, s);
                    else foreach (var n in set.Target.Names) s.Add(n);
                    break;
                case SetBlockStmt sb:
                    Body(sb.Body, s);
                    foreach (var f in sb.Filters) Args(f.Args, s);
                    foreach (var n in sb.Target.Names) s.Add(n);
                    break;
                case MacroStmt m:
                {
                    s.Add(m.Name);
                    var inner = new Bound(s);
                    foreach (var p in m.Params)
                    {
                        if (p.Default is not null) Expr(p.Default, s);
                        inner.Add(p.Name);
                    }
                    foreach (var n in new[] { "varargs", "kwargs", "caller" }) inner.Add(n);
                    Body(m.Body, inner);
                    break;
                }
                case CallBlockStmt c:
                {
                    Expr(c.Call, s);
                    var inner = new Bound(s);
                    foreach (var p in c.CallerParams) inner.Add(p.Name);
                    Body(c.Body, inner);
                    break;
                }
                case FilterBlockStmt fb:
                    foreach (var f in fb.Filters) Args(f.Args, s);
                    Body(fb.Body, s);
                    break;
                case DoStmt d: Expr(d.Value, s); break;
                case GenerationStmt g: Body(g.Body, s); break;
            }
        }

        private void Args(IReadOnlyList<Arg> args, Bound s)
        {
            foreach (var a in args) Expr(a.Value, s);
        }

        private void Expr(Expr e, Bound s)
        {
            switch (e)
            {
                case NameExpr n: Name(n.Name, n.Pos, null, s); break;
                case AttrExpr or ItemExpr when PathOf(e) is { } p: Name(p.Root, p.Pos, p.Path, s); break;
                case AttrExpr a: Expr(a.Obj, s); break;
                case ItemExpr i: Expr(i.Obj, s); Expr(i.Key, s); break;
                case SliceExpr sl:
                    Expr(sl.Obj, s);
                    foreach (var x in new[] { sl.Start, sl.Stop, sl.Step }) if (x is not null) Expr(x, s);
                    break;
                case CallExpr c: Expr(c.Func, s); Args(c.Args, s); break;
                case FilterExpr f:
                    if (f.Value is not null) Expr(f.Value, s);
                    Args(f.Args, s);
                    break;
                case TestExpr t: Expr(t.Value, s); Args(t.Args, s); break;
                case UnaryExpr u: Expr(u.Operand, s); break;
                case BinaryExpr b: Expr(b.Left, s); Expr(b.Right, s); break;
                case CompareExpr c:
                    Expr(c.First, s);
                    foreach (var (_, r) in c.Rest) Expr(r, s);
                    break;
                case CondExpr c:
                    Expr(c.Test, s);
                    Expr(c.Then, s);
                    if (c.Else is not null) Expr(c.Else, s);
                    break;
                case ListExpr l: foreach (var x in l.Items) Expr(x, s); break;
                case DictExpr d:
                    foreach (var (k, v) in d.Items)
                    {
                        Expr(k, s);
                        Expr(v, s);
                    }
                    break;
            }
        }

        /// <summary>A chain of attributes and constant keys over a name (<c>a.b["c"].d</c>), or null.</summary>
        private static (string Root, int Pos, string Path)? PathOf(Expr e)
        {
            var parts = new List<string>();
            while (true)
            {
                switch (e)
                {
                    case AttrExpr a: parts.Insert(0, a.Name); e = a.Obj; continue;
                    case ItemExpr { Key: ConstExpr { Value: string k } } i: parts.Insert(0, k); e = i.Obj; continue;
                    case NameExpr n: return (n.Name, n.Pos, string.Join('.', [n.Name, .. parts]));
                    default: return null;
                }
            }
        }

        private void Name(string name, int pos, string? path, Bound s)
        {
            if (s.Has(name) || Builtins.Contains(name)) return;
            var i = found.FindIndex(f => f.Name == name);
            if (i < 0)
            {
                found.Add((name, pos, []));
                i = found.Count - 1;
            }
            if (path is not null && !found[i].Paths.Contains(path)) found[i].Paths.Add(path);
        }
    }
}
