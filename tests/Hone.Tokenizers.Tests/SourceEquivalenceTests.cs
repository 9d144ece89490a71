using Hone.Testing;

namespace Hone.Tokenizers.Tests;

/// <summary>The same vocabulary read from every format that holds it must tokenize identically.</summary>
public class SourceEquivalenceTests
{
    private static ITokenizer Llama2Bin() => TokenizerLoader.Load(TestAssets.Path("tokenizers", "llama2", "tokenizer.bin"));
    private static ITokenizer Llama2Model() => TokenizerLoader.Load(TestAssets.Path("tokenizers", "llama2", "tokenizer.model"));
    private static ITokenizer LlamaSpmGguf() => TokenizerLoader.Load(TestAssets.Path("tokenizers", "llamacpp-vocab", "ggml-vocab-llama-spm.gguf"));

    private static IEnumerable<string> Texts()
    {
        foreach (var (text, _) in LlamaCppVectorTests.ReadCases("llama-spm")) yield return text;
        for (var seed = 0; seed < 20; seed++) yield return TextCorpus.Make(seed, 60);
    }

    [Fact]
    public void Llama2_vocabulary_is_identical_in_bin_model_and_gguf()
    {
        var bin = (TokenizerBase)Llama2Bin();
        var model = (TokenizerBase)Llama2Model();
        var gguf = (TokenizerBase)LlamaSpmGguf();
        Assert.Equal(32000, bin.VocabSize);
        Assert.Equal(bin.VocabSize, model.VocabSize);
        Assert.Equal(bin.VocabSize, gguf.VocabSize);
        for (var id = 0; id < bin.VocabSize; id++)
        {
            Assert.Equal(model.TokenText(id), bin.TokenText(id));
            Assert.Equal(model.TokenText(id), gguf.TokenText(id));
            Assert.Equal(model.Vocab.Score(id), bin.Vocab.Score(id));
            Assert.Equal(model.Vocab.Score(id), gguf.Vocab.Score(id));
        }
        Assert.Equal((1, 2), (bin.BosId!.Value, bin.EosId!.Value));
        Assert.Equal((model.BosId, model.EosId), (gguf.BosId, gguf.EosId));
    }

    [Fact]
    public void Llama2_ids_are_identical_from_bin_model_and_gguf()
    {
        var bin = Llama2Bin();
        var model = Llama2Model();
        var gguf = LlamaSpmGguf();
        foreach (var text in Texts())
        {
            var expected = gguf.Encode(text, addBos: true);
            Assert.Equal(expected, bin.Encode(text, addBos: true));
            Assert.Equal(expected, model.Encode(text, addBos: true));
        }
    }

    [Fact]
    public void Priority_queue_merging_equals_the_naive_llama2c_loop()
    {
        var llama = (TokenizerBase)Llama2Bin();
        var tiny = (TokenizerBase)TokenizerLoader.Load(TestAssets.Path("models", "stories260K", "tok512.bin"));
        Assert.Equal(512, tiny.VocabSize);
        foreach (var tok in new[] { llama, tiny })
            foreach (var text in Texts())
                Assert.Equal(NaiveSpm.Encode(tok.Vocab, text), tok.Encode(text));
    }

    [Fact]
    public void Tok512_encodes_story_text_with_merges_and_round_trips()
    {
        var tiny = TokenizerLoader.Load(TestAssets.Path("models", "stories260K", "tok512.bin"));
        const string story = "Once upon a time, there was a little girl named Lily. She liked to play in the park.";
        var ids = tiny.Encode(story, addBos: true);
        Assert.Equal(1, ids[0]);
        Assert.True(ids.Length < story.Length / 2, $"{ids.Length} tokens for {story.Length} chars: merges are not applied");
        Assert.Equal(story, tiny.Decode(ids.AsSpan(1)));
        Assert.Equal("<s>" + story, tiny.Decode(ids));
        Assert.Contains(ids, i => tiny.TokenText(i) == "\u2581the");
    }
}
