using Hone.Formats.Gguf;
using Hone.Formats.Safetensors;
using Hone.Models.Llama;
using Hone.Testing;

namespace Hone.Models.Tests;

/// <summary>
/// Model files whose metadata claims sizes the file does not hold (issue 18 item 11): refused with the numbers before
/// the weights are allocated, by <c>Load</c> and by <c>Validate</c> alike.
/// </summary>
public class HostileModelFileTests
{
    /// <summary>Managed bytes a refused load may allocate (the weights would be terabytes).</summary>
    private const long MaxAllocatedBytes = 64L << 20;

    /// <summary>A small GGUF whose llama.* metadata claims a model of terabytes; it holds one real 512×64 tensor.</summary>
    public static string HugeClaimGguf()
    {
        var path = Path.Combine(TestAssets.NewTempDir("huge-gguf"), "huge.gguf");
        new GgufWriter()
            .Add(LlamaGguf.Keys.Architecture, "llama")
            .Add(LlamaGguf.Keys.ContextLength, 2048u)
            .Add(LlamaGguf.Keys.EmbeddingLength, 1_000_000u)
            .Add(LlamaGguf.Keys.BlockCount, 4096u)
            .Add(LlamaGguf.Keys.FeedForwardLength, 4_000_000u)
            .Add(LlamaGguf.Keys.HeadCount, 1000u)
            .Add("llama.vocab_size", 4_000_000u)
            .AddTensor(LlamaGguf.TokenEmbedding, [64, 512], new float[64 * 512])
            .Write(path);
        return path;
    }

    private static T AssertRefusedCheaply<T>(Func<object> load)
        where T : Exception
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<T>(() => load());
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, MaxAllocatedBytes);
        return e;
    }

    [Fact]
    public void A_gguf_claiming_terabytes_is_refused_with_the_claim_and_what_the_file_holds()
    {
        var path = HugeClaimGguf();
        var e = AssertRefusedCheaply<ModelLoadException>(() => LlamaModel.Load(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("dim 1000000", e.Message, StringComparison.Ordinal);           // what was claimed
        Assert.Contains("4096 layers", e.Message, StringComparison.Ordinal);
        Assert.Contains(new FileInfo(path).Length.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " bytes", e.Message, StringComparison.Ordinal); // what the file holds
        Assert.Contains("token_embd.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("{64, 512}", e.Message, StringComparison.Ordinal);

        // Validate, without allocating, reaches the same verdict.
        var v = AssertRefusedCheaply<ModelLoadException>(() => LlamaModel.Validate(path));
        Assert.Equal(e.Message, v.Message);
        Assert.Equal(e.Message, AssertRefusedCheaply<ModelLoadException>(() => LanguageModels.Validate(path)).Message);
    }

    [Fact]
    public void A_config_json_claiming_terabytes_is_refused_before_allocating()
    {
        var dir = TestAssets.NewTempDir("huge-hf");
        File.WriteAllText(Path.Combine(dir, "config.json"), """
            {"model_type":"llama","hidden_size":1000000,"intermediate_size":4000000,"num_hidden_layers":4000,
             "num_attention_heads":1000,"vocab_size":4000000,"max_position_embeddings":2048}
            """);
        new SafetensorsWriter().Add("model.embed_tokens.weight", [512, 64], new float[512 * 64]).Write(Path.Combine(dir, "model.safetensors"));
        var e = AssertRefusedCheaply<ModelLoadException>(() => LlamaModel.Load(dir));
        Assert.Contains("dim 1000000", e.Message, StringComparison.Ordinal);
        Assert.Contains("model.embed_tokens.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("[512, 64]", e.Message, StringComparison.Ordinal);
        Assert.Contains("[4000000, 1000000]", e.Message, StringComparison.Ordinal);
        Assert.Equal(e.Message, AssertRefusedCheaply<ModelLoadException>(() => LlamaModel.Validate(dir)).Message);
    }

    [Fact]
    public void A_gpt2_folder_is_refused_as_unsupported_before_reading_weights()
    {
        var dir = TestAssets.NewTempDir("gpt2");
        File.WriteAllText(Path.Combine(dir, "config.json"), """
            {"model_type":"gpt2","n_embd":1000000,"n_layer":4000,"n_head":1000,"vocab_size":4000000,"n_positions":1024}
            """);
        new SafetensorsWriter().Add("wte.weight", [512, 64], new float[512 * 64]).Write(Path.Combine(dir, "model.safetensors"));
        var e = AssertRefusedCheaply<ModelLoadException>(() => LanguageModels.Load(dir));
        Assert.Contains("model_type \"gpt2\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("not supported", e.Message, StringComparison.Ordinal);
        Assert.Equal(e.Message, AssertRefusedCheaply<ModelLoadException>(() => LanguageModels.Validate(dir)).Message);
    }

    [Fact]
    public void Weights_larger_than_the_available_memory_are_refused_with_both_numbers()
    {
        var e = Assert.Throws<ModelLoadException>(() => ModelMemory.Check(3L << 30, "llama: dim 4096", "m.gguf", availableBytes: 2L << 30));
        Assert.Contains("3.0 GiB", e.Message, StringComparison.Ordinal);
        Assert.Contains("2.0 GiB", e.Message, StringComparison.Ordinal);
        Assert.Contains("llama: dim 4096", e.Message, StringComparison.Ordinal);
        Assert.Equal("m.gguf", e.FilePath);
        ModelMemory.Check(1L << 30, "llama: dim 4096", "m.gguf", availableBytes: 2L << 30);
        Assert.True(ModelMemory.AvailableBytes > 0);

        // Creating weights checks before allocating: a config of terabytes never reaches the arena.
        var huge = LlamaConfig.FromHfJson("""
            {"model_type":"llama","hidden_size":1000000,"intermediate_size":4000000,"num_hidden_layers":4000,"num_attention_heads":1000,"vocab_size":4000000}
            """);
        var c = AssertRefusedCheaply<ModelLoadException>(() => LlamaWeights.Create(huge));
        Assert.Contains("TiB", c.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_real_models_validate_and_their_sizes_fit()
    {
        Assert.Equal(64, LlamaModel.Validate(TestAssets.Path("models", "stories260K", "stories260K.bin")).Dim);
        Assert.Equal(64, LlamaModel.Validate(TestAssets.Path("models", "stories260K-hf")).Dim);
        LanguageModels.Validate(TestAssets.Path("models", "stories260K-hf"));
    }

    [Fact]
    public void An_empty_or_foreign_gguf_says_so_with_its_size_and_magic()
    {
        var dir = TestAssets.NewTempDir("empty-gguf");
        var empty = Path.Combine(dir, "empty.gguf");
        File.WriteAllBytes(empty, []);
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(empty));
        Assert.Contains("empty (0 bytes)", e.Message, StringComparison.Ordinal);
        Assert.Contains("GGUF", e.Message, StringComparison.Ordinal);

        var zip = Path.Combine(dir, "model.gguf");
        File.WriteAllBytes(zip, [(byte)'P', (byte)'K', 3, 4, .. new byte[60]]);
        e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(zip));
        Assert.Contains("50 4B 03 04", e.Message, StringComparison.Ordinal);
        Assert.Contains("not a GGUF file", e.Message, StringComparison.Ordinal);
    }
}
