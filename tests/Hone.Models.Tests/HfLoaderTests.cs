using System.Globalization;
using Hone.Formats.Safetensors;
using Hone.Models.Llama;
using Hone.Testing;

namespace Hone.Models.Tests;

/// <summary>Tiny randomly initialised Qwen2 / Qwen3 / Llama models written with the safetensors writer and read back.</summary>
public class HfLoaderTests
{
    private static LlamaConfig Tiny(string type) => LlamaConfig.FromHfJson($$"""
        {"model_type":"{{type}}","hidden_size":32,"intermediate_size":48,"num_hidden_layers":2,"num_attention_heads":4,
         "num_key_value_heads":2,"head_dim":8,"vocab_size":40,"max_position_embeddings":64,"rms_norm_eps":1e-6,
         "rope_theta":10000.0,"tie_word_embeddings":false,"eos_token_id":2}
        """);

    private static LlamaWeights Random(LlamaConfig c, int seed, bool zeroBiases = false)
    {
        var rng = new Random(seed);
        return LlamaWeights.Create(c, (name, t) =>
        {
            var s = t.Span;
            bool norm = name.Contains("norm", StringComparison.Ordinal);
            bool bias = name.EndsWith(".bias", StringComparison.Ordinal);
            for (int i = 0; i < s.Length; i++)
            {
                s[i] = norm ? 1f + (0.1f * (float)(rng.NextDouble() - 0.5)) : bias && zeroBiases ? 0f : 0.3f * (float)(rng.NextDouble() - 0.5);
            }
        });
    }

    private static string Write(LlamaConfig c, LlamaWeights w, string json)
    {
        var dir = TestAssets.NewTempDir("hf-" + c.ModelType);
        var writer = new SafetensorsWriter();
        foreach (var t in w.Arena.Tensors.Values)
        {
            writer.Add(t.Name, t.Shape.Select(d => (long)d).ToArray(), t.Span);
        }

        writer.Write(Path.Combine(dir, "model.safetensors"));
        File.WriteAllText(Path.Combine(dir, "config.json"), json);
        return dir;
    }

    private static string Json(string type, bool tied = false) => $$"""
        {"model_type":"{{type}}","hidden_size":32,"intermediate_size":48,"num_hidden_layers":2,"num_attention_heads":4,
         "num_key_value_heads":2,"head_dim":8,"vocab_size":40,"max_position_embeddings":64,"rms_norm_eps":1e-6,
         "rope_theta":10000.0,"tie_word_embeddings":{{(tied ? "true" : "false")}},"eos_token_id":2}
        """;

    private static float[] Logits(LlamaModel m, int[] tokens)
    {
        using var s = m.CreateSession(blockSize: 4);
        var all = new float[tokens.Length * m.Config.VocabSize];
        s.Forward(tokens, all);
        return all;
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    [InlineData("mistral")]
    public void WrittenAndReloaded_GivesIdenticalLogits(string type)
    {
        var c = Tiny(type);
        using var original = new LlamaModel(Random(c, 11));
        var dir = Write(c, original.Weights, Json(type));
        using var loaded = LlamaModel.Load(dir);
        Assert.Equal(c.QkvBias, loaded.Config.QkvBias);
        Assert.Equal(c.QkNorm, loaded.Config.QkNorm);
        int[] tokens = [1, 5, 9, 33, 2, 7, 7, 12, 39];
        var a = Logits(original, tokens);
        var b = Logits(loaded, tokens);
        Assert.Equal(a, b);
        Assert.All(a, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Qwen2WithZeroBiases_EqualsLlama_AndBiasesMatter()
    {
        var q = Tiny("qwen2");
        using var withZero = new LlamaModel(Random(q, 3, zeroBiases: true));
        using var withBias = new LlamaModel(Random(q, 3));
        var l = Tiny("llama");
        using var llama = new LlamaModel(LlamaWeights.Create(l, (name, t) => withZero.Weights.Arena[name].Span.CopyTo(t.Span)));
        int[] tokens = [1, 4, 8, 15, 16, 23, 42 % 40];
        var a = Logits(withZero, tokens);
        var b = Logits(llama, tokens);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i], b[i], 1e-5f);
        }

        var c = Logits(withBias, tokens);
        Assert.True(a.Zip(c).Max(p => MathF.Abs(p.First - p.Second)) > 1e-3f);
    }

    [Fact]
    public void TiedConfig_WithoutLmHead_UsesTheEmbedding()
    {
        var c = Tiny("llama") with { TiedEmbeddings = true };
        using var m = new LlamaModel(Random(c, 5));
        var dir = Write(c, m.Weights, Json("llama", tied: true));
        using var loaded = LlamaModel.Load(dir);
        Assert.True(loaded.Config.TiedEmbeddings);
        Assert.Equal(Logits(m, [1, 2, 3]), Logits(loaded, [1, 2, 3]));
    }

    [Fact]
    public void ShapeMismatch_And_MissingTensor_AreNamed()
    {
        var c = Tiny("llama");
        using var m = new LlamaModel(Random(c, 5));
        var dir = Write(c, m.Weights, Json("llama").Replace("\"intermediate_size\":48", "\"intermediate_size\":40", StringComparison.Ordinal));
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(dir));
        Assert.Contains("gate_proj", e.Message, StringComparison.Ordinal);
        var dir2 = Write(c, m.Weights, Json("llama").Replace("\"num_hidden_layers\":2", "\"num_hidden_layers\":3", StringComparison.Ordinal));
        e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(dir2));
        Assert.Contains("model.layers.2", e.Message, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"missing"), e.Message, StringComparison.Ordinal);
    }
    [Fact]
    public void Tensors_the_architecture_does_not_use_are_refused_not_dropped()
    {
        // HF Llama with attention_bias=true also has an o_proj bias; Hone's Llama has none, so loading must refuse.
        var c = Tiny("llama");
        using var m = new LlamaModel(Random(c, 6));
        var dir = TestAssets.NewTempDir("hf-extra");
        var writer = new SafetensorsWriter();
        foreach (var t in m.Weights.Arena.Tensors.Values)
        {
            writer.Add(t.Name, t.Shape.Select(d => (long)d).ToArray(), t.Span);
        }

        writer.Add("model.layers.0.self_attn.o_proj.bias", [32], new float[32]);
        writer.Add("model.layers.0.self_attn.rotary_emb.inv_freq", [4], new float[4]);
        writer.Write(Path.Combine(dir, "model.safetensors"));
        File.WriteAllText(Path.Combine(dir, "config.json"), Json("llama"));
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(dir));
        Assert.Contains("'model.layers.0.self_attn.o_proj.bias'", e.Message, StringComparison.Ordinal);
        Assert.Contains("1 tensor(s)", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("inv_freq", e.Message, StringComparison.Ordinal);
        Assert.Equal(e.Message, Assert.Throws<ModelLoadException>(() => LlamaModel.Validate(dir)).Message);
    }
}
