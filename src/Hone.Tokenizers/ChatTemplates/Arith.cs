namespace Hone.Tokenizers.ChatTemplates;

/// <summary>Python arithmetic: int (64-bit, checked) vs float, str and list concatenation and repetition.</summary>
internal static class Arith
{
    public static object? Binary(RenderContext ctx, string op, object? a, object? b)
    {
        if (a is Undefined ua) throw ua.Fail();
        if (b is Undefined ub) throw ub.Fail();
        try
        {
            if (Py.IsNumber(a) && Py.IsNumber(b)) return Numeric(op, a, b);
            switch (op)
            {
                case "+":
                    if (Markup.Is(a) || Markup.Is(b))
                    {
                        var sum = Markup.Add(a, b);
                        ctx.CheckLength(sum.Text.Length);
                        return sum;
                    }
                    if (Py.IsStr(a))
                    {
                        if (!Py.IsStr(b)) throw new TemplateError($"TypeError: can only concatenate str (not \"{Py.TypeName(b)}\") to str");
                        ctx.CheckLength((long)Py.StrOf(a).Length + Py.StrOf(b).Length);
                        return TrackedString.Concat(a!, b!);
                    }
                    if (a is PyList la)
                    {
                        if (b is not PyList lb || la.IsTuple != lb.IsTuple)
                            throw new TemplateError($"TypeError: can only concatenate {Py.TypeName(a)} (not \"{Py.TypeName(b)}\") to {Py.TypeName(a)}");
                        ctx.CheckLength((long)la.Count + lb.Count);
                        return new PyList([.. la.Items, .. lb.Items], la.IsTuple);
                    }
                    break;
                case "*":
                    if (Py.IsStr(a) && b is long or bool) return Markup.KeepIf(Markup.Is(a), RepeatStr(ctx, Py.StrOf(a), Py.ToLong(b)));
                    if (Py.IsStr(b) && a is long or bool) return Markup.KeepIf(Markup.Is(b), RepeatStr(ctx, Py.StrOf(b), Py.ToLong(a)));
                    if (a is PyList l1 && b is long or bool) return RepeatList(ctx, l1, Py.ToLong(b));
                    if (b is PyList l2 && a is long or bool) return RepeatList(ctx, l2, Py.ToLong(a));
                    break;
                case "%":
                    if (Py.IsStr(a)) throw new TemplateError("printf-style '%' string formatting is not supported; use '~' or format()");
                    break;
            }
        }
        catch (OverflowException)
        {
            throw new TemplateError("OverflowError: integer result does not fit in 64 bits");
        }
        var sym = op;
        throw new TemplateError($"TypeError: unsupported operand type(s) for {sym}: '{Py.TypeName(a)}' and '{Py.TypeName(b)}'");
    }

    private static string RepeatStr(RenderContext ctx, string s, long n)
    {
        if (n <= 0 || s.Length == 0) return "";
        ctx.CheckLength(checked(s.Length * n));
        return string.Concat(Enumerable.Repeat(s, (int)n));
    }

    private static PyList RepeatList(RenderContext ctx, PyList l, long n)
    {
        if (n <= 0) return new PyList([], l.IsTuple);
        ctx.CheckLength(checked(l.Count * n));
        var items = new List<object?>();
        for (var i = 0; i < n; i++) items.AddRange(l.Items);
        return new PyList(items, l.IsTuple);
    }

    private static object Numeric(string op, object? a, object? b)
    {
        var isFloat = a is double || b is double;
        if (isFloat || op == "/")
        {
            var x = Py.ToDouble(a);
            var y = Py.ToDouble(b);
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "/":
                    if (y == 0) throw new TemplateError("ZeroDivisionError: division by zero");
                    return x / y;
                case "//":
                    if (y == 0) throw new TemplateError("ZeroDivisionError: float floor division by zero");
                    return Math.Floor(x / y);
                case "%":
                {
                    if (y == 0) throw new TemplateError("ZeroDivisionError: float modulo");
                    var r = x % y;
                    if (r != 0 && (r < 0) != (y < 0)) r += y;
                    return r;
                }
                case "**": return Math.Pow(x, y);
            }
        }
        var p = Py.ToLong(a);
        var q = Py.ToLong(b);
        switch (op)
        {
            case "+": return checked(p + q);
            case "-": return checked(p - q);
            case "*": return checked(p * q);
            case "//":
            {
                if (q == 0) throw new TemplateError("ZeroDivisionError: integer division or modulo by zero");
                var d = p / q;
                if (p % q != 0 && (p < 0) != (q < 0)) d--;
                return d;
            }
            case "%":
            {
                if (q == 0) throw new TemplateError("ZeroDivisionError: integer division or modulo by zero");
                var r = p % q;
                if (r != 0 && (r < 0) != (q < 0)) r += q;
                return r;
            }
            case "**":
            {
                if (q < 0) return Math.Pow(p, q);
                long result = 1, bas = p;
                var e = q;
                while (e > 0)
                {
                    if ((e & 1) != 0) result = checked(result * bas);
                    e >>= 1;
                    if (e > 0) bas = checked(bas * bas);
                }
                return result;
            }
        }
        throw new TemplateError($"unknown operator {op}");
    }
}
