using System.Text.Json;
using Hone.Formats.Gguf;
using Hone.Models.Llama;
using Hone.Testing;

namespace Hone.Models.Tests;

/// <summary>stories260K (HF layout) written to GGUF the way llama.cpp's converter does, loaded back through LlamaModel.Load.</summary>
public class GgufLoaderTests
{
    private static readonly Lazy<int[]> Golden = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestAssets.Path("models", "stories260K", "golden_greedy_256.json")));
        return doc.RootElement.GetProperty("token_ids_including_bos").EnumerateArray().Select(e => e.GetInt32()).ToArray();
    });

    /// <summary>A GGUF writer holding the llama.* hyper-parameters of <paramref name="c"/>.</summary>
    internal static GgufWriter LlamaHeader(LlamaConfig c) => new GgufWriter()
        .Add(LlamaGguf.Keys.Architecture, "llama")
        .Add(LlamaGguf.Keys.ContextLength, (uint)c.MaxSeqLen)
        .Add(LlamaGguf.Keys.EmbeddingLength, (uint)c.Dim)
        .Add(LlamaGguf.Keys.BlockCount, (uint)c.Layers)
        .Add(LlamaGguf.Keys.FeedForwardLength, (uint)c.HiddenDim)
        .Add(LlamaGguf.Keys.HeadCount, (uint)c.Heads)
        .Add(LlamaGguf.Keys.HeadCountKv, (uint)c.KvHeads)
        .Add(LlamaGguf.Keys.RmsEpsilon, c.RmsEps)
        .Add(LlamaGguf.Keys.RopeFreqBase, c.RopeTheta)
        .Add(LlamaGguf.Keys.RopeDimensionCount, (uint)c.HeadDim);

    /// <summary>Writes the HF stories260K as GGUF: llama.* metadata, GGUF tensor names, Q/K rows permuted to interleaved
    /// pairs, ggml shapes (contiguous dimension first); matrices whose rows split into 32-blocks stored as <paramref name="type"/>.</summary>
    internal static string WriteGguf(GgmlType type, Action<GgufWriter>? extra = null, Func<string, bool>? skip = null)
    {
        using var hf = LlamaModel.LoadHf(TestAssets.Path("models", "stories260K-hf"));
        var c = hf.Config;
        var writer = LlamaHeader(c)
            .Add(LlamaGguf.Keys.BosId, 1u)
            .Add(LlamaGguf.Keys.EosId, 2u);
        extra?.Invoke(writer);
        foreach (var t in hf.Weights.Arena.Tensors.Values)
        {
            var name = LlamaGguf.FromHuggingFace(t.Name) ?? throw new InvalidOperationException(t.Name);
            if (skip?.Invoke(name) == true)
            {
                continue;
            }

            float[] values = t.Span.ToArray();
            int cols = t.Shape[^1];
            if (name.EndsWith("attn_q.weight", StringComparison.Ordinal) || name.EndsWith("attn_k.weight", StringComparison.Ordinal))
            {
                var permuted = new float[values.Length];
                LlamaGguf.PermuteHfToGguf(values, permuted, name.Contains("attn_q", StringComparison.Ordinal) ? c.Heads : c.KvHeads, cols);
                values = permuted;
            }

            long[] shape = t.Shape.Reverse().Select(d => (long)d).ToArray();
            var stored = t.Rank == 2 && cols % 32 == 0 ? type : GgmlType.F32;
            writer.AddTensor(name, shape, values, stored);
        }

        var path = Path.Combine(TestAssets.NewTempDir("gguf"), $"stories260K-{type}.gguf");
        writer.Write(path);
        return path;
    }

    private static int[] Greedy(LlamaModel model, int steps)
    {
        using var session = model.CreateSession();
        var ids = new List<int> { 1 };
        var logits = session.Forward([1]);
        for (int i = 0; i < steps; i++)
        {
            ids.Add(GoldenStories260KTests.Argmax(logits));
            if (i < steps - 1)
            {
                logits = session.Forward([ids[^1]]);
            }
        }

        return [.. ids];
    }

    [Fact]
    public void F32Gguf_GreedyFromBos_MatchesGoldenIds()
    {
        using var model = LlamaModel.Load(WriteGguf(GgmlType.F32));
        Assert.Equal("llama", model.Config.ModelType);
        Assert.Equal(RopeLayout.Interleaved, model.Config.RopeLayout);
        Assert.True(model.Config.TiedEmbeddings);
        Assert.Equal((64, 172, 5, 8, 4, 512), (model.Config.Dim, model.Config.HiddenDim, model.Config.Layers, model.Config.Heads, model.Config.KvHeads, model.Config.VocabSize));
        Assert.Equal(Golden.Value, Greedy(model, 256));
    }

    [Fact]
    public void GgufAndLlama2c_GiveTheSameLogits()
    {
        using var gguf = LlamaModel.Load(WriteGguf(GgmlType.F32));
        using var l2c = LlamaModel.Load(TestAssets.Path("models", "stories260K", "stories260K.bin"));
        int[] prompt = [1, 403, 407, 261, 378, 432];
        using var a = gguf.CreateSession();
        using var b = l2c.CreateSession();
        var la = a.Forward(prompt).ToArray();
        var lb = b.Forward(prompt).ToArray();
        for (int i = 0; i < la.Length; i++)
        {
            Assert.Equal(lb[i], la[i], 1e-4f);
        }
    }

    [Theory]
    [InlineData(GgmlType.F16, 0.05f)]
    [InlineData(GgmlType.BF16, 0.3f)]
    [InlineData(GgmlType.Q8_0, 0.3f)]
    public void QuantisedGguf_StaysCloseToF32(GgmlType type, float tolerance)
    {
        using var f32 = LlamaModel.Load(WriteGguf(GgmlType.F32));
        using var q = LlamaModel.Load(WriteGguf(type));
        int[] prompt = Golden.Value[..24];
        using var a = f32.CreateSession();
        using var b = q.CreateSession();
        var la = a.Forward(prompt).ToArray();
        var lb = b.Forward(prompt).ToArray();
        float maxDiff = la.Zip(lb).Max(p => MathF.Abs(p.First - p.Second));
        Assert.InRange(maxDiff, 1e-7f, tolerance); // lossy, yet close
        Assert.Equal(GoldenStories260KTests.Argmax(la), GoldenStories260KTests.Argmax(lb));
    }

    [Theory]
    [InlineData("qwen2")] // q/k/v biases, rotate-half RoPE kept (llama.cpp permutes only Llama's Q/K)
    [InlineData("qwen3")] // per-head q/k RMSNorm
    public void QwenGguf_GivesTheSameLogitsAsTheModelItWasWrittenFrom(string arch)
    {
        var c = LlamaConfig.FromHfJson($$"""
            {"model_type":"{{arch}}","hidden_size":32,"intermediate_size":48,"num_hidden_layers":2,"num_attention_heads":4,
             "num_key_value_heads":2,"head_dim":8,"vocab_size":40,"max_position_embeddings":64,"rms_norm_eps":1e-6,
             "rope_theta":10000.0,"tie_word_embeddings":false,"eos_token_id":2}
            """);
        var rng = new Random(8);
        using var original = new LlamaModel(LlamaWeights.Create(c, (name, t) =>
        {
            var span = t.Span;
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = name.Contains("norm", StringComparison.Ordinal) ? 1f + (0.1f * (float)(rng.NextDouble() - 0.5)) : 0.3f * (float)(rng.NextDouble() - 0.5);
            }
        }));
        var writer = new GgufWriter()
            .Add(LlamaGguf.Keys.Architecture, arch)
            .Add($"{arch}.context_length", 64u).Add($"{arch}.embedding_length", 32u).Add($"{arch}.block_count", 2u)
            .Add($"{arch}.feed_forward_length", 48u).Add($"{arch}.attention.head_count", 4u).Add($"{arch}.attention.head_count_kv", 2u)
            .Add($"{arch}.attention.key_length", 8u).Add($"{arch}.attention.layer_norm_rms_epsilon", 1e-6f).Add($"{arch}.rope.freq_base", 10000f);
        foreach (var t in original.Weights.Arena.Tensors.Values)
        {
            writer.AddTensor(LlamaGguf.FromHuggingFace(t.Name)!, t.Shape.Reverse().Select(d => (long)d).ToArray(), t.Span);
        }

        var path = Path.Combine(TestAssets.NewTempDir("gguf-" + arch), arch + ".gguf");
        writer.Write(path);
        using var loaded = LlamaModel.Load(path);
        Assert.Equal(RopeLayout.HalfRotation, loaded.Config.RopeLayout);
        Assert.Equal((c.QkvBias, c.QkNorm, false), (loaded.Config.QkvBias, loaded.Config.QkNorm, loaded.Config.TiedEmbeddings));
        int[] tokens = [1, 5, 9, 33, 2, 7, 7, 12, 39];
        using var a = original.CreateSession();
        using var b = loaded.CreateSession();
        Assert.Equal(a.Forward(tokens).ToArray(), b.Forward(tokens).ToArray());
    }

    [Fact]
    public void MissingTensor_UnknownArchitecture_AndMissingKey_AreClearErrors()
    {
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(WriteGguf(GgmlType.F32, skip: n => n == "blk.3.ffn_up.weight")));
        Assert.Contains("blk.3.ffn_up.weight", e.Message, StringComparison.Ordinal);

        var dir = TestAssets.NewTempDir("gguf-bad");
        var path = Path.Combine(dir, "falcon.gguf");
        new GgufWriter().Add(LlamaGguf.Keys.Architecture, "falcon").AddTensor("x", [32], new float[32]).Write(path);
        e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(path));
        Assert.Contains("\"falcon\"", e.Message, StringComparison.Ordinal);
        Assert.Equal(path, e.FilePath);

        path = Path.Combine(dir, "nokey.gguf");
        new GgufWriter().Add(LlamaGguf.Keys.Architecture, "llama").Add(LlamaGguf.Keys.EmbeddingLength, 64u).AddTensor("x", [32], new float[32]).Write(path);
        e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(path));
        Assert.Contains("llama.attention.head_count", e.Message, StringComparison.Ordinal);

        path = Path.Combine(dir, "garbage.gguf");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8]);
        e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(path));
        Assert.Equal(path, e.FilePath);
    }
}
