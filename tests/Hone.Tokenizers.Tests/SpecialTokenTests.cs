namespace Hone.Tokenizers.Tests;

public class SpecialTokenTests
{
    [Fact]
    public void Control_tokens_are_matched_only_with_parseSpecial()
    {
        var tok = LlamaCppVectorTests.Load("llama-spm");
        const string text = "Hello<s>world</s>";
        var special = tok.Encode(text, parseSpecial: true);
        Assert.Contains(1, special);
        Assert.Contains(2, special);
        Assert.Equal(tok.Encode("Hello"), special[..Array.IndexOf(special, 1)]);
        var plain = tok.Encode(text, parseSpecial: false);
        Assert.DoesNotContain(1, plain);
        Assert.DoesNotContain(2, plain);
        Assert.Equal(text, tok.Decode(special));
        Assert.Equal(text, tok.Decode(plain));
        OffsetChecks.AssertOffsetsConsistent(tok, text, parseSpecial: true);
    }

    [Fact]
    public void Byte_level_special_tokens_round_trip_and_keep_offsets()
    {
        var tok = LlamaCppVectorTests.Load("gpt-2");
        const string text = "a<|endoftext|> b <|endoftext|><|endoftext|>\n";
        var ids = tok.Encode(text, parseSpecial: true);
        Assert.Equal(3, ids.Count(i => i == 50256));
        Assert.Equal(text, tok.Decode(ids));
        Assert.DoesNotContain(50256, tok.Encode(text));
        var (withBos, offsets) = tok.EncodeWithOffsets(text, addBos: true, parseSpecial: true);
        Assert.Equal(50256, withBos[0]);
        Assert.Equal((0, 0), offsets[0]);
        OffsetChecks.AssertOffsetsConsistent(tok, text, parseSpecial: true);
    }

    [Fact]
    public void User_defined_tokens_are_matched_even_without_parseSpecial()
    {
        // A vocabulary with one added, non-special token: it must be split out before BPE, as llama.cpp and HF do.
        var gpt2 = (TokenizerBase)LlamaCppVectorTests.Load("gpt-2");
        var texts = Enumerable.Range(0, gpt2.VocabSize).Select(gpt2.TokenText).Append("<tool>").ToArray();
        var kinds = Enumerable.Range(0, gpt2.VocabSize).Select(gpt2.Vocab.Kind).Append(TokenKind.UserDefined).ToArray();
        var merges = ReadGpt2Merges();
        var tok = new ByteLevelBpeTokenizer(new Vocabulary(texts, null, kinds), merges,
            new RegexPreTokenizer([PreTokenizerPatterns.Gpt2]), 50256, 50256);
        var ids = tok.Encode("call <tool> now");
        Assert.Contains(texts.Length - 1, ids);
        Assert.Equal("call <tool> now", tok.Decode(ids));
        Assert.Equal(gpt2.Encode("call "), ids[..Array.IndexOf(ids, texts.Length - 1)]);
    }

    [Fact]
    public void Longest_special_token_wins()
    {
        var texts = new[] { "<unk>", "a", "b", "<|x|>", "<|x|>y" };
        var kinds = new[] { TokenKind.Unknown, TokenKind.Normal, TokenKind.Normal, TokenKind.Control, TokenKind.Control };
        var tok = new SentencePieceBpeTokenizer(new Vocabulary(texts, null, kinds), null, null, 0, addSpacePrefix: false);
        Assert.Equal([1, 4, 3, 2], tok.Encode("a<|x|>y<|x|>b", parseSpecial: true));
    }

    private static string[] ReadGpt2Merges()
    {
        using var g = Hone.Formats.Gguf.GgufFile.Open(Hone.Testing.TestAssets.Path("tokenizers", "llamacpp-vocab", "ggml-vocab-gpt-2.gguf"));
        return (string[])g.Metadata["tokenizer.ggml.merges"];
    }
}
