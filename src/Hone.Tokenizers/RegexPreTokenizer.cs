using System.Text.RegularExpressions;

namespace Hone.Tokenizers;

/// <summary>
/// Splits text into words before byte-level BPE: each regex in turn splits every current piece into its matches
/// and the text between them (both kept, in order), as llama.cpp's unicode_regex_split and Hugging Face's
/// <c>Split</c> pre-tokenizer with behavior "Isolated" do. Lookarounds and anchors see only the piece being split.
/// </summary>
public sealed class RegexPreTokenizer
{
    private readonly Regex[] _steps;

    /// <summary>Creates a pre-tokenizer from .NET regex patterns applied in order.</summary>
    /// <param name="patterns">The split regexes (at least one).</param>
    /// <param name="addPrefixSpace">Prepend a space when the text does not start with one (ByteLevel add_prefix_space).</param>
    /// <exception cref="TokenizerFormatException">A pattern is not a valid regex.</exception>
    public RegexPreTokenizer(IReadOnlyList<string> patterns, bool addPrefixSpace = false)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        Patterns = [.. patterns];
        AddPrefixSpace = addPrefixSpace;
        _steps = new Regex[Patterns.Count];
        for (var i = 0; i < _steps.Length; i++)
        {
            try
            {
                _steps[i] = new Regex(Patterns[i], RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(10));
            }
            catch (ArgumentException ex)
            {
                throw new TokenizerFormatException($"Pre-tokenizer regex {i} is not supported: {ex.Message} (pattern: {Patterns[i]})", ex);
            }
        }
    }

    /// <summary>The patterns, in order.</summary>
    public IReadOnlyList<string> Patterns { get; }

    /// <summary>Whether a space is prepended to text that does not start with one.</summary>
    public bool AddPrefixSpace { get; }

    /// <summary>Splits <paramref name="text"/> into (start, length) pieces covering it exactly.</summary>
    public List<(int Start, int Length)> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = new List<(int Start, int Length)>();
        if (text.Length == 0) return pieces;
        pieces.Add((0, text.Length));
        foreach (var re in _steps)
        {
            var next = new List<(int Start, int Length)>(pieces.Count * 2);
            foreach (var (start, length) in pieces)
            {
                var sub = start == 0 && length == text.Length ? text : text.Substring(start, length);
                var pos = 0;
                for (var m = re.Match(sub); m.Success; m = m.NextMatch())
                {
                    if (m.Length == 0) continue;
                    if (m.Index > pos) next.Add((start + pos, m.Index - pos));
                    next.Add((start + m.Index, m.Length));
                    pos = m.Index + m.Length;
                }
                if (pos < length) next.Add((start + pos, length - pos));
            }
            pieces = next;
        }
        return pieces;
    }
}
