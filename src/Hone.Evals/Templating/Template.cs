using System.Text;
using System.Text.Json;
using Hone.Evals.Graders;

namespace Hone.Evals.Templating;

/// <summary>
/// A grader template string as OpenAI's graders define it: literal text with <c>{{ namespace.path }}</c> references
/// (see <see cref="DataPath"/>), e.g. <c>"Answer: {{ sample.output_text }} vs {{ item.reference }}"</c>.
/// </summary>
/// <remarks>
/// A string value is substituted as is; a number, boolean or null as its JSON text; an object or array as compact JSON.
/// A reference to an absent field is an error (<see cref="TemplateException.MissingField"/>), never an empty string.
/// </remarks>
public sealed class Template
{
    private readonly IReadOnlyList<object> _parts; // string literal or DataPath

    private Template(string source, IReadOnlyList<object> parts)
    {
        Source = source;
        _parts = parts;
    }

    /// <summary>The template as written.</summary>
    public string Source { get; }

    /// <summary>The references the template contains, in order.</summary>
    public IEnumerable<DataPath> References => _parts.OfType<DataPath>();

    /// <summary>The single reference when the template is exactly one <c>{{ }}</c> and nothing else (blanks aside).</summary>
    public DataPath? SoleReference =>
        _parts.Count(p => p is DataPath) == 1 && _parts.All(p => p is DataPath || string.IsNullOrWhiteSpace((string)p))
            ? _parts.OfType<DataPath>().Single()
            : null;

    /// <summary>Parses a template; throws <see cref="TemplateException"/> for an unclosed brace or a bad reference.</summary>
    public static Template Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var parts = new List<object>();
        int i = 0;
        while (i < source.Length)
        {
            int open = source.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0)
            {
                parts.Add(source[i..]);
                break;
            }
            if (open > i) parts.Add(source[i..open]);
            int close = source.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
                throw new TemplateException($"Template \"{Shorten(source)}\": '{{{{' at offset {open} has no closing '}}}}'.");
            var inner = source[(open + 2)..close];
            if (string.IsNullOrWhiteSpace(inner))
                throw new TemplateException($"Template \"{Shorten(source)}\": empty '{{{{ }}}}' at offset {open}; write e.g. {{{{ item.answer }}}}.");
            parts.Add(DataPath.Parse(inner));
            i = close + 2;
        }
        return new Template(source, parts);
    }

    /// <summary>Renders the template; throws <see cref="TemplateException"/> (missing field) when a reference is absent.</summary>
    public string Render(GradeContext ctx)
    {
        var sb = new StringBuilder();
        foreach (var p in _parts)
        {
            if (p is string s) sb.Append(s);
            else sb.Append(ToText(((DataPath)p).Resolve(ctx)));
        }
        return sb.ToString();
    }

    /// <summary>
    /// The value as JSON: the referenced element itself when the template is a sole reference, otherwise the rendered
    /// text as a JSON string.
    /// </summary>
    public JsonElement ResolveJson(GradeContext ctx) =>
        SoleReference is { } r ? r.Resolve(ctx) : JsonSerializer.SerializeToElement(Render(ctx));

    /// <summary>Text for a JSON value as substituted into a template.</summary>
    public static string ToText(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Object or JsonValueKind.Array => JsonSerializer.Serialize(e),
        _ => e.GetRawText(),
    };

    /// <inheritdoc/>
    public override string ToString() => Source;

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
