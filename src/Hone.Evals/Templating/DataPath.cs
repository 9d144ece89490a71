using System.Globalization;
using System.Text;
using System.Text.Json;
using Hone.Evals.Graders;

namespace Hone.Evals.Templating;

/// <summary>
/// A reference into the grading context, as written inside <c>{{ }}</c>: a namespace (<c>item</c> or <c>sample</c>)
/// followed by a JSON-path-like chain: <c>.name</c> for an object member, <c>[N]</c> or <c>.N</c> for an array element
/// (<c>[-1]</c> is the last, <c>[-2]</c> the one before, as in Python), <c>["odd key"]</c> for a member whose name is not
/// a plain identifier.
/// Examples: <c>item.reference_answer</c>, <c>item.expected.fields[2].value</c>, <c>item.messages[-1].content</c>,
/// <c>sample.output_json.answer</c>, <c>sample.output_tools[0].function.name</c>.
/// </summary>
public sealed class DataPath
{
    private readonly object[] _segments; // string (member) or int (index)

    private DataPath(string text, bool isItem, object[] segments)
    {
        Text = text;
        IsItem = isItem;
        _segments = segments;
    }

    /// <summary>The path as written.</summary>
    public string Text { get; }

    /// <summary>True for the <c>item</c> namespace, false for <c>sample</c>.</summary>
    public bool IsItem { get; }

    /// <summary>Parses a path; throws <see cref="TemplateException"/> saying what is wrong and how to write it.</summary>
    public static DataPath Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        var segs = new List<object>();
        int i = 0;
        var ns = ReadIdent(s, ref i);
        if (ns is not ("item" or "sample"))
            throw new TemplateException($"'{text}': a reference must start with the namespace 'item' or 'sample' (e.g. item.answer or sample.output_text).");
        while (i < s.Length)
        {
            if (s[i] == '.')
            {
                i++;
                if (i < s.Length && char.IsAsciiDigit(s[i])) segs.Add(ReadIndex(s, ref i, text));
                else
                {
                    var id = ReadIdent(s, ref i);
                    if (id.Length == 0) throw new TemplateException($"'{text}': expected a field name after '.' at offset {i}.");
                    segs.Add(id);
                }
            }
            else if (s[i] == '[')
            {
                i++;
                if (i < s.Length && s[i] is '"' or '\'') segs.Add(ReadQuoted(s, ref i, text));
                else segs.Add(ReadIndex(s, ref i, text));
                if (i >= s.Length || s[i] != ']') throw new TemplateException($"'{text}': expected ']' at offset {i}.");
                i++;
            }
            else throw new TemplateException($"'{text}': unexpected character '{s[i]}' at offset {i}; use .field, [index] or [\"key\"].");
        }
        if (!(ns == "item") && segs.Count == 0)
            throw new TemplateException($"'{text}': name a sample field: sample.output_text, sample.output_json or sample.output_tools.");
        return new DataPath(s, ns == "item", [.. segs]);
    }

    /// <summary>Finds the referenced value; false with a message naming the missing segment when it is absent.</summary>
    public bool TryResolve(GradeContext ctx, out JsonElement value, out string? error)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var cur = IsItem ? ctx.Item : ctx.SampleJson;
        var walked = new StringBuilder(IsItem ? "item" : "sample");
        foreach (var seg in _segments)
        {
            if (seg is string name)
            {
                if (cur.ValueKind != JsonValueKind.Object || !cur.TryGetProperty(name, out var next))
                {
                    value = default;
                    error = cur.ValueKind == JsonValueKind.Object
                        ? $"'{Text}': {walked} has no field '{name}'" + (walked.ToString() == "sample" && name == "output_json" ? " (the output is not valid JSON)." : ".")
                        : $"'{Text}': {walked} is {Kind(cur)}, not an object, so it has no field '{name}'.";
                    return false;
                }
                cur = next;
                walked.Append('.').Append(name);
            }
            else
            {
                var idx = (int)seg;
                int at = cur.ValueKind == JsonValueKind.Array && idx < 0 ? cur.GetArrayLength() + idx : idx;
                if (cur.ValueKind != JsonValueKind.Array || at < 0 || at >= cur.GetArrayLength())
                {
                    value = default;
                    error = cur.ValueKind == JsonValueKind.Array
                        ? $"'{Text}': {walked} has {cur.GetArrayLength()} element(s), so [{idx}] is out of range."
                        : $"'{Text}': {walked} is {Kind(cur)}, not an array, so it has no element [{idx}].";
                    return false;
                }
                cur = cur[at];
                walked.Append('[').Append(idx).Append(']');
            }
        }
        value = cur;
        error = null;
        return true;
    }

    /// <summary>Finds the referenced value or throws <see cref="TemplateException"/> (missing field).</summary>
    public JsonElement Resolve(GradeContext ctx) =>
        TryResolve(ctx, out var v, out var err) ? v : throw new TemplateException(err!, missingField: true);

    /// <inheritdoc/>
    public override string ToString() => Text;

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "not an object",
    };

    private static string ReadIdent(string s, ref int i)
    {
        int start = i;
        while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] is '_' or '-')) i++;
        return s[start..i];
    }

    private static int ReadIndex(string s, ref int i, string text)
    {
        int start = i;
        if (i < s.Length && s[i] == '-') i++;
        int digits = i;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i == digits || !int.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            throw new TemplateException($"'{text}': expected an array index at offset {start} (0 is the first element, -1 the last).");
        return n;
    }

    private static string ReadQuoted(string s, ref int i, string text)
    {
        var q = s[i++];
        int start = i;
        while (i < s.Length && s[i] != q) i++;
        if (i >= s.Length) throw new TemplateException($"'{text}': unterminated quoted key starting at offset {start - 1}.");
        var key = s[start..i];
        i++;
        return key;
    }
}
