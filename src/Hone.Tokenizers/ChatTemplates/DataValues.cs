using System.Text.Json.Nodes;

namespace Hone.Tokenizers.ChatTemplates;

/// <summary>
/// How a data template (<see cref="TextTemplate"/>) reads and prints values: a field wins over a dict method of the same
/// name, an absent field or element is an Undefined that names its path and fails where it is needed, and a printed
/// value is JSON text (a string as it is, compact JSON for lists and dicts, true/false/null).
/// </summary>
internal static class DataValues
{
    /// <summary><c>obj.name</c>.</summary>
    public static object? Attr(object? obj, string name, Expr objExpr)
    {
        if (obj is PyDict d && d.TryGet(name, out var field)) return field;
        if (obj is Undefined u) throw u.Fail();
        var v = ExpressionEvaluator.GetAttr(obj, name);
        return v is Undefined ? NoField(obj, name, objExpr) : v;
    }

    /// <summary><c>obj[key]</c>; a negative index counts from the end, as in Python.</summary>
    public static object? Item(object? obj, object? key, Expr objExpr)
    {
        if (obj is Undefined u) throw u.Fail();
        var v = ExpressionEvaluator.GetItem(obj, key);
        if (v is not Undefined) return v;
        if (Py.IsStr(key)) return NoField(obj, Py.StrOf(key), objExpr);
        var path = PathOf(objExpr);
        return new Undefined(obj is PyList l && key is long or bool
            ? $"{path} has {l.Count} element(s), so [{Py.Repr(key)}] is out of range."
            : $"{path} is {Kind(obj)}, not an array, so it has no element [{Py.Repr(key)}].", missing: true);
    }

    /// <summary>The text a printed value gives.</summary>
    public static string Text(object? v) => v switch
    {
        Undefined u => throw u.Fail(),
        null => "null",
        bool b => b ? "true" : "false",
        PyList or PyDict or PyIterator => PyJson.Dumps(v, null, compact: true),
        _ => Py.StrOf(v),
    };

    /// <summary>A template value as JSON.</summary>
    public static JsonNode? ToJson(object? v, int depth = 0)
    {
        if (depth > 200) throw new TemplateError("ValueError: value nested too deeply to convert to JSON");
        switch (v)
        {
            case Undefined u: throw u.Fail();
            case null: return null;
            case bool b: return JsonValue.Create(b);
            case long l: return JsonValue.Create(l);
            case double d: return JsonValue.Create(d);
            case PyList list:
            {
                var a = new JsonArray();
                foreach (var x in list.Items) a.Add(ToJson(x, depth + 1));
                return a;
            }
            case PyDict dict:
            {
                var o = new JsonObject();
                foreach (var kv in dict.Pairs) o[Py.StrOf(PyDict.DenormKey(kv.Key))] = ToJson(kv.Value, depth + 1);
                return o;
            }
            case PyIterator: return JsonNode.Parse(PyJson.Dumps(v, null));
            default: return JsonValue.Create(Py.StrOf(v));
        }
    }

    private static Undefined NoField(object? obj, string name, Expr objExpr) => new(obj is PyDict
        ? $"{PathOf(objExpr)} has no field '{name}'."
        : $"{PathOf(objExpr)} is {Kind(obj)}, not an object, so it has no field '{name}'.", missing: true);

    /// <summary>The path an expression reads, as written: <c>item.messages[-1]</c>.</summary>
    private static string PathOf(Expr e) => e switch
    {
        NameExpr n => n.Name,
        AttrExpr a => PathOf(a.Obj) + "." + a.Name,
        ItemExpr { Key: ConstExpr c } i => PathOf(i.Obj) + "[" + Py.Repr(c.Value) + "]",
        ItemExpr { Key: UnaryExpr { Op: "-", Operand: ConstExpr c } } i => PathOf(i.Obj) + "[-" + Py.Repr(c.Value) + "]",
        ItemExpr i => PathOf(i.Obj) + "[...]",
        _ => "the value",
    };

    private static string Kind(object? v) => v switch
    {
        null => "null",
        bool => "a boolean",
        long or double => "a number",
        string or TrackedString => "a string",
        PyList => "an array",
        PyDict => "an object",
        _ => "a " + Py.TypeName(v),
    };
}
