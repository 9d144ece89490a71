using Hone.Testing;

namespace Hone.Tokenizers.Tests;

public class TokenizerLocatorTests
{
    [Fact]
    public void A_llama2c_checkpoint_finds_the_tokenizer_beside_it()
    {
        var bin = TestAssets.Path("models", "stories260K", "stories260K.bin");
        Assert.Equal(TestAssets.Path("models", "stories260K", "tok512.bin"), TokenizerLocator.Find(bin));
    }

    [Fact]
    public void A_folder_with_a_tokenizer_bin_is_its_own_tokenizer_source_and_loads()
    {
        var dir = TestAssets.NewTempDir();
        File.Copy(TestAssets.Path("models", "stories260K", "tok512.bin"), Path.Combine(dir, "tokenizer.bin"));
        Assert.Equal(dir, TokenizerLocator.Find(dir));
        Assert.Equal(512, TokenizerLoader.Load(TokenizerLocator.Find(dir)).VocabSize);
    }

    [Fact]
    public void A_folder_without_a_tokenizer_says_to_pass_one()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TokenizerLocator.Find(TestAssets.Path("models", "stories260K-hf")));
        Assert.Contains("--tokenizer", e.Message, StringComparison.Ordinal);
        Assert.Equal("x.bin", TokenizerLocator.Find(TestAssets.Path("models", "stories260K-hf"), "x.bin"));
    }
}
