using System.Text;

namespace Hone.Data.Import.Csv;

/// <summary>
/// A text template with <c>{{column}}</c> placeholders (white space inside the braces is ignored:
/// <c>{{ title }}</c>). Every <c>{{</c> opens a placeholder; there is no escaping. Everything else is literal text,
/// line breaks included.
/// </summary>
public sealed class PromptTemplate
{
    private readonly IReadOnlyList<(string? Literal, string? Column)> _parts;

    private PromptTemplate(string text, IReadOnlyList<(string?, string?)> parts)
    {
        Text = text;
        _parts = parts;
        Columns = parts.Where(p => p.Item2 is not null).Select(p => p.Item2!).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>The distinct column names the template uses, in order of first use.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Parses a template.</summary>
    /// <exception cref="ArgumentException">An unclosed or empty placeholder, with its character position.</exception>
    public static PromptTemplate Parse(string text, string role = "template")
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = new List<(string?, string?)>();
        var pos = 0;
        while (pos < text.Length)
        {
            var open = text.IndexOf("{{", pos, StringComparison.Ordinal);
            if (open < 0)
            {
                parts.Add((text[pos..], null));
                break;
            }
            if (open > pos) parts.Add((text[pos..open], null));
            var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
                throw new ArgumentException($"{role}: the placeholder opened at character {open + 1} is never closed; write {{{{column}}}}.");
            var name = text[(open + 2)..close].Trim();
            if (name.Length == 0)
                throw new ArgumentException($"{role}: the placeholder at character {open + 1} names no column; write {{{{column}}}}.");
            parts.Add((null, name));
            pos = close + 2;
        }
        return new PromptTemplate(text, parts);
    }

    /// <summary>Binds the placeholders to the header's columns.</summary>
    /// <exception cref="ArgumentException">A placeholder names no column of the file; the message names it and lists the available ones.</exception>
    public BoundTemplate Bind(CsvHeader header, string role = "template")
    {
        ArgumentNullException.ThrowIfNull(header);
        var bound = new List<(string?, int)>(_parts.Count);
        foreach (var (lit, col) in _parts)
        {
            if (col is null) bound.Add((lit, -1));
            else bound.Add((null, header.Require(col, $"{role} placeholder {{{{{col}}}}}")));
        }
        return new BoundTemplate(bound);
    }
}

/// <summary>A <see cref="PromptTemplate"/> whose placeholders are resolved to column indices.</summary>
public sealed class BoundTemplate
{
    private readonly IReadOnlyList<(string? Literal, int Column)> _parts;

    internal BoundTemplate(IReadOnlyList<(string?, int)> parts) => _parts = parts;

    /// <summary>The highest column index used, or −1.</summary>
    public int MaxColumn => _parts.Count == 0 ? -1 : _parts.Max(p => p.Column);

    /// <summary>Fills the template from one record's fields (which must reach <see cref="MaxColumn"/>).</summary>
    public string Render(IReadOnlyList<string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var sb = new StringBuilder();
        foreach (var (lit, col) in _parts) sb.Append(col < 0 ? lit : fields[col]);
        return sb.ToString();
    }
}
