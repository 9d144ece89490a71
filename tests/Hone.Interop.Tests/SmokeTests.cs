using Hone.Testing;

namespace Hone.Interop.Tests;

public class SmokeTests
{
    [Fact]
    public void Loads_a_vocab()
    {
        using var m = LlamaCpp.Load(TestAssets.Path("tokenizers", "llamacpp-vocab", "ggml-vocab-llama-spm.gguf"), vocabOnly: true);
        Assert.Equal(32000, m.VocabSize);
        Assert.Equal([1, 15043, 3186], m.Tokenize("Hello world", true));
    }
}
