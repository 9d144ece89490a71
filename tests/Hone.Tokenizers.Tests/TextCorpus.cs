using System.Text;

namespace Hone.Tokenizers.Tests;

/// <summary>Deterministic mixed text (English, code, digits, whitespace runs, accents, CJK, emoji) from a seed.</summary>
internal static class TextCorpus
{
    private static readonly string[] Words =
    [
        "the", "The", "once", "upon", "a", "time", "there", "was", "little", "girl", "named", "Lily", "she", "liked",
        "to", "play", "in", "park", "don't", "I'm", "we'll", "they've", "it's", "HELLO", "world", "café", "naïve",
        "Übermensch", "résumé", "東京", "我想", "工作", "нещо", "Български", "🦙", "🚀", "😶‍🌫️", "✅", "3", "33", "333",
        "2024", "3.14", "1,000", "x+=1;", "foo()", "{\"a\": 1}", "<div>", "#include", "int main(void)", "==", "->",
        "...", "!!!", "???", "'s", "'RE", "\t", "\n", "\n\n", "  ", "   ", "\r\n", "ℕ", "Ωmega", "ﬁne", "ὅτι", "𝐀𝐁",
    ];

    public static string Make(int seed, int words)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder();
        for (var i = 0; i < words; i++)
        {
            if (i > 0 && rng.Next(4) != 0) sb.Append(' ');
            sb.Append(Words[rng.Next(Words.Length)]);
        }
        return sb.ToString();
    }
}
