using System.Buffers;
using System.Globalization;

namespace Hone.Data.Similarity;

/// <summary>
/// Text normalisation for duplicate detection. The rule, applied in this order:
/// <list type="number">
/// <item>Full-width ASCII forms (U+FF01–U+FF5E) fold to ASCII. (No Unicode NFKC: Hone runs with invariant
/// globalization, where the runtime cannot apply it, and the rule must give the same answer on every machine.)</item>
/// <item>Lower case, culture-invariant.</item>
/// <item>Every punctuation or symbol character (Unicode categories P* and S*) becomes a space, so
/// <c>"Hello, world!"</c> and <c>"hello world"</c> normalise alike and <c>"a,b"</c> stays two words.</item>
/// <item>Control and format characters (categories Cc, Cf) become a space.</item>
/// <item>Runs of white space collapse to one ASCII space; leading and trailing space is removed.</item>
/// </list>
/// Letters, digits and marks are kept as they are, in every script.
/// </summary>
public static class TextNormalizer
{
    /// <summary>Normalises <paramref name="text"/> by the full rule above (case, white space, punctuation).</summary>
    public static string Normalize(string text) => Run(text, dropPunctuation: true);

    /// <summary>
    /// The lighter rule for "exact after normalisation" comparisons that must keep punctuation:
    /// full-width fold, lower case, white-space runs collapsed and trimmed; punctuation and symbols are kept.
    /// </summary>
    public static string NormalizeCaseAndWhitespace(string text) => Run(text, dropPunctuation: false);

    /// <summary>
    /// <see cref="Normalize(string)"/> of <c>first + separator + second</c> (<paramref name="second"/> null:
    /// <c>first + separator</c>), without making that string: the rule reads one char at a time.
    /// </summary>
    public static string Normalize(string first, char separator, string? second)
    {
        ArgumentNullException.ThrowIfNull(first);
        var rented = ArrayPool<char>.Shared.Rent(first.Length + 1 + (second?.Length ?? 0));
        try
        {
            return new string(rented, 0, NormalizeInto(first, separator, second, rented));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Writes <see cref="Normalize(string, char, string?)"/> into <paramref name="output"/> (at least
    /// <c>first.Length + 1 + second.Length</c> chars) and returns its length.
    /// </summary>
    internal static int NormalizeInto(string first, char separator, string? second, char[] output)
    {
        var state = new State(output, dropPunctuation: true);
        state.Add(first);
        state.Add(new ReadOnlySpan<char>(in separator));
        state.Add(second ?? "");
        return state.Length;
    }

    private static string Run(string text, bool dropPunctuation)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) return text;
        // The result is never longer than the text: write it into a pooled buffer, then make one string (or none when
        // the text is already normal).
        var rented = ArrayPool<char>.Shared.Rent(text.Length);
        try
        {
            var state = new State(rented, dropPunctuation);
            state.Add(text);
            var result = rented.AsSpan(0, state.Length);
            return result.SequenceEqual(text) ? text : new string(result);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>The rule's state over a text read in pieces: the output so far and whether a space is pending.</summary>
    private struct State(char[] output, bool dropPunctuation)
    {
        private bool _pendingSpace;

        public int Length { get; private set; }

        public void Add(ReadOnlySpan<char> text)
        {
            foreach (var raw in text)
            {
                var c = char.ToLowerInvariant(raw is >= '\uFF01' and <= '\uFF5E' ? (char)(raw - 0xFEE0) : raw);
                if (IsSeparator(c, dropPunctuation))
                {
                    _pendingSpace = Length > 0;
                    continue;
                }
                if (_pendingSpace)
                {
                    output[Length++] = ' ';
                    _pendingSpace = false;
                }
                output[Length++] = c;
            }
        }
    }

    private static bool IsSeparator(char c, bool dropPunctuation)
    {
        // ASCII: letters and digits are kept; space and controls (≤ U+0020, U+007F) separate; the rest is
        // punctuation or symbols.
        if (char.IsAscii(c)) return !char.IsAsciiLetterOrDigit(c) && (dropPunctuation || c <= ' ' || c == '\u007F');
        if (char.IsWhiteSpace(c)) return true;
        var cat = char.GetUnicodeCategory(c);
        switch (cat)
        {
            case UnicodeCategory.Control:
            case UnicodeCategory.Format:
                return true;
            case UnicodeCategory.ConnectorPunctuation:
            case UnicodeCategory.DashPunctuation:
            case UnicodeCategory.OpenPunctuation:
            case UnicodeCategory.ClosePunctuation:
            case UnicodeCategory.InitialQuotePunctuation:
            case UnicodeCategory.FinalQuotePunctuation:
            case UnicodeCategory.OtherPunctuation:
            case UnicodeCategory.MathSymbol:
            case UnicodeCategory.CurrencySymbol:
            case UnicodeCategory.ModifierSymbol:
            case UnicodeCategory.OtherSymbol:
                return dropPunctuation;
            default:
                return false;
        }
    }
}
