namespace Hone.Tokenizers.ChatTemplates;

/// <summary>Jinja2's tests (<c>x is defined</c>, <c>x is string</c>, <c>x is equalto y</c>, ...).</summary>
internal static class JinjaTests
{
    public static bool Apply(RenderContext ctx, string name, object? v, List<object?> args, Dictionary<string, object?> kw)
    {
        object? Arg0() => args.Count > 0 ? args[0] : kw.Values.FirstOrDefault(Undefined.Plain);
        switch (name)
        {
            case "defined": return v is not Undefined;
            case "undefined": return v is Undefined;
            case "none": return v is null;
            case "boolean": return v is bool;
            case "true": return v is true;
            case "false": return v is false;
            case "integer": return v is long;
            case "float": return v is double;
            case "number": return v is long or double or bool;
            case "string": return Py.IsStr(v);
            case "mapping": return v is PyDict;
            case "sequence": return v is PyList or PyDict or Undefined || Py.IsStr(v);
            case "iterable": return v is PyList or PyDict or PyIterator or Undefined || Py.IsStr(v);
            case "callable": return v is Callable;
            case "sameas": return ReferenceEquals(v, Arg0()) || (v is null && Arg0() is null) || (v is bool b && Arg0() is bool b2 && b == b2);
            case "escaped": return Markup.Is(v);
            case "lower": return Py.StrOf(v) is var s && s.Any(char.IsLetter) && !s.Any(char.IsUpper);
            case "upper": return Py.StrOf(v) is var u && u.Any(char.IsLetter) && !u.Any(char.IsLower);
            case "odd": return Py.ToLong(v) % 2 != 0;
            case "even": return Py.ToLong(v) % 2 == 0;
            case "divisibleby":
            {
                var d = Py.ToLong(Arg0());
                if (d == 0) throw new TemplateError("ZeroDivisionError: integer division or modulo by zero");
                return Py.ToLong(v) % d == 0;
            }
            case "eq" or "equalto" or "==": return Py.Eq(v, Arg0());
            case "ne" or "!=": return !Py.Eq(v, Arg0());
            case "lt" or "lessthan" or "<": return Py.Compare(v, Arg0(), "<") < 0;
            case "le" or "<=": return Py.Compare(v, Arg0(), "<=") <= 0;
            case "gt" or "greaterthan" or ">": return Py.Compare(v, Arg0(), ">") > 0;
            case "ge" or ">=": return Py.Compare(v, Arg0(), ">=") >= 0;
            case "in": return Py.Contains(Arg0(), v);
            case "filter": return IsFilter(ctx, Py.StrOf(v));
            case "test": return Known.Contains(Py.StrOf(v));
            default:
                throw new TemplateError($"no test named '{name}' (supported: {string.Join(", ", Known)})");
        }
    }

    private static readonly string[] Known =
    [
        "defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number", "string", "mapping", "sequence",
        "iterable", "callable", "sameas", "escaped", "lower", "upper", "odd", "even", "divisibleby", "eq", "equalto", "ne", "lt",
        "lessthan", "le", "gt", "greaterthan", "ge", "in", "filter", "test",
    ];

    private static bool IsFilter(RenderContext ctx, string name)
    {
        try
        {
            Filters.Apply(ctx, name, "", [], []);
            return true;
        }
        catch (TemplateError e) when (e.Message.StartsWith("no filter named", StringComparison.Ordinal))
        {
            return false;
        }
        catch (TemplateError)
        {
            return true;
        }
    }
}
