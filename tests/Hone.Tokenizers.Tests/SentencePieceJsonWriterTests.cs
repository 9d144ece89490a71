using System.Text.Json.Nodes;
using Hone.Testing;

namespace Hone.Tokenizers.Tests;

/// <summary>
/// A SentencePiece vocabulary written as tokenizer.json (what a merged export of a llama2.c model carries) encodes and
/// decodes exactly as the source: real vocabularies, a real data set and the mixed corpus, specials parsed or not.
/// </summary>
public class SentencePieceJsonWriterTests
{
    private static SentencePieceBpeTokenizer RoundTrip(SentencePieceBpeTokenizer source)
    {
        var json = SentencePieceJsonWriter.TryWrite(source, out var reason);
        Assert.True(json is not null, reason);
        var dir = TestAssets.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json);
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), new JsonObject
        {
            ["bos_token"] = source.BosId is { } b ? source.Vocab.Text(b) : null,
            ["eos_token"] = source.EosId is { } e ? source.Vocab.Text(e) : null,
        }.ToJsonString());
        return Assert.IsType<SentencePieceBpeTokenizer>(TokenizerLoader.Load(dir));
    }

    private static IEnumerable<string> Texts()
    {
        var csv = TestAssets.Path("datasets", "openai-cookbook", "AG_news_samples.csv");
        foreach (var line in File.ReadLines(csv).Take(600)) yield return line;
        for (var seed = 0; seed < 40; seed++) yield return TextCorpus.Make(seed, 60);
        yield return "";
        yield return " leading space and trailing ";
        yield return "<s>Once upon a time</s>\n### User:\nhi<unk> there\n\n### Assistant:\n";
    }

    [Fact]
    public void Written_tokenizer_json_encodes_and_decodes_like_the_source()
    {
        var source = LlamaCTokenizerReader.Read(TestAssets.Path("models", "stories260K", "tok512.bin"));
        var back = RoundTrip(source);
        Assert.Equal(source.VocabSize, back.VocabSize);
        Assert.Equal(source.BosId, back.BosId);
        Assert.Equal(source.EosId, back.EosId);
        Assert.Equal(source.AddSpacePrefix, back.AddSpacePrefix);
        for (var i = 0; i < source.VocabSize; i++) Assert.Equal(source.Vocab.Text(i), back.Vocab.Text(i));
        foreach (var text in Texts())
        {
            foreach (var special in new[] { false, true })
            {
                var ids = source.Encode(text, addBos: true, parseSpecial: special);
                Assert.Equal(ids, back.Encode(text, addBos: true, parseSpecial: special));
                Assert.Equal(source.Decode(ids), back.Decode(ids));
            }
        }
    }

    [Fact]
    public void Written_tokenizer_json_has_the_llama_converter_layout()
    {
        var json = JsonNode.Parse(SentencePieceJsonWriter.TryWrite(LlamaCTokenizerReader.Read(TestAssets.Path("models", "stories260K", "tok512.bin")), out _)!)!;
        Assert.Equal("BPE", (string?)json["model"]!["type"]);
        Assert.True((bool)json["model"]!["byte_fallback"]!);
        Assert.Equal("<unk>", (string?)json["model"]!["unk_token"]);
        Assert.Equal(["<unk>", "<s>", "</s>"], json["added_tokens"]!.AsArray().Select(t => (string?)t!["content"]));
        var merges = json["model"]!["merges"]!.AsArray();
        Assert.Equal(["▁", "t"], merges[0]!.AsArray().Select(x => (string?)x)); // "▁t" has the highest score of tok512
    }

    [Fact]
    public void Llama2s_vocabulary_is_refused_since_its_whitespace_pieces_tie_in_score()
    {
        // "▁▁", "▁▁▁▁", ... all score -1e9: SentencePiece picks the leftmost of tied merges, which no merge order can express.
        var source = LlamaCTokenizerReader.Read(TestAssets.Path("tokenizers", "llama2", "tokenizer.bin"));
        Assert.Null(SentencePieceJsonWriter.TryWrite(source, out var reason));
        Assert.Contains("share the score", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vocabulary_whose_merged_pieces_tie_in_score_is_refused_with_the_reason()
    {
        var texts = new[] { "<unk>", "<s>", "</s>", "a", "b", "c", "ab", "bc" };
        var scores = new float[] { 0, 0, 0, -1, -2, -3, -5, -5 };
        var kinds = new[] { TokenKind.Unknown, TokenKind.Control, TokenKind.Control, TokenKind.Normal, TokenKind.Normal, TokenKind.Normal, TokenKind.Normal, TokenKind.Normal };
        var tok = new SentencePieceBpeTokenizer(new Vocabulary(texts, scores, kinds), 1, 2, 0);
        Assert.Null(SentencePieceJsonWriter.TryWrite(tok, out var reason));
        Assert.Contains("share the score", reason, StringComparison.Ordinal);

        scores[7] = -6;
        Assert.NotNull(SentencePieceJsonWriter.TryWrite(new SentencePieceBpeTokenizer(new Vocabulary(texts, scores, kinds), 1, 2, 0), out _));
    }
}
