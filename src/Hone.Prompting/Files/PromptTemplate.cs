using System.Text.Json.Nodes;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Prompting.Files;

/// <summary>
/// One template of a prompt file (a system or user message), rendered with Hone's Jinja engine
/// (<see cref="ChatTemplate"/>) in strict mode: printing a value that is not there is an error. Errors name the prompt
/// file and the line in it (the template's first line in the file plus its line in the template).
/// </summary>
public sealed class PromptTemplate
{
    private readonly ChatTemplate _template;

    private PromptTemplate(string source, string file, int firstLine, string section, ChatTemplate template)
    {
        Source = source;
        File = file;
        FirstLine = firstLine;
        Section = section;
        _template = template;
        Variables = template.UndeclaredVariables();
    }

    /// <summary>The template text.</summary>
    public string Source { get; }

    /// <summary>The prompt file it was read from.</summary>
    public string File { get; }

    /// <summary>The line of the prompt file holding the template's first line.</summary>
    public int FirstLine { get; }

    /// <summary>Where it is in the file (<c>system</c>, <c>user</c>, <c>steps[1].prompt.user</c>).</summary>
    public string Section { get; }

    /// <summary>The variables it reads (case fields, step outputs), each at its first use.</summary>
    public IReadOnlyList<TemplateVariable> Variables { get; }

    /// <summary>The file line of a template line.</summary>
    public int FileLine(int templateLine) => FirstLine + Math.Max(templateLine, 1) - 1;

    /// <summary>Parses <paramref name="source"/>; a syntax error names the file and line.</summary>
    public static PromptTemplate Parse(string source, string file, int firstLine, string section)
    {
        ArgumentNullException.ThrowIfNull(source);
        try { return new PromptTemplate(source, file, firstLine, section, ChatTemplate.Parse(source, section)); }
        catch (ChatTemplateException e)
        {
            throw new PromptFileException(file, firstLine + Math.Max(e.Line, 1) - 1, $"{section}: {e.Detail}. Templates are Jinja: {{{{ field }}}} prints a field of the case.", e);
        }
    }

    /// <summary>
    /// Renders with <paramref name="variables"/>. A variable the template prints that is not there is an error naming
    /// the prompt file, the line and the field, and <paramref name="caseLabel"/> (which case lacks it).
    /// </summary>
    public string Render(IReadOnlyDictionary<string, JsonNode?> variables, string caseLabel)
    {
        ArgumentNullException.ThrowIfNull(variables);
        try
        {
            return _template.Render(new ChatRenderInput { Messages = [], Variables = variables, StrictUndefined = true }).Text;
        }
        catch (ChatTemplateException e)
        {
            var line = FileLine(e.Line);
            var m = System.Text.RegularExpressions.Regex.Match(e.Detail, @"^UndefinedError: '([^']+)' is undefined", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
            if (m.Success)
                throw new PromptFileException(File, line,
                    $"{Section}: '{m.Groups[1].Value}' is not a field of {caseLabel}; it has: {string.Join(", ", variables.Keys.Where(k => k != Rendering.PromptVariables.CaseKey).Order(StringComparer.Ordinal))}. " +
                    "Fix the field name, add the field to the case, or write {{ " + m.Groups[1].Value + " | default('') }} when it is optional.", e);
            throw new PromptFileException(File, line, $"{Section}: {e.Detail} (rendering {caseLabel}).", e);
        }
    }
}
