using System.Text;
using Hone.Testing;

namespace Hone.Tokenizers.Tests;

/// <summary>
/// Counting with <see cref="SentencePieceBpeTokenizer"/> resumes after the segments a text shares with the last one the
/// thread counted (<see cref="SpmPrefixMemo"/>): every count, in any order of texts with long, short, partial and no
/// shared starts, special tokens and surrogate pairs at the seams, equals the number of ids the full encode gives.
/// </summary>
public class SpmPrefixMemoTests
{
    [Fact]
    public void Counts_of_texts_sharing_starts_equal_the_ids_encoded()
    {
        var tok = (SentencePieceBpeTokenizer)TokenizerLoader.Load(TestAssets.Path("tokenizers", "llama2", "tokenizer.model"));
        var real = SpmSegmentCacheTests.RealTexts();
        var rng = new Random(61);
        string[] heads =
        [
            "<|im_start|>system\nYou route support tickets.\n\n# Tools\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"route\"}}\n</tools><|im_end|>\n<|im_start|>user\n",
            "<s>[INST] Answer briefly. ", "", " ", "é😀x", "😀", "a  b\t\tc\n\n",
        ];
        string[] seams = ["", " ", "😀", "\ud83d", "x", "\n", "</s>", "  ", "ab"];
        var texts = new List<string>();
        for (var i = 0; i < 600; i++)
        {
            var sb = new StringBuilder(heads[rng.Next(heads.Length)]);
            if (rng.Next(3) == 0) sb.Length = rng.Next(sb.Length + 1); // a start cut anywhere (a surrogate pair too)
            sb.Append(seams[rng.Next(seams.Length)]);
            sb.Append(real[rng.Next(real.Count)]);
            if (rng.Next(2) == 0) sb.Append(seams[rng.Next(seams.Length)]).Append(real[rng.Next(real.Count)]);
            texts.Add(sb.ToString());
            if (rng.Next(4) == 0) texts.Add(texts[^1]); // the same text again
            if (rng.Next(4) == 0 && texts[^1].Length > 2) texts.Add(texts[^1][..rng.Next(texts[^1].Length)]); // a prefix of it
        }
        foreach (var parseSpecial in new[] { true, false })
        {
            foreach (var t in texts)
            {
                var expected = tok.Encode(t, addBos: false, parseSpecial).Length;
                Assert.True(expected == tok.CountTokens(t, addBos: false, parseSpecial), $"count differs for {System.Text.Json.JsonSerializer.Serialize(t)}");
            }
        }
    }
}
