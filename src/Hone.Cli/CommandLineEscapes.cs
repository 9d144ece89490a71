using System.Text;

namespace Hone.Cli;

/// <summary>
/// Text given on the command line (a prompt template, a system prompt) where a shell makes real line breaks awkward:
/// <c>\n</c> is a line break, <c>\t</c> a tab and <c>\\</c> one backslash. Any other backslash stays as written
/// (so <c>\d</c> in a pattern is kept), and real line breaks pass through unchanged.
/// </summary>
public static class CommandLineEscapes
{
    /// <summary>What the option help says about the escapes.</summary>
    public const string Help = @"\n is a line break, \t a tab, \\ a backslash (a real line break works too).";

    /// <summary>The text with <c>\n</c>, <c>\t</c> and <c>\\</c> replaced; null stays null.</summary>
    public static string? Unescape(string? text)
    {
        if (text is null || !text.Contains('\\', StringComparison.Ordinal)) return text;
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length)
            {
                var next = text[i + 1];
                var replaced = next switch { 'n' => '\n', 't' => '\t', '\\' => '\\', _ => (char?)null };
                if (replaced is { } r)
                {
                    sb.Append(r);
                    i++;
                    continue;
                }
            }
            sb.Append(c);
        }
        return sb.ToString();
    }
}
