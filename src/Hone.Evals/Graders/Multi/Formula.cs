using System.Globalization;

namespace Hone.Evals.Graders.Multi;

/// <summary>
/// A small, safe arithmetic expression over named variables, for multi graders' <c>calculate_output</c>:
/// numbers, names (<c>[A-Za-z_][A-Za-z0-9_]*</c>), <c>+ - * /</c>, <c>^</c> (power, right-associative), unary minus,
/// parentheses, and the functions <c>min(a, b, ...)</c>, <c>max(a, b, ...)</c>, <c>abs</c>, <c>floor</c>, <c>ceil</c>,
/// <c>sqrt</c>, <c>exp</c>, <c>log</c> (natural). Nothing else: no calls out, no assignment, no loops.
/// Example: <c>0.5 * name_ok + 0.5 * min(args_ok, 1)</c>.
/// </summary>
public sealed class Formula
{
    private const int MaxLength = 2000;
    private const int MaxDepth = 64;
    private static readonly string[] Functions = ["min", "max", "abs", "floor", "ceil", "sqrt", "exp", "log"];

    private readonly Node _root;

    private Formula(string text, Node root, IReadOnlyList<string> names)
    {
        Text = text;
        _root = root;
        Variables = names;
    }

    /// <summary>The formula as written.</summary>
    public string Text { get; }

    /// <summary>The variable names used, in first-use order.</summary>
    public IReadOnlyList<string> Variables { get; }

    /// <summary>Parses a formula; throws <see cref="FormatException"/> giving the offset and what was expected.</summary>
    public static Formula Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength) throw new FormatException($"formula is longer than {MaxLength} characters.");
        var p = new Parser(text);
        var root = p.Expression(0);
        p.SkipBlanks();
        if (p.Pos < text.Length) throw new FormatException($"unexpected '{text[p.Pos]}' at offset {p.Pos} in \"{text}\".");
        return new Formula(text, root, p.Names);
    }

    /// <summary>Evaluates with the given variable values; throws <see cref="KeyNotFoundException"/> for a missing one.</summary>
    public double Evaluate(IReadOnlyDictionary<string, double> vars)
    {
        ArgumentNullException.ThrowIfNull(vars);
        return _root.Eval(vars);
    }

    private abstract class Node
    {
        public abstract double Eval(IReadOnlyDictionary<string, double> v);
    }

    private sealed class Num(double x) : Node
    {
        public override double Eval(IReadOnlyDictionary<string, double> v) => x;
    }

    private sealed class Var(string name) : Node
    {
        public override double Eval(IReadOnlyDictionary<string, double> v) =>
            v.TryGetValue(name, out var x) ? x : throw new KeyNotFoundException($"no value for '{name}'.");
    }

    private sealed class Unary(Node a) : Node
    {
        public override double Eval(IReadOnlyDictionary<string, double> v) => -a.Eval(v);
    }

    private sealed class Binary(char op, Node a, Node b) : Node
    {
        public override double Eval(IReadOnlyDictionary<string, double> v)
        {
            double x = a.Eval(v), y = b.Eval(v);
            return op switch
            {
                '+' => x + y,
                '-' => x - y,
                '*' => x * y,
                '/' => x / y,
                _ => Math.Pow(x, y),
            };
        }
    }

    private sealed class Call(string fn, List<Node> args) : Node
    {
        public override double Eval(IReadOnlyDictionary<string, double> v)
        {
            var xs = args.Select(a => a.Eval(v)).ToList();
            return fn switch
            {
                "min" => xs.Min(),
                "max" => xs.Max(),
                "abs" => Math.Abs(xs[0]),
                "floor" => Math.Floor(xs[0]),
                "ceil" => Math.Ceiling(xs[0]),
                "sqrt" => Math.Sqrt(xs[0]),
                "exp" => Math.Exp(xs[0]),
                _ => Math.Log(xs[0]),
            };
        }
    }

    private sealed class Parser(string s)
    {
        public int Pos;
        public List<string> Names { get; } = [];

        public void SkipBlanks()
        {
            while (Pos < s.Length && char.IsWhiteSpace(s[Pos])) Pos++;
        }

        private bool Eat(char c)
        {
            SkipBlanks();
            if (Pos < s.Length && s[Pos] == c)
            {
                Pos++;
                return true;
            }
            return false;
        }

        private FormatException Error(string expected) =>
            new($"expected {expected} at offset {Pos} in \"{s}\"" + (Pos < s.Length ? $", found '{s[Pos]}'." : ", found the end."));

        public Node Expression(int depth)
        {
            if (depth > MaxDepth) throw new FormatException($"formula nests deeper than {MaxDepth} levels.");
            var left = Term(depth);
            while (true)
            {
                if (Eat('+')) left = new Binary('+', left, Term(depth));
                else if (Eat('-')) left = new Binary('-', left, Term(depth));
                else return left;
            }
        }

        private Node Term(int depth)
        {
            var left = Power(depth);
            while (true)
            {
                if (Eat('*')) left = new Binary('*', left, Power(depth));
                else if (Eat('/')) left = new Binary('/', left, Power(depth));
                else return left;
            }
        }

        private Node Power(int depth)
        {
            var b = UnaryExpr(depth);
            return Eat('^') ? new Binary('^', b, Power(depth + 1)) : b;
        }

        private Node UnaryExpr(int depth)
        {
            if (depth > MaxDepth) throw new FormatException($"formula nests deeper than {MaxDepth} levels.");
            if (Eat('-')) return new Unary(UnaryExpr(depth + 1));
            if (Eat('+')) return UnaryExpr(depth + 1);
            return Primary(depth);
        }

        private Node Primary(int depth)
        {
            SkipBlanks();
            if (Eat('('))
            {
                var e = Expression(depth + 1);
                if (!Eat(')')) throw Error("')'");
                return e;
            }
            if (Pos < s.Length && (char.IsAsciiDigit(s[Pos]) || s[Pos] == '.'))
            {
                int start = Pos;
                while (Pos < s.Length && (char.IsAsciiDigit(s[Pos]) || s[Pos] == '.')) Pos++;
                if (Pos < s.Length && s[Pos] is 'e' or 'E')
                {
                    Pos++;
                    if (Pos < s.Length && s[Pos] is '+' or '-') Pos++;
                    while (Pos < s.Length && char.IsAsciiDigit(s[Pos])) Pos++;
                }
                var lit = s[start..Pos];
                if (!double.TryParse(lit, NumberStyles.Float, CultureInfo.InvariantCulture, out var x))
                {
                    Pos = start;
                    throw Error("a number");
                }
                return new Num(x);
            }
            if (Pos < s.Length && (char.IsAsciiLetter(s[Pos]) || s[Pos] == '_'))
            {
                int start = Pos;
                while (Pos < s.Length && (char.IsAsciiLetterOrDigit(s[Pos]) || s[Pos] == '_')) Pos++;
                var name = s[start..Pos];
                if (Eat('('))
                {
                    if (Array.IndexOf(Functions, name) < 0)
                        throw new FormatException($"unknown function '{name}' at offset {start}; available: {string.Join(", ", Functions)}.");
                    var args = new List<Node> { Expression(depth + 1) };
                    while (Eat(',')) args.Add(Expression(depth + 1));
                    if (!Eat(')')) throw Error("',' or ')'");
                    bool variadic = name is "min" or "max";
                    if (!variadic && args.Count != 1)
                        throw new FormatException($"{name}() takes one argument, got {args.Count} (offset {start}).");
                    return new Call(name, args);
                }
                if (!Names.Contains(name)) Names.Add(name);
                return new Var(name);
            }
            throw Error("a number, a name, a function or '('");
        }
    }
}
