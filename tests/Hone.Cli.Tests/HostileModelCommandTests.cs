using Hone.Formats.Gguf;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>
/// generate and model inspect on model files that lie about their size or are empty (issue 18 item 11): exit 2 with
/// the numbers, the same verdict from both commands, and no blame on a tokenizer nobody named.
/// </summary>
public class HostileModelCommandTests
{
    /// <summary>A 100-odd KB GGUF whose metadata claims dim 10^6, 4096 layers and a vocabulary of 4·10^6.</summary>
    private static string HugeClaim(string dir)
    {
        var path = Path.Combine(dir, "huge.gguf");
        new GgufWriter()
            .Add(LlamaGguf.Keys.Architecture, "llama")
            .Add(LlamaGguf.Keys.ContextLength, 2048u)
            .Add(LlamaGguf.Keys.EmbeddingLength, 1_000_000u)
            .Add(LlamaGguf.Keys.BlockCount, 4096u)
            .Add(LlamaGguf.Keys.FeedForwardLength, 4_000_000u)
            .Add(LlamaGguf.Keys.HeadCount, 1000u)
            .Add("llama.vocab_size", 4_000_000u)
            .Add(LlamaGguf.Keys.Tokens, new[] { "<unk>", "<s>", "</s>", "a" })
            .Add(LlamaGguf.Keys.TokenizerModel, "llama")
            .AddTensor(LlamaGguf.TokenEmbedding, [64, 512], new float[64 * 512])
            .Write(path);
        return path;
    }

    [Fact]
    public void Generate_on_a_gguf_claiming_terabytes_exits_2_with_the_claim_and_the_file_size()
    {
        var dir = TestAssets.NewTempDir();
        var path = HugeClaim(dir);
        var r = CliRunner.Run(dir, "generate", "--model", "huge.gguf", "--prompt", "hi", "--json");
        Assert.Equal(ExitCodes.UsageOrInput, r.ExitCode);
        var error = r.Json.GetProperty("error").GetString()!;
        Assert.Contains("dim 1000000", error, StringComparison.Ordinal);
        Assert.Contains(new FileInfo(path).Length.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " bytes", error, StringComparison.Ordinal);
        Assert.Contains("token_embd.weight", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_runs_the_same_checks_and_exits_2_after_printing_what_it_read()
    {
        var dir = TestAssets.NewTempDir();
        HugeClaim(dir);
        var generate = CliRunner.Run(dir, "generate", "--model", "huge.gguf", "--json").Json.GetProperty("error").GetString();

        var human = CliRunner.Run(dir, "model", "inspect", "huge.gguf");
        Assert.Equal(ExitCodes.UsageOrInput, human.ExitCode);
        Assert.Contains("1000000", human.Stdout, StringComparison.Ordinal); // what it could read: the claimed dim
        Assert.Contains("4096", human.Stdout, StringComparison.Ordinal);
        Assert.Contains("error: " + generate, human.Stderr, StringComparison.Ordinal);

        var json = CliRunner.Run(dir, "model", "inspect", "huge.gguf", "--json");
        Assert.Equal(ExitCodes.UsageOrInput, json.ExitCode);
        Assert.Equal(1_000_000, json.Json.GetProperty("dim").GetInt32());
        Assert.False(json.Json.GetProperty("valid").GetBoolean());
        Assert.Equal(generate, json.Json.GetProperty("error").GetString());

        var good = CliRunner.Run(dir, "model", "inspect", TestAssets.Path("models", "stories260K-hf"), "--json");
        Assert.Equal(0, good.ExitCode);
        Assert.True(good.Json.GetProperty("valid").GetBoolean());
    }

    [Fact]
    public void Generate_on_an_empty_gguf_says_the_file_is_empty_and_blames_no_other_file()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllBytes(Path.Combine(dir, "empty.gguf"), []);
        var r = CliRunner.Run(dir, "generate", "--model", "empty.gguf", "--prompt", "hi");
        Assert.Equal(ExitCodes.UsageOrInput, r.ExitCode);
        Assert.Contains("empty.gguf", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("empty (0 bytes)", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("GGUF", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("tokenizer", r.Stderr, StringComparison.OrdinalIgnoreCase);

        // The same for a short file that is not a GGUF at all, by magic.
        File.WriteAllBytes(Path.Combine(dir, "three.gguf"), [0, 0, 0]);
        var three = CliRunner.Run(dir, "generate", "--model", "three.gguf");
        Assert.Equal(ExitCodes.UsageOrInput, three.ExitCode);
        Assert.Contains("not a GGUF file", three.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("tokenizer", three.Stderr, StringComparison.OrdinalIgnoreCase);
    }
}
