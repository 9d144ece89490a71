using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Prompting.Files;

/// <summary>A variable a prompt template reads, at the line of its first use in the template.</summary>
/// <param name="Name">The variable (a case field, <c>case</c>, or an earlier step's name).</param>
/// <param name="Line">1-based line in the template.</param>
public sealed record TemplateVariable(string Name, int Line);

/// <summary>
/// One template of a prompt file (a system or user message), rendered by Hone's one Jinja engine as a data template
/// (<see cref="TextTemplate"/>): the text is kept as written, and a field the case lacks is an error, never an empty
/// string. Errors name the prompt file and the line in it (the template's first line in the file plus its line in the
/// template) and the field.
/// </summary>
public sealed partial class PromptTemplate
{
    private readonly TextTemplate _template;

    private PromptTemplate(string source, string file, int firstLine, string section, TextTemplate template)
    {
        Source = source;
        File = file;
        FirstLine = firstLine;
        Section = section;
        _template = template;
        var lines = source.Split('\n');
        Variables = [.. template.FreeVariables.Select(v => new TemplateVariable(v, FirstUse(lines, v)))];
    }

    /// <summary>The template text.</summary>
    public string Source { get; }

    /// <summary>The prompt file it was read from.</summary>
    public string File { get; }

    /// <summary>The line of the prompt file holding the template's first line.</summary>
    public int FirstLine { get; }

    /// <summary>Where it is in the file (<c>system</c>, <c>user</c>, <c>steps[1].prompt.user</c>).</summary>
    public string Section { get; }

    /// <summary>The variables it reads (case fields, step outputs), in order of first use.</summary>
    public IReadOnlyList<TemplateVariable> Variables { get; }

    /// <summary>The file line of a template line.</summary>
    public int FileLine(int templateLine) => FirstLine + Math.Max(templateLine, 1) - 1;

    /// <summary>Parses <paramref name="source"/>; a syntax error names the file and line.</summary>
    public static PromptTemplate Parse(string source, string file, int firstLine, string section)
    {
        ArgumentNullException.ThrowIfNull(source);
        try { return new PromptTemplate(source, file, firstLine, section, TextTemplate.Parse(source, section)); }
        catch (ChatTemplateException e)
        {
            throw new PromptFileException(file, firstLine + Math.Max(e.Line, 1) - 1, $"{section}: {e.Detail}. Templates are Jinja: {{{{ field }}}} prints a field of the case.", e);
        }
    }

    /// <summary>
    /// Renders with <paramref name="variables"/>. A field the template reads that is not there is an error naming the
    /// prompt file, the line and the field, and <paramref name="caseLabel"/> (which case lacks it).
    /// </summary>
    public string Render(IReadOnlyDictionary<string, JsonNode?> variables, string caseLabel)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var data = variables.ToDictionary(v => v.Key, v => v.Value is null ? JsonSerializer.SerializeToElement<object?>(null) : JsonSerializer.SerializeToElement(v.Value),
            StringComparer.Ordinal);
        try
        {
            return _template.Render(data);
        }
        catch (ChatTemplateException e)
        {
            var line = FileLine(e.Line);
            if (!e.MissingValue) throw new PromptFileException(File, line, $"{Section}: {e.Detail} (rendering {caseLabel}).", e);
            var name = Variables.Select(v => v.Name).FirstOrDefault(n => !variables.ContainsKey(n) && Regex.IsMatch(e.Detail, $@"\b{Regex.Escape(n)}\b", RegexOptions.None, TimeSpan.FromSeconds(1)));
            var fields = string.Join(", ", variables.Keys.Where(k => k != Rendering.PromptVariables.CaseKey).Order(StringComparer.Ordinal));
            throw new PromptFileException(File, line, name is not null
                ? $"{Section}: '{name}' is not a field of {caseLabel}; it has: {fields}. Fix the field name, add the field to the case, or write {{{{ {name} | default('') }}}} when it is optional."
                : $"{Section}: {e.Detail} ({caseLabel}; its fields: {fields}).", e);
        }
    }

    private static int FirstUse(string[] lines, string name)
    {
        var word = new Regex($@"(?<![\w.]){Regex.Escape(name)}\b", RegexOptions.None, TimeSpan.FromSeconds(1));
        bool inTag = false;
        for (int i = 0; i < lines.Length; i++)
        {
            // Only text inside {{ }} or {% %} counts; a tag may span lines.
            foreach (var part in Tags().Split(lines[i]).Select((p, k) => (p, k)))
            {
                if (part.p is "{{" or "{%") { inTag = true; continue; }
                if (part.p is "}}" or "%}") { inTag = false; continue; }
                if (inTag && word.IsMatch(part.p)) return i + 1;
            }
        }
        return 1;
    }

    [GeneratedRegex(@"(\{\{|\{%|\}\}|%\})", RegexOptions.None, 1000)]
    private static partial Regex Tags();
}
