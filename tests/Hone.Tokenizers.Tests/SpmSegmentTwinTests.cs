using System.Text;

namespace Hone.Tokenizers.Tests;

/// <summary>
/// The SentencePiece-BPE encoder merges independent segments of the text; it must give the same ids and offsets as
/// the whole-text merge loop (<see cref="WholeTextSpm"/>) on seeded random text.
/// </summary>
public class SpmSegmentTwinTests
{
    // Fragments random strings are built from: ASCII, accents, CJK, emoji (surrogate pairs, ZWJ sequences), lone
    // surrogates, whitespace runs, digits, punctuation; "▁" itself too. No '<' or '|', so no added token can match.
    private static readonly string[] Alphabet =
    [
        "a", "e", "t", "s", "n", "r", "o", "i", "h", "l", "T", "W", "Q", "x", "z", "the", "ing", "tion", "er", "an",
        "é", "è", "ï", "ü", "ñ", "ç", "Ø", "ß", "東", "京", "工", "作", "我", "想", "日本語", "нещо", "ὅτι", "ℕ", "ﬁ",
        "🦙", "🚀", "😶‍🌫️", "✅", "👍🏽", "𝐀", "\uD800", "\uDC00", " ", "  ", "   ", "    ", "\t", "\n", "\n\n", "\r\n",
        "0", "1", "2", "3", "7", "9", "42", "2024", "3.14", ".", ",", "!", "?", "'", "\"", "(", ")", "{", "}", ";",
        "=", "+", "-", "_", "#", "/", "\\", "\u2581", "\u00A0", "\u3000",
    ];

    internal static string RandomText(Random rng)
    {
        var sb = new StringBuilder();
        var parts = rng.Next(0, 40);
        for (var i = 0; i < parts; i++) sb.Append(Alphabet[rng.Next(Alphabet.Length)]);
        return sb.ToString();
    }

    public static TheoryData<string> Vocabs => new() { "llama-spm", "phi-3" };

    [Theory]
    [MemberData(nameof(Vocabs))]
    public void Segmented_merging_equals_the_whole_text_twin_on_random_text(string name)
    {
        var tok = (SentencePieceBpeTokenizer)LlamaCppVectorTests.Load(name);
        int? unk = Enumerable.Range(0, tok.VocabSize).Where(i => tok.Vocab.Kind(i) == TokenKind.Unknown).Cast<int?>().FirstOrDefault();
        var rng = new Random(20240611);
        var multiSymbol = 0;
        for (var i = 0; i < 4000; i++)
        {
            var text = RandomText(rng);
            var (ids, offsets) = tok.EncodeWithOffsets(text);
            var (twinIds, twinOffsets) = WholeTextSpm.Encode(tok.Vocab, text, tok.AddSpacePrefix, unk);
            Assert.True(twinIds.SequenceEqual(ids), $"ids differ for {System.Text.Json.JsonSerializer.Serialize(text)}");
            Assert.True(twinOffsets.SequenceEqual(offsets), $"offsets differ for {System.Text.Json.JsonSerializer.Serialize(text)}");
            if (tok.AddSpacePrefix)
                Assert.True(NaiveSpm.Encode(tok.Vocab, text).SequenceEqual(ids), $"ids differ from the llama2.c loop for {System.Text.Json.JsonSerializer.Serialize(text)}");
            if (ids.Any(id => tok.Vocab.Text(id).Length > 2)) multiSymbol++;
        }
        Assert.True(multiSymbol > 1000, $"only {multiSymbol} texts produced merged tokens: the corpus does not exercise merging");
    }

    [Fact]
    public void Segmented_merging_equals_the_twin_on_long_mixed_text()
    {
        var tok = (SentencePieceBpeTokenizer)LlamaCppVectorTests.Load("llama-spm");
        var rng = new Random(7);
        var sb = new StringBuilder();
        for (var i = 0; i < 200; i++) sb.Append(RandomText(rng)).Append(TextCorpus.Make(i, 20));
        var text = sb.ToString();
        var (ids, offsets) = tok.EncodeWithOffsets(text);
        var (twinIds, twinOffsets) = WholeTextSpm.Encode(tok.Vocab, text, tok.AddSpacePrefix, null);
        Assert.Equal(twinIds, ids);
        Assert.Equal(twinOffsets, offsets);
    }
}
