namespace Hone.Tokenizers.ChatTemplates;

/// <summary>Recursive-descent parser for the Jinja2 subset (Jinja2's grammar and operator precedence).</summary>
internal sealed class Parser
{
    private const int MaxDepth = 200;
    private readonly List<Token> _t;
    private int _i;
    private int _depth;

    private Parser(List<Token> tokens) { _t = tokens; }

    public static Body Parse(List<Token> tokens)
    {
        var p = new Parser(tokens);
        var body = p.ParseBody([], out var end);
        if (end is not null) throw new TemplateErrorAt(p.Peek.Pos, $"unexpected '{{% {end} %}}' with no block to close");
        return body;
    }

    private Token Peek => _t[_i];
    private Token PeekAt(int k) => _t[Math.Min(_i + k, _t.Count - 1)];
    private Token Next() => _t[_i < _t.Count - 1 ? _i++ : _i];

    private static TemplateErrorAt Err(Token t, string msg) => new(t.Pos, msg);

    private bool IsOp(string op) => Peek.Kind == Tk.Op && Peek.Text == op;
    private bool IsName(string n) => Peek.Kind == Tk.Name && Peek.Text == n;

    private bool SkipOp(string op)
    {
        if (!IsOp(op)) return false;
        _i++;
        return true;
    }

    private void ExpectOp(string op)
    {
        if (!SkipOp(op)) throw Err(Peek, $"expected '{op}' but found '{Show(Peek)}'");
    }

    private string ExpectName()
    {
        if (Peek.Kind != Tk.Name) throw Err(Peek, $"expected a name but found '{Show(Peek)}'");
        return Next().Text;
    }

    private void ExpectBlockEnd()
    {
        if (Peek.Kind != Tk.BlockEnd) throw Err(Peek, $"expected '%}}' but found '{Show(Peek)}'");
        _i++;
    }

    private static string Show(Token t) => t.Kind switch { Tk.Eof => "end of template", Tk.BlockEnd => "%}", Tk.VarEnd => "}}", _ => t.Text };

    private void Enter()
    {
        if (++_depth > MaxDepth) throw Err(Peek, $"template nests more than {MaxDepth} levels deep; simplify it");
    }

    /// <summary>Parses statements until one of <paramref name="ends"/> (a block keyword) or the end of the template.</summary>
    private Body ParseBody(string[] ends, out string? endedBy)
    {
        Enter();
        var list = new List<Stmt>();
        endedBy = null;
        while (true)
        {
            var t = Peek;
            if (t.Kind == Tk.Eof)
            {
                if (ends.Length > 0) throw Err(t, $"unexpected end of template; expected '{{% {ends[^1]} %}}'");
                break;
            }
            if (t.Kind == Tk.Data) { list.Add(new TextStmt(t.Pos, t.Text)); _i++; continue; }
            if (t.Kind == Tk.VarBegin)
            {
                _i++;
                var e = ParseTuple();
                if (Peek.Kind != Tk.VarEnd) throw Err(Peek, $"expected '}}}}' but found '{Show(Peek)}'");
                _i++;
                list.Add(new OutputStmt(t.Pos, e));
                continue;
            }
            if (t.Kind != Tk.BlockBegin) throw Err(t, $"unexpected '{Show(t)}'");
            var kw = PeekAt(1);
            if (kw.Kind == Tk.Name && ends.Contains(kw.Text))
            {
                _i += 2;
                endedBy = kw.Text;
                break;
            }
            _i++;
            list.Add(ParseStatement());
        }
        _depth--;
        return new Body(list);
    }

    private Stmt ParseStatement()
    {
        var t = Peek;
        if (t.Kind != Tk.Name) throw Err(t, $"expected a statement keyword after '{{%' but found '{Show(t)}'");
        _i++;
        switch (t.Text)
        {
            case "if": return ParseIf(t.Pos);
            case "for": return ParseFor(t.Pos);
            case "set": return ParseSet(t.Pos);
            case "macro": return ParseMacro(t.Pos);
            case "call": return ParseCallBlock(t.Pos);
            case "filter": return ParseFilterBlock(t.Pos);
            case "break": ExpectBlockEnd(); return new BreakStmt(t.Pos);
            case "continue": ExpectBlockEnd(); return new ContinueStmt(t.Pos);
            case "do": { var e = ParseTuple(); ExpectBlockEnd(); return new DoStmt(t.Pos, e); }
            case "generation":
            {
                ExpectBlockEnd();
                var body = ParseBody(["endgeneration"], out _);
                ExpectBlockEnd();
                return new GenerationStmt(t.Pos, body);
            }
            case "endfor" or "endif" or "endmacro" or "endset" or "endcall" or "endfilter" or "endgeneration" or "elif" or "else":
                throw Err(t, $"unexpected '{{% {t.Text} %}}' with no block to close (or one closed too early)");
            default:
                throw Err(t, $"unknown or unsupported statement '{t.Text}' (supported: if, for, set, macro, call, filter, break, continue, do, generation)");
        }
    }

    private IfStmt ParseIf(int pos)
    {
        var branches = new List<(Expr, Body)>();
        Body? elseBody = null;
        var cond = ParseTuple();
        while (true)
        {
            ExpectBlockEnd();
            var body = ParseBody(["elif", "else", "endif"], out var end);
            branches.Add((cond, body));
            if (end == "elif") { cond = ParseTuple(); continue; }
            if (end == "else")
            {
                ExpectBlockEnd();
                elseBody = ParseBody(["endif"], out _);
            }
            ExpectBlockEnd();
            return new IfStmt(pos, branches, elseBody);
        }
    }

    private Target ParseTarget(bool allowAttr)
    {
        var pos = Peek.Pos;
        var paren = SkipOp("(");
        var names = new List<string> { ExpectName() };
        if (allowAttr && !paren && IsOp("."))
        {
            _i++;
            return new Target(pos, names, ExpectName(), false);
        }
        var tuple = paren;
        while (SkipOp(","))
        {
            tuple = true;
            if (Peek.Kind != Tk.Name) break;
            names.Add(ExpectName());
        }
        if (paren) ExpectOp(")");
        return new Target(pos, names, null, tuple);
    }

    private ForStmt ParseFor(int pos)
    {
        var target = ParseTarget(false);
        if (!IsName("in")) throw Err(Peek, $"expected 'in' in for loop but found '{Show(Peek)}'");
        _i++;
        var iter = ParseTuple(withCondExpr: false);
        Expr? filter = null;
        if (IsName("if")) { _i++; filter = ParseExpression(); }
        var recursive = false;
        if (IsName("recursive")) { _i++; recursive = true; }
        ExpectBlockEnd();
        var body = ParseBody(["endfor", "else"], out var end);
        Body? elseBody = null;
        if (end == "else")
        {
            ExpectBlockEnd();
            elseBody = ParseBody(["endfor"], out _);
        }
        ExpectBlockEnd();
        return new ForStmt(pos, target, iter, filter, body, elseBody, recursive);
    }

    private Stmt ParseSet(int pos)
    {
        var target = ParseTarget(true);
        if (SkipOp("="))
        {
            var value = ParseTuple();
            ExpectBlockEnd();
            return new SetStmt(pos, target, value);
        }
        var filters = new List<FilterExpr>();
        while (SkipOp("|")) filters.Add(ParseFilter(null));
        ExpectBlockEnd();
        var body = ParseBody(["endset"], out _);
        ExpectBlockEnd();
        return new SetBlockStmt(pos, target, filters, body);
    }

    private List<MacroParam> ParseParams()
    {
        var ps = new List<MacroParam>();
        ExpectOp("(");
        while (!IsOp(")"))
        {
            if (ps.Count > 0) ExpectOp(",");
            if (IsOp(")")) break;
            var name = ExpectName();
            Expr? def = null;
            if (SkipOp("=")) def = ParseExpression();
            ps.Add(new MacroParam(name, def));
        }
        _i++;
        return ps;
    }

    private MacroStmt ParseMacro(int pos)
    {
        var name = ExpectName();
        var ps = ParseParams();
        ExpectBlockEnd();
        var body = ParseBody(["endmacro"], out _);
        ExpectBlockEnd();
        return new MacroStmt(pos, name, ps, body);
    }

    private CallBlockStmt ParseCallBlock(int pos)
    {
        var ps = IsOp("(") ? ParseParams() : [];
        var call = ParseExpression() as CallExpr ?? throw new TemplateErrorAt(pos, "'{% call %}' needs a macro call, e.g. {% call m(x) %}");
        ExpectBlockEnd();
        var body = ParseBody(["endcall"], out _);
        ExpectBlockEnd();
        return new CallBlockStmt(pos, call, ps, body);
    }

    private FilterBlockStmt ParseFilterBlock(int pos)
    {
        var filters = new List<FilterExpr> { ParseFilter(null) };
        while (SkipOp("|")) filters.Add(ParseFilter(null));
        ExpectBlockEnd();
        var body = ParseBody(["endfilter"], out _);
        ExpectBlockEnd();
        return new FilterBlockStmt(pos, filters, body);
    }

    // ---- expressions ----

    /// <summary>An expression, or a tuple of them separated by commas (Jinja2's parse_tuple).</summary>
    private Expr ParseTuple(bool withCondExpr = true)
    {
        var pos = Peek.Pos;
        var first = withCondExpr ? ParseExpression() : ParseOr();
        if (!IsOp(",")) return first;
        var items = new List<Expr> { first };
        while (SkipOp(","))
        {
            if (Peek.Kind is Tk.VarEnd or Tk.BlockEnd || IsOp(")") || IsName("if")) break;
            items.Add(withCondExpr ? ParseExpression() : ParseOr());
        }
        return new ListExpr(pos, items, true);
    }

    private Expr ParseExpression()
    {
        Enter();
        var pos = Peek.Pos;
        var e = ParseOr();
        while (IsName("if"))
        {
            _i++;
            var test = ParseOr();
            Expr? other = null;
            if (IsName("else")) { _i++; other = ParseExpression(); }
            e = new CondExpr(pos, test, e, other);
        }
        _depth--;
        return e;
    }

    private Expr ParseOr()
    {
        var e = ParseAnd();
        while (IsName("or")) { var p = Next().Pos; e = new BinaryExpr(p, "or", e, ParseAnd()); }
        return e;
    }

    private Expr ParseAnd()
    {
        var e = ParseNot();
        while (IsName("and")) { var p = Next().Pos; e = new BinaryExpr(p, "and", e, ParseNot()); }
        return e;
    }

    private Expr ParseNot()
    {
        if (IsName("not"))
        {
            var p = Next().Pos;
            Enter();
            var e = new UnaryExpr(p, "not", ParseNot());
            _depth--;
            return e;
        }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var pos = Peek.Pos;
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Peek.Kind == Tk.Op && Peek.Text is "==" or "!=" or "<" or "<=" or ">" or ">=") { var op = Next().Text; rest.Add((op, ParseMath1())); }
            else if (IsName("in")) { _i++; rest.Add(("in", ParseMath1())); }
            else if (IsName("not") && PeekAt(1).Kind == Tk.Name && PeekAt(1).Text == "in") { _i += 2; rest.Add(("notin", ParseMath1())); }
            else break;
        }
        return rest.Count == 0 ? first : new CompareExpr(pos, first, rest);
    }

    private Expr ParseMath1()
    {
        var e = ParseConcat();
        while (Peek.Kind == Tk.Op && Peek.Text is "+" or "-") { var t = Next(); e = new BinaryExpr(t.Pos, t.Text, e, ParseConcat()); }
        return e;
    }

    private Expr ParseConcat()
    {
        var e = ParseMath2();
        while (IsOp("~")) { var t = Next(); e = new BinaryExpr(t.Pos, "~", e, ParseMath2()); }
        return e;
    }

    private Expr ParseMath2()
    {
        var e = ParsePow();
        while (Peek.Kind == Tk.Op && Peek.Text is "*" or "/" or "//" or "%") { var t = Next(); e = new BinaryExpr(t.Pos, t.Text, e, ParsePow()); }
        return e;
    }

    private Expr ParsePow()
    {
        var e = ParseUnary(true);
        while (IsOp("**")) { var t = Next(); e = new BinaryExpr(t.Pos, "**", e, ParseUnary(true)); }
        return e;
    }

    private Expr ParseUnary(bool withFilter)
    {
        Enter();
        Expr e;
        if (Peek.Kind == Tk.Op && Peek.Text is "-" or "+")
        {
            var t = Next();
            e = new UnaryExpr(t.Pos, t.Text, ParseUnary(false));
        }
        else e = ParsePostfix(ParsePrimary());
        if (withFilter) e = ParseFilterTests(e);
        _depth--;
        return e;
    }

    private Expr ParsePrimary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case Tk.Name:
                return t.Text switch
                {
                    "true" or "True" => new ConstExpr(t.Pos, true),
                    "false" or "False" => new ConstExpr(t.Pos, false),
                    "none" or "None" => new ConstExpr(t.Pos, null),
                    _ => new NameExpr(t.Pos, t.Text),
                };
            case Tk.String:
            {
                var s = (string)t.Value!;
                while (Peek.Kind == Tk.String) s += (string)Next().Value!;
                return new ConstExpr(t.Pos, s);
            }
            case Tk.Int:
            case Tk.Float:
                return new ConstExpr(t.Pos, t.Value);
            case Tk.Op when t.Text == "(":
            {
                if (SkipOp(")")) return new ListExpr(t.Pos, [], true);
                var e = ParseTuple();
                ExpectOp(")");
                return e;
            }
            case Tk.Op when t.Text == "[":
            {
                var items = new List<Expr>();
                while (!IsOp("]"))
                {
                    if (items.Count > 0) ExpectOp(",");
                    if (IsOp("]")) break;
                    items.Add(ParseExpression());
                }
                _i++;
                return new ListExpr(t.Pos, items, false);
            }
            case Tk.Op when t.Text == "{":
            {
                var items = new List<(Expr, Expr)>();
                while (!IsOp("}"))
                {
                    if (items.Count > 0) ExpectOp(",");
                    if (IsOp("}")) break;
                    var k = ParseExpression();
                    ExpectOp(":");
                    items.Add((k, ParseExpression()));
                }
                _i++;
                return new DictExpr(t.Pos, items);
            }
            default:
                throw Err(t, $"unexpected '{Show(t)}' where a value was expected");
        }
    }

    private Expr ParsePostfix(Expr e)
    {
        while (true)
        {
            var t = Peek;
            if (IsOp("."))
            {
                _i++;
                var n = Next();
                if (n.Kind == Tk.Name) e = new AttrExpr(t.Pos, e, n.Text);
                else if (n.Kind == Tk.Int) e = new ItemExpr(t.Pos, e, new ConstExpr(n.Pos, n.Value));
                else throw Err(n, $"expected an attribute name after '.' but found '{Show(n)}'");
            }
            else if (IsOp("["))
            {
                _i++;
                e = ParseSubscript(t.Pos, e);
            }
            else if (IsOp("(")) e = new CallExpr(t.Pos, e, ParseArgs());
            else return e;
        }
    }

    private Expr ParseSubscript(int pos, Expr obj)
    {
        Expr? start = null, stop = null, step = null;
        if (!IsOp(":")) start = ParseExpression();
        if (!SkipOp(":"))
        {
            ExpectOp("]");
            return new ItemExpr(pos, obj, start!);
        }
        if (!IsOp("]") && !IsOp(":")) stop = ParseExpression();
        if (SkipOp(":") && !IsOp("]")) step = ParseExpression();
        ExpectOp("]");
        return new SliceExpr(pos, obj, start, stop, step);
    }

    private List<Arg> ParseArgs()
    {
        ExpectOp("(");
        var args = new List<Arg>();
        while (!IsOp(")"))
        {
            if (args.Count > 0) ExpectOp(",");
            if (IsOp(")")) break;
            if (Peek.Kind == Tk.Name && PeekAt(1).Kind == Tk.Op && PeekAt(1).Text == "=")
            {
                var name = Next().Text;
                _i++;
                args.Add(new Arg(name, ParseExpression()));
            }
            else
            {
                if (IsOp("*") || IsOp("**")) throw Err(Peek, "*args and **kwargs in calls are not supported");
                args.Add(new Arg(null, ParseExpression()));
            }
        }
        _i++;
        return args;
    }

    private FilterExpr ParseFilter(Expr? value)
    {
        var t = Peek;
        var name = ExpectName();
        while (IsOp(".") && PeekAt(1).Kind == Tk.Name) { _i++; name += "." + Next().Text; }
        var args = IsOp("(") ? ParseArgs() : [];
        return new FilterExpr(t.Pos, value, name, args);
    }

    private Expr ParseFilterTests(Expr e)
    {
        while (true)
        {
            if (SkipOp("|")) { e = ParseFilter(e); continue; }
            if (IsName("is"))
            {
                var pos = Next().Pos;
                var neg = false;
                if (IsName("not")) { _i++; neg = true; }
                var name = ExpectName();
                while (IsOp(".") && PeekAt(1).Kind == Tk.Name) { _i++; name += "." + Next().Text; }
                List<Arg> args = [];
                if (IsOp("(")) args = ParseArgs();
                else if ((Peek.Kind is Tk.Name or Tk.String or Tk.Int or Tk.Float || IsOp("[") || IsOp("{"))
                         && !(Peek.Kind == Tk.Name && Peek.Text is "else" or "or" or "and" or "if" or "in" or "not" or "is"))
                {
                    args = [new Arg(null, ParsePostfix(ParsePrimary()))];
                }
                e = new TestExpr(pos, e, name, args, neg);
                continue;
            }
            return e;
        }
    }
}
