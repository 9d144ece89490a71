using Hone.Models.Llama;
using Hone.Testing;

namespace Hone.Models.Tests;

public class ConfigTests
{
    private const string Qwen2 = """
        {"model_type":"qwen2","hidden_size":896,"intermediate_size":4864,"num_hidden_layers":24,"num_attention_heads":14,
         "num_key_value_heads":2,"vocab_size":151936,"max_position_embeddings":32768,"rms_norm_eps":1e-6,"rope_theta":1000000.0,
         "tie_word_embeddings":true,"hidden_act":"silu","bos_token_id":151643,"eos_token_id":151645}
        """;

    [Fact]
    public void Qwen2_HasBiases_DerivedHeadDim_Tied()
    {
        var c = LlamaConfig.FromHfJson(Qwen2);
        Assert.True(c.QkvBias);
        Assert.False(c.QkNorm);
        Assert.Equal(64, c.HeadDim);
        Assert.Equal(128, c.KvDim);
        Assert.True(c.TiedEmbeddings);
        Assert.Equal(RopeLayout.HalfRotation, c.RopeLayout);
        Assert.Equal(1e6f, c.RopeTheta);
        Assert.Equal([151645], c.EosIds);
    }

    [Fact]
    public void Qwen3_HasQkNorm_AndGivenHeadDim()
    {
        var c = LlamaConfig.FromHfJson("""
            {"model_type":"qwen3","hidden_size":1024,"intermediate_size":3072,"num_hidden_layers":28,"num_attention_heads":16,
             "num_key_value_heads":8,"head_dim":128,"vocab_size":151936,"max_position_embeddings":40960,"attention_bias":false,
             "eos_token_id":[151645,151643]}
            """);
        Assert.True(c.QkNorm);
        Assert.False(c.QkvBias);
        Assert.Equal(128, c.HeadDim);
        Assert.Equal(2048, c.QDim);
        Assert.Equal([151645, 151643], c.EosIds);
    }

    [Fact]
    public void Llama3RopeScaling_IsParsed_AndScalesLowFrequencies()
    {
        var c = LlamaConfig.FromHfJson("""
            {"model_type":"llama","hidden_size":2048,"intermediate_size":8192,"num_hidden_layers":16,"num_attention_heads":32,
             "num_key_value_heads":8,"vocab_size":128256,"max_position_embeddings":131072,"rope_theta":500000.0,
             "rope_scaling":{"factor":32.0,"high_freq_factor":4.0,"low_freq_factor":1.0,"original_max_position_embeddings":8192,"rope_type":"llama3"}}
            """);
        var s = Assert.IsType<Llama3RopeScaling>(c.RopeScaling);
        Assert.Equal(32.0, s.Factor);
        float[] freq = [1f, 1e-5f];
        Hone.Numerics.Rope.ScaleLlama3(freq, s.Factor, s.LowFreqFactor, s.HighFreqFactor, s.OriginalMaxPositions);
        Assert.Equal(1f, freq[0]);                  // short wavelength: kept
        Assert.Equal(1e-5f / 32, freq[1], 1e-12f);  // long wavelength: divided by factor
    }

    [Theory]
    [InlineData("gemma")]
    [InlineData("gpt_neox")]
    public void UnknownModelType_IsAnErrorNamingIt(string type)
    {
        var e = Assert.Throws<ModelLoadException>(() => LlamaConfig.FromHfJson(
            $$"""{"model_type":"{{type}}","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":8}"""));
        Assert.Contains($"\"{type}\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingKey_And_WrongType_AreNamed()
    {
        var e = Assert.Throws<ModelLoadException>(() => LlamaConfig.FromHfJson("""{"model_type":"llama","hidden_size":8}"""));
        Assert.Contains("num_attention_heads", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ModelLoadException>(() => LlamaConfig.FromHfJson(Qwen2.Replace("\"rope_theta\":1000000.0", "\"rope_theta\":\"big\"", StringComparison.Ordinal)));
        Assert.Contains("rope_theta", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ModelLoadException>(() => LlamaConfig.FromHfJson(Qwen2.Replace("\"num_key_value_heads\":2", "\"num_key_value_heads\":3", StringComparison.Ordinal)));
        Assert.Contains("n_kv_heads", e.Message, StringComparison.Ordinal);
        Assert.Throws<ModelLoadException>(() => LlamaConfig.FromHfJson("{not json"));
    }

    [Fact]
    public void UnsupportedRopeScaling_IsAnError()
    {
        var e = Assert.Throws<ModelLoadException>(() => LlamaConfig.FromHfJson(Qwen2.Replace("}", ",\"rope_scaling\":{\"type\":\"yarn\",\"factor\":4}}", StringComparison.Ordinal)));
        Assert.Contains("yarn", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Llama2cHeaders_LegacyAndV1_Agree()
    {
        var legacy = Llama2cLoader.ReadConfig(TestAssets.Path("models", "stories260K", "stories260K.bin"));
        var v1 = Llama2cLoader.ReadConfig(TestAssets.Path("models", "stories260K", "stories260K_v1.bin"));
        Assert.Equal(legacy, v1 with { EosIds = legacy.EosIds });
        Assert.Equal((64, 172, 5, 8, 4, 8, 512, 512), (legacy.Dim, legacy.HiddenDim, legacy.Layers, legacy.Heads, legacy.KvHeads, legacy.HeadDim, legacy.VocabSize, legacy.MaxSeqLen));
        Assert.True(legacy.TiedEmbeddings);
        Assert.Equal(RopeLayout.Interleaved, legacy.RopeLayout);
    }

    [Fact]
    public void TruncatedLlama2cFile_IsAClearError()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "cut.bin");
        var bytes = File.ReadAllBytes(TestAssets.Path("models", "stories260K", "stories260K.bin"));
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(path));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        Assert.Equal(path, e.FilePath);
        File.WriteAllBytes(path, bytes[..10]);
        Assert.Throws<ModelLoadException>(() => LlamaModel.Load(path));
    }

    [Fact]
    public void DefaultSessionContext_IsTheModelsWindow_CappedForHugeWindows()
    {
        var c = Hone.Models.Benchmarks.ModelBenchmark.Llama134M with { Dim = 16, HiddenDim = 16, Layers = 1, Heads = 2, KvHeads = 2, HeadDim = 8, VocabSize = 8 };
        using (var small = new LlamaModel(LlamaWeights.Create(c with { MaxSeqLen = 100 })))
        using (var s = small.CreateSession())
        {
            Assert.Equal(100, s.MaxContext);
        }

        using var huge = new LlamaModel(LlamaWeights.Create(c with { MaxSeqLen = 131072 }));
        using (var s = huge.CreateSession())
        {
            Assert.Equal(LlamaModel.DefaultMaxContext, s.MaxContext);
        }

        using var wide = huge.CreateSession(maxContext: 20000);
        Assert.Equal(20000, wide.MaxContext);
    }
}
