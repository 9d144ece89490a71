using Hone.Formats.Gguf;
using Hone.Testing;

namespace Hone.Formats.Tests;

public class GgufWriterTests
{
    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (var i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 4 - 2);
        return a;
    }

    [Fact]
    public void Every_value_type_and_tensor_type_round_trips_bit_identical()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "all.gguf");
        var w = new GgufWriter()
            .Add("general.architecture", "llama")
            .Add("general.alignment", 64u)
            .Add("u8", (byte)200).Add("i8", (sbyte)-5).Add("u16", (ushort)65000).Add("i16", (short)-30000)
            .Add("u32", 4_000_000_000u).Add("i32", -2_000_000_000).Add("u64", ulong.MaxValue).Add("i64", long.MinValue)
            .Add("f32", 3.25f).Add("f64", Math.PI).Add("t", true).Add("f", false).Add("s", "héllo ▁ 🙂").Add("empty", "")
            .Add("a.u8", new byte[] { 1, 2, 255 }).Add("a.i8", new sbyte[] { -1, 2 }).Add("a.u16", new ushort[] { 7 })
            .Add("a.i16", new short[] { -7, 8 }).Add("a.u32", new uint[] { 1, 2, 3 }).Add("a.i32", new[] { -1, 0, 1 })
            .Add("a.u64", new ulong[] { 9 }).Add("a.i64", new long[] { -9 }).Add("a.f32", new[] { 1.5f, float.NaN })
            .Add("a.f64", new[] { -0.0 }).Add("a.bool", new[] { true, false }).Add("a.str", new[] { "a", "", "▁b" })
            .Add("a.nested", new object[] { new[] { 1, 2 }, new[] { "x" }, new object[] { new byte[] { 3 } } })
            .Add("a.emptyf", Array.Empty<float>());
        var f32 = Random(64 * 3, 1);
        w.AddTensor("t.f32", [64, 3], f32);
        w.AddTensor("t.f16", [32, 2], Random(64, 2), GgmlType.F16);
        w.AddTensor("t.bf16", [5], Random(5, 3), GgmlType.BF16);
        w.AddTensor("t.q8", [64, 2], Random(128, 4), GgmlType.Q8_0);
        w.Write(path);

        using var g = GgufFile.Open(path);
        Assert.Equal(3u, g.Version);
        Assert.Equal(64u, g.Alignment);
        Assert.Equal(w.Metadata.Select(kv => kv.Key), g.Metadata.Keys);
        foreach (var kv in w.Metadata)
        {
            Assert.IsType(kv.Value.GetType(), g.Metadata[kv.Key]);
            Assert.Equal(kv.Value, g.Metadata[kv.Key]);
        }
        Assert.Equal(["t.f32", "t.f16", "t.bf16", "t.q8"], g.Tensors.Select(t => t.Name));
        Assert.Equal([64L, 3], g.Tensors[0].Shape);
        Assert.All(g.Tensors, t => Assert.Equal(0, (g.DataOffset + (long)t.Offset) % 64));
        Assert.Equal(f32, g.ReadTensorF32("t.f32"));

        // Writing what was read gives the same bytes again.
        var again = new GgufWriter().AddAll(g.Metadata);
        foreach (var t in g.Tensors) again.AddTensor(t.Name, t.Shape, t.Type, g.GetTensorBytes(t).ToArray());
        var path2 = Path.Combine(dir, "again.gguf");
        again.Write(path2);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(path2));
    }

    [Fact]
    public void Q8_0_and_half_types_dequantise_within_their_precision()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "q.gguf");
        var x = Random(32 * 8, 7);
        new GgufWriter().AddTensor("q", [32, 8], x, GgmlType.Q8_0).AddTensor("h", [256], x, GgmlType.F16)
            .AddTensor("b", [256], x, GgmlType.BF16).Write(path);
        using var g = GgufFile.Open(path);
        var q = g.ReadTensorF32("q");
        var h = g.ReadTensorF32("h");
        var b = g.ReadTensorF32("b");
        for (var i = 0; i < x.Length; i++)
        {
            Assert.InRange(Math.Abs(q[i] - x[i]), 0, 2f / 127 * 0.5f + 1e-3f);
            Assert.InRange(Math.Abs(h[i] - x[i]), 0, 1e-3f);
            Assert.InRange(Math.Abs(b[i] - x[i]), 0, Math.Abs(x[i]) / 256 + 1e-30f);
        }
        // Q8_0: the largest magnitude of each block maps to +-127 exactly.
        var bytes = g.GetTensorBytes(g.GetTensor("q"));
        for (var blk = 0; blk < 8; blk++)
        {
            var qs = bytes.Slice(blk * 34 + 2, 32).ToArray().Select(v => Math.Abs((int)(sbyte)v));
            Assert.Equal(127, qs.Max());
        }
    }

    [Fact]
    public void BF16_rounds_to_nearest_even()
    {
        Assert.Equal(0x3F80, GgufQuantize.F32ToBF16(1f));
        Assert.Equal(0x3F80, GgufQuantize.F32ToBF16(BitConverter.UInt32BitsToSingle(0x3F808000))); // tie → even
        Assert.Equal(0x3F82, GgufQuantize.F32ToBF16(BitConverter.UInt32BitsToSingle(0x3F818000))); // tie → even (up)
        Assert.Equal(0x3F81, GgufQuantize.F32ToBF16(BitConverter.UInt32BitsToSingle(0x3F808001)));
        Assert.True(float.IsNaN(GgufDequantize.BF16ToF32(GgufQuantize.F32ToBF16(float.NaN))));
    }

    [Fact]
    public void Unsupported_quantised_type_is_a_typed_error()
    {
        var path = Path.Combine(TestAssets.NewTempDir(), "q5k.gguf");
        new GgufWriter().AddTensor("k", [256], GgmlType.Q5_K, new byte[176]).Write(path);
        using var g = GgufFile.Open(path);
        var e = Assert.Throws<GgufUnsupportedTypeException>(() => g.ReadTensorF32("k"));
        Assert.Equal(GgmlType.Q5_K, e.Type);
        Assert.Contains("q5k.gguf", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ggml-vocab-llama-spm.gguf")]
    [InlineData("ggml-vocab-gpt-2.gguf")]
    public void Rewriting_a_llamacpp_vocab_file_reproduces_its_metadata(string name)
    {
        using var g = GgufFile.Open(TestAssets.Path("tokenizers", "llamacpp-vocab", name));
        var path = Path.Combine(TestAssets.NewTempDir(), name);
        new GgufWriter().AddAll(g.Metadata).Write(path);
        using var back = GgufFile.Open(path);
        Assert.Equal(g.Metadata.Keys, back.Metadata.Keys);
        foreach (var k in g.Metadata.Keys) Assert.Equal(g.Metadata[k], back.Metadata[k]);
        var original = File.ReadAllBytes(g.Path);
        var written = File.ReadAllBytes(path);
        Assert.Equal(original.AsSpan(0, Math.Min(original.Length, written.Length)).ToArray(), written.AsSpan(0, Math.Min(original.Length, written.Length)).ToArray());
    }

    [Fact]
    public void Llama_qk_permutation_matches_llamacpp_and_inverts()
    {
        // One head of dim 4, 1 column: HF rows [a0, a1, b0, b1] (rotate-half pairs (a0,b0), (a1,b1)) become [a0, b0, a1, b1].
        float[] hf = [10, 11, 20, 21, 30, 31, 40, 41];
        var gguf = new float[8];
        LlamaGguf.PermuteHfToGguf(hf, gguf, heads: 2, cols: 1);
        Assert.Equal([10f, 20, 11, 21, 30, 40, 31, 41], gguf);
        var x = Random(8 * 4 * 3, 5);
        var y = new float[x.Length];
        var z = new float[x.Length];
        LlamaGguf.PermuteHfToGguf(x, y, heads: 4, cols: 3);
        LlamaGguf.PermuteGgufToHf(y, z, heads: 4, cols: 3);
        Assert.Equal(x, z);
        Assert.NotEqual(x, y);
    }

    [Fact]
    public void Hugging_face_names_map_to_llamacpp_names()
    {
        Assert.Equal("token_embd.weight", LlamaGguf.FromHuggingFace("model.embed_tokens.weight"));
        Assert.Equal("blk.3.attn_q.weight", LlamaGguf.FromHuggingFace("model.layers.3.self_attn.q_proj.weight"));
        Assert.Equal("blk.12.ffn_down.weight", LlamaGguf.FromHuggingFace("model.layers.12.mlp.down_proj.weight"));
        Assert.Equal("blk.0.ffn_norm.weight", LlamaGguf.FromHuggingFace("model.layers.0.post_attention_layernorm.weight"));
        Assert.Equal("output_norm.weight", LlamaGguf.FromHuggingFace("model.norm.weight"));
        Assert.Equal("output.weight", LlamaGguf.FromHuggingFace("lm_head.weight"));
        Assert.Null(LlamaGguf.FromHuggingFace("model.layers.x.mlp.down_proj.weight"));
        Assert.Null(LlamaGguf.FromHuggingFace("model.layers.0.self_attn.rotary_emb.inv_freq"));
        Assert.Equal("blk.2.attn_v.bias", LlamaGguf.FromHuggingFace("model.layers.2.self_attn.v_proj.bias"));
        Assert.Equal("blk.5.attn_k_norm.weight", LlamaGguf.FromHuggingFace("model.layers.5.self_attn.k_norm.weight"));
        Assert.Null(LlamaGguf.FromHuggingFace("model.layers.1.self_attn.o_proj.bias"));
    }
}
