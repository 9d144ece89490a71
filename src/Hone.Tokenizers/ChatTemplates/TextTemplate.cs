using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hone.Tokenizers.ChatTemplates;

/// <summary>
/// A Jinja template over JSON data (a prompt or a grader's template, e.g. <c>"Q: {{ item.question }}"</c>), parsed and
/// rendered by the chat-template engine with data-template settings: the source is kept as written (newlines and a
/// trailing newline included); a field or element the data lacks is an error that names its path (strict undefined,
/// <see cref="ChatTemplateException.MissingValue"/>), never an empty string; a field wins over a dict method of the same
/// name (<c>item.items</c> is the field); negative indices count from the end; a printed value is JSON text (a string
/// as it is, numbers as Python writes them, true/false/null, compact JSON for lists and objects). Immutable, thread-safe.
/// </summary>
public sealed class TextTemplate
{
    private static readonly HashSet<string> Builtins = ["range", "namespace", "dict", "raise_exception", "strftime_now", "loop", "varargs", "kwargs", "caller"];
    private readonly Body _body;
    private readonly SourceInfo _info;
    private readonly OutputStmt? _sole;

    private TextTemplate(string source, string name, Body body, SourceInfo info)
    {
        Source = source;
        Name = name;
        _body = body;
        _info = info;
        var outputs = body.Stmts.OfType<OutputStmt>().ToList();
        if (outputs.Count == 1 && body.Stmts.All(s => s is OutputStmt || (s is TextStmt t && string.IsNullOrWhiteSpace(t.Text))))
        {
            _sole = outputs[0];
            int open = source.IndexOf("{{", StringComparison.Ordinal) + 2, close = source.LastIndexOf("}}", StringComparison.Ordinal);
            SoleExpression = source[open..close].Trim().Trim('-', '+').Trim();
        }

        var read = new List<string>();
        var bound = new HashSet<string>(Builtins, StringComparer.Ordinal);
        FreeNames.Collect(body, read, bound);
        FreeVariables = [.. read.Where(n => !bound.Contains(n)).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The template as written.</summary>
    public string Source { get; }

    /// <summary>The name used in error messages.</summary>
    public string Name { get; }

    /// <summary>The variables the template reads and never sets, in order of first use (<c>item</c>, <c>sample</c>, ...).</summary>
    public IReadOnlyList<string> FreeVariables { get; }

    /// <summary>The expression, as written, when the template is one <c>{{ }}</c> and white space; otherwise null.</summary>
    public string? SoleExpression { get; }

    /// <summary>Parses a template; a syntax error raises <see cref="ChatTemplateException"/> with line:column.</summary>
    public static TextTemplate Parse(string source, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        name ??= "<template>";
        const int maxChars = 1_000_000;
        if (source.Length > maxChars) throw new ChatTemplateException($"{name}: template is {source.Length} chars, more than the {maxChars} a text template may have");
        var info = new SourceInfo(name, source);
        try
        {
            return new TextTemplate(source, name, Parser.Parse(Lexer.Tokenize(source, info)), info);
        }
        catch (TemplateErrorAt e)
        {
            throw info.ToException(e);
        }
    }

    /// <summary>Renders the template with <paramref name="variables"/> as its globals.</summary>
    /// <exception cref="ChatTemplateException">A field is missing (<see cref="ChatTemplateException.MissingValue"/>) or the template fails.</exception>
    public string Render(IReadOnlyDictionary<string, JsonElement> variables)
    {
        var (renderer, scope) = Start(variables);
        return renderer.Render(_body, scope).Text.ToString();
    }

    /// <summary>The value of the <see cref="SoleExpression"/> as JSON (null for JSON null).</summary>
    /// <exception cref="InvalidOperationException">The template is not a sole expression.</exception>
    /// <exception cref="ChatTemplateException">A field is missing or the expression fails.</exception>
    public JsonNode? Evaluate(IReadOnlyDictionary<string, JsonElement> variables)
    {
        var sole = _sole ?? throw new InvalidOperationException($"{Name}: the template is not a single {{{{ expression }}}}.");
        var (renderer, scope) = Start(variables);
        return renderer.Expressions.Evaluate(sole.Value, scope, DataValues.ToJson);
    }

    private (Renderer, Scope) Start(IReadOnlyDictionary<string, JsonElement> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var globals = new Scope(Globals.Builtins);
        foreach (var (k, v) in variables) globals.Set(k, PyJson.FromElement(v));
        return (new Renderer(_info, ChatTemplateLimits.Default, null, data: true), new Scope(globals));
    }

    /// <summary>The names a template reads, and those it binds anywhere (set, for, macro parameters).</summary>
    private static class FreeNames
    {
        public static void Collect(Body body, List<string> read, HashSet<string> bound)
        {
            foreach (var s in body.Stmts) Stmt(s, read, bound);
        }

        private static void Stmt(Stmt s, List<string> read, HashSet<string> bound)
        {
            switch (s)
            {
                case OutputStmt o: Expr(o.Value, read); break;
                case IfStmt i:
                    foreach (var (cond, b) in i.Branches) { Expr(cond, read); Collect(b, read, bound); }
                    if (i.Else is not null) Collect(i.Else, read, bound);
                    break;
                case ForStmt f:
                    bound.UnionWith(f.Target.Names);
                    Expr(f.Iter, read);
                    if (f.Filter is not null) Expr(f.Filter, read);
                    Collect(f.Body, read, bound);
                    if (f.Else is not null) Collect(f.Else, read, bound);
                    break;
                case SetStmt st: bound.UnionWith(st.Target.Names); Expr(st.Value, read); break;
                case SetBlockStmt sb: bound.UnionWith(sb.Target.Names); Collect(sb.Body, read, bound); break;
                case MacroStmt m: bound.Add(m.Name); Params(m.Params, read, bound); Collect(m.Body, read, bound); break;
                case CallBlockStmt c: Expr(c.Call, read); Params(c.CallerParams, read, bound); Collect(c.Body, read, bound); break;
                case FilterBlockStmt fb: Collect(fb.Body, read, bound); break;
                case DoStmt d: Expr(d.Value, read); break;
                case GenerationStmt g: Collect(g.Body, read, bound); break;
            }
        }

        private static void Params(IReadOnlyList<MacroParam> ps, List<string> read, HashSet<string> bound)
        {
            foreach (var p in ps)
            {
                bound.Add(p.Name);
                if (p.Default is not null) Expr(p.Default, read);
            }
        }

        private static void Expr(Expr e, List<string> read)
        {
            switch (e)
            {
                case NameExpr n: read.Add(n.Name); break;
                case AttrExpr a: Expr(a.Obj, read); break;
                case ItemExpr i: Expr(i.Obj, read); Expr(i.Key, read); break;
                case SliceExpr sl:
                    Expr(sl.Obj, read);
                    foreach (var x in new[] { sl.Start, sl.Stop, sl.Step }) if (x is not null) Expr(x, read);
                    break;
                case CallExpr c: Expr(c.Func, read); Args(c.Args, read); break;
                case FilterExpr f: if (f.Value is not null) Expr(f.Value, read); Args(f.Args, read); break;
                case TestExpr t: Expr(t.Value, read); Args(t.Args, read); break;
                case UnaryExpr u: Expr(u.Operand, read); break;
                case BinaryExpr b: Expr(b.Left, read); Expr(b.Right, read); break;
                case CompareExpr c: Expr(c.First, read); foreach (var (_, r) in c.Rest) Expr(r, read); break;
                case CondExpr c: Expr(c.Test, read); Expr(c.Then, read); if (c.Else is not null) Expr(c.Else, read); break;
                case ListExpr l: foreach (var x in l.Items) Expr(x, read); break;
                case DictExpr d: foreach (var (k, v) in d.Items) { Expr(k, read); Expr(v, read); } break;
            }
        }

        private static void Args(IReadOnlyList<Arg> args, List<string> read)
        {
            foreach (var a in args) Expr(a.Value, read);
        }
    }
}
