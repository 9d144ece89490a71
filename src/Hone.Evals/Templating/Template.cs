using System.Text.Json;
using System.Text.RegularExpressions;
using Hone.Evals.Graders;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Evals.Templating;

/// <summary>
/// A prompt or grader template (<c>"Answer: {{ sample.output_text }} vs {{ item.reference }}"</c>): a Jinja template
/// rendered by the chat-template engine (<see cref="TextTemplate"/>) over two variables, <c>item</c> (the golden-set
/// case) and <c>sample</c> (<c>output_text</c>, <c>output_json</c>, <c>output_tools</c>). Paths are Jinja's:
/// <c>item.a.b</c>, <c>item.tags[0]</c> or <c>item.tags.0</c>, <c>item.messages[-1]</c> (the last), <c>item["odd key"]</c>.
/// </summary>
/// <remarks>
/// A string value is substituted as is; a number, boolean or null as its JSON text; an object or array as compact JSON.
/// A reference to an absent field is an error (<see cref="TemplateException.MissingField"/>), never an empty string.
/// </remarks>
public sealed partial class Template
{
    private readonly TextTemplate _template;

    private Template(TextTemplate template) => _template = template;

    /// <summary>The template as written.</summary>
    public string Source => _template.Source;

    /// <summary>The expression when the template is exactly one <c>{{ }}</c> and nothing else (blanks aside), else null.</summary>
    public string? SoleReference => _template.SoleExpression;

    /// <summary>Parses a template; throws <see cref="TemplateException"/> for a syntax error or a variable other than item and sample.</summary>
    public static Template Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        TextTemplate t;
        try
        {
            t = TextTemplate.Parse(source, "template");
        }
        catch (ChatTemplateException e)
        {
            throw new TemplateException($"Template \"{Shorten(source)}\" at {e.Line}:{e.Column}: {e.Detail}", e);
        }

        if (t.FreeVariables.FirstOrDefault(v => v is not ("item" or "sample")) is { } other)
        {
            throw new TemplateException(
                $"Template \"{Shorten(source)}\": '{other}' is not a namespace; a reference starts with 'item' or 'sample' (e.g. item.answer or sample.output_text).");
        }

        if (BareSample().IsMatch(source))
        {
            throw new TemplateException(
                $"Template \"{Shorten(source)}\": '{{{{ sample }}}}' names no field; write sample.output_text, sample.output_json or sample.output_tools.");
        }

        return new Template(t);
    }

    /// <summary>Renders the template; throws <see cref="TemplateException"/> (missing field) when a reference is absent.</summary>
    public string Render(GradeContext ctx) => Run(ctx, t => t.Render(Variables(ctx)));

    /// <summary>
    /// The value as JSON: the referenced value itself when the template is a sole reference, otherwise the rendered
    /// text as a JSON string.
    /// </summary>
    public JsonElement ResolveJson(GradeContext ctx) => SoleReference is null
        ? JsonSerializer.SerializeToElement(Render(ctx))
        : Run(ctx, t => JsonSerializer.SerializeToElement(t.Evaluate(Variables(ctx))));

    /// <inheritdoc/>
    public override string ToString() => Source;

    private static Dictionary<string, JsonElement> Variables(GradeContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        return new(StringComparer.Ordinal) { ["item"] = ctx.Item, ["sample"] = ctx.SampleJson };
    }

    private T Run<T>(GradeContext ctx, Func<TextTemplate, T> render)
    {
        try
        {
            return render(_template);
        }
        catch (ChatTemplateException e)
        {
            var hint = e.MissingValue && ctx.Sample.OutputJson is null && e.Detail.StartsWith("sample has no field 'output_json'", StringComparison.Ordinal)
                ? " (the output is not valid JSON)"
                : "";
            throw new TemplateException($"Template \"{Shorten(Source)}\" at {e.Line}:{e.Column}: {e.Detail}{hint}", e.MissingValue);
        }
    }

    [GeneratedRegex(@"\{\{[-+]?\s*sample\s*[-+]?\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex BareSample();

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
