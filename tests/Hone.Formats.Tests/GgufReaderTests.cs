using Hone.Formats.Gguf;
using Hone.Testing;

namespace Hone.Formats.Tests;

public class GgufReaderTests
{
    public static TheoryData<string> VocabFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(TestAssets.Path("tokenizers", "llamacpp-vocab"), "*.gguf").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(VocabFiles))]
    public void Every_llamacpp_vocab_file_opens_with_consistent_tokenizer_arrays(string name)
    {
        using var g = GgufFile.Open(TestAssets.Path("tokenizers", "llamacpp-vocab", name));
        Assert.Equal(3u, g.Version);
        var tokens = Assert.IsType<string[]>(g.Metadata["tokenizer.ggml.tokens"]);
        Assert.True(tokens.Length > 1000);
        Assert.IsType<string>(g.Metadata["tokenizer.ggml.model"]);
        Assert.IsType<string>(g.Metadata["general.architecture"]);
        if (g.Metadata.TryGetValue("tokenizer.ggml.token_type", out var types))
            Assert.Equal(tokens.Length, Assert.IsType<int[]>(types).Length);
        if (g.Metadata.TryGetValue("tokenizer.ggml.scores", out var scores))
            Assert.Equal(tokens.Length, Assert.IsType<float[]>(scores).Length);
        if (g.Metadata.TryGetValue("tokenizer.ggml.merges", out var merges))
            Assert.All(Assert.IsType<string[]>(merges), m => Assert.Contains(' ', m));
        foreach (var t in g.Tensors) Assert.True(g.DataOffset + (long)t.Offset + t.ByteSize <= new FileInfo(g.Path).Length);
    }

    [Fact]
    public void Llama_spm_vocab_has_sentencepiece_tokens_in_file_order()
    {
        using var g = GgufFile.Open(TestAssets.Path("tokenizers", "llamacpp-vocab", "ggml-vocab-llama-spm.gguf"));
        Assert.Equal("llama", g.Metadata["tokenizer.ggml.model"]);
        var tokens = (string[])g.Metadata["tokenizer.ggml.tokens"];
        Assert.Equal(32000, tokens.Length);
        Assert.Equal("<unk>", tokens[0]);
        Assert.Equal("<s>", tokens[1]);
        Assert.Equal("</s>", tokens[2]);
        Assert.Equal("<0x00>", tokens[3]);
        Assert.Equal(1u, g.Metadata["tokenizer.ggml.bos_token_id"]);
        Assert.Equal("general.architecture", g.Metadata.Keys.First());
    }
}
