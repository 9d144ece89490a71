using System.Buffers.Binary;
using Hone.Formats.Gguf;
using Hone.Formats.Llama2c;
using Hone.Formats.Safetensors;
using Hone.Testing;

namespace Hone.Formats.Tests;

public class Llama2cTests
{
    private static string Legacy => TestAssets.Path("models", "stories260K", "stories260K.bin");
    private static string V1 => TestAssets.Path("models", "stories260K", "stories260K_v1.bin");

    [Fact]
    public void Legacy_header_gives_the_stories260K_config()
    {
        using var c = Llama2cCheckpoint.Open(Legacy);
        Assert.Equal(Llama2cVersion.Legacy, c.Version);
        Assert.Equal(new Llama2cConfig(64, 172, 5, 8, 4, 512, 512, SharedClassifier: true), c.Config);
        Assert.Equal(8, c.Config.HeadDim);
        Assert.Equal(32, c.Config.KvDim);
        Assert.Equal([5, 32, 64], c.GetTensor("wk").Shape);
        Assert.Equal(512 * 4, c.Get("freq_cis_real").Length);
        // RoPE tables: position 0 is cos 1, sin 0; position 1, pair 0 is cos(1), sin(1).
        Assert.Equal(1f, c.Get("freq_cis_real")[0]);
        Assert.Equal(0f, c.Get("freq_cis_imag")[0]);
        Assert.Equal(MathF.Cos(1), c.Get("freq_cis_real")[4], 1e-5f);
        Assert.Equal(MathF.Sin(1), c.Get("freq_cis_imag")[4], 1e-5f);
    }

    [Fact]
    public void Legacy_and_v1_files_yield_identical_weights()
    {
        using var a = Llama2cCheckpoint.Open(Legacy);
        using var b = Llama2cCheckpoint.Open(V1);
        Assert.Equal(Llama2cVersion.V1, b.Version);
        Assert.Equal(a.Config, b.Config);
        Assert.False(b.Has("freq_cis_real"));
        string[] names = ["token_embedding", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn", "w1", "w2", "w3", "rms_final", "wcls"];
        foreach (var n in names)
        {
            Assert.Equal(a.GetTensor(n).Shape, b.GetTensor(n).Shape);
            Assert.True(a.Get(n).SequenceEqual(b.Get(n)), n);
            Assert.Contains(a.Get(n).ToArray(), x => x != 0);
        }
        Assert.True(a.Get("wcls").SequenceEqual(a.Get("token_embedding")));
        Assert.True(a.Get("w2", 3).SequenceEqual(b.Get("w2").Slice(3 * 64 * 172, 64 * 172)));
    }

    [Fact]
    public void Llama2c_weights_equal_the_hf_conversion_under_llamacpp_qk_permutation()
    {
        using var l = Llama2cCheckpoint.Open(Legacy);
        using var hf = SafetensorsFile.Open(TestAssets.Path("models", "stories260K-hf", "model.safetensors"));
        Assert.True(l.Get("token_embedding").SequenceEqual(hf.GetF32Span("model.embed_tokens.weight")));
        Assert.True(l.Get("rms_final").SequenceEqual(hf.GetF32Span("model.norm.weight")));
        for (var layer = 0; layer < 5; layer++)
        {
            var p = $"model.layers.{layer}.";
            Assert.True(l.Get("wv", layer).SequenceEqual(hf.GetF32Span(p + "self_attn.v_proj.weight")));
            Assert.True(l.Get("w1", layer).SequenceEqual(hf.GetF32Span(p + "mlp.gate_proj.weight")));
            Assert.True(l.Get("w2", layer).SequenceEqual(hf.GetF32Span(p + "mlp.down_proj.weight")));
            Assert.True(l.Get("w3", layer).SequenceEqual(hf.GetF32Span(p + "mlp.up_proj.weight")));
            Assert.True(l.Get("rms_ffn", layer).SequenceEqual(hf.GetF32Span(p + "post_attention_layernorm.weight")));
            var q = new float[64 * 64];
            LlamaGguf.PermuteHfToGguf(hf.GetF32Span(p + "self_attn.q_proj.weight"), q, heads: 8, cols: 64);
            Assert.True(l.Get("wq", layer).SequenceEqual(q));
            Assert.False(l.Get("wq", layer).SequenceEqual(hf.GetF32Span(p + "self_attn.q_proj.weight")));
            var k = new float[32 * 64];
            LlamaGguf.PermuteHfToGguf(hf.GetF32Span(p + "self_attn.k_proj.weight"), k, heads: 4, cols: 64);
            Assert.True(l.Get("wk", layer).SequenceEqual(k));
        }
    }

    private static string Patched(string source, Action<byte[]> patch, int? length = null)
    {
        var bytes = File.ReadAllBytes(source);
        if (length is { } n) Array.Resize(ref bytes, n);
        patch(bytes);
        var path = Path.Combine(TestAssets.NewTempDir("llama2c"), "m.bin");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Untied_legacy_checkpoint_reads_wcls_after_the_rope_tables()
    {
        var extra = 512 * 64 * 4;
        var path = Patched(Legacy, b =>
        {
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(20), -512);
            for (var i = 0; i < extra / 4; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(b.Length - extra + 4 * i), i);
        }, (int)new FileInfo(Legacy).Length + extra);
        using var c = Llama2cCheckpoint.Open(path);
        Assert.False(c.Config.SharedClassifier);
        Assert.Equal(512, c.Config.VocabSize);
        Assert.Equal(7f, c.Get("wcls")[7]);
        Assert.False(c.Get("wcls").SequenceEqual(c.Get("token_embedding")));
    }

    [Theory]
    [InlineData(0, 0, "dim is 0")]
    [InlineData(12, 7, "not divisible")]
    [InlineData(16, 3, "not divisible")]
    [InlineData(8, int.MaxValue, "n_layers")]
    [InlineData(24, 513, "implies")]
    public void Bad_legacy_headers_are_typed_errors(int offset, int value, string fragment)
    {
        var path = Patched(Legacy, b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(offset), value));
        var e = Assert.Throws<Llama2cFormatException>(() => Llama2cCheckpoint.Open(path));
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        Assert.Contains("byte ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_v1_headers_and_truncation_are_typed_errors()
    {
        Assert.Contains("version 2", Assert.Throws<Llama2cFormatException>(() =>
            Llama2cCheckpoint.Open(Patched(V1, b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), 2)))).Message, StringComparison.Ordinal);
        Assert.Contains("flag", Assert.Throws<Llama2cFormatException>(() =>
            Llama2cCheckpoint.Open(Patched(V1, b => b[36] = 7))).Message, StringComparison.Ordinal);
        Assert.Contains("truncated", Assert.Throws<Llama2cFormatException>(() =>
            Llama2cCheckpoint.Open(Patched(V1, _ => { }, 100_000))).Message, StringComparison.Ordinal);
        Assert.Throws<Llama2cFormatException>(() => Llama2cCheckpoint.Open(Patched(V1, _ => { }, 10)));
        Assert.Throws<Llama2cFormatException>(() => Llama2cCheckpoint.Open(Path.Combine(TestAssets.NewTempDir(), "none.bin")));
    }
}
