using Hone.Formats.Gguf;
using Hone.Models.Llama;
using Hone.Models.Tests.Train;
using Hone.Numerics;

namespace Hone.Models.Tests;

/// <summary>
/// GGUF matrices kept in their stored type (BF16, Q8_0, Q4_0) by <see cref="LlamaModel.LoadForInference"/>, held to
/// their float32 twin: the same file expanded to float32 by <see cref="LlamaModel.Load"/> holds exactly the same weight
/// values, so prompt blocks (float32 activations) and BF16 decode steps may differ only by summation order. Decode steps
/// of Q8_0 and Q4_0 quantise the activations to int8 blocks as llama.cpp does (<see cref="StoredMatMul"/>), so they are
/// held to the twin within that rounding, and to its greedy token wherever the twin's choice is clear.
/// </summary>
public class StoredWeightsTests
{
    /// <summary>Stored vs float32 twin, relative to the largest logit: summation order only (seen ~1e-6).</summary>
    private const float TwinTolerance = 1e-4f;

    /// <summary>Q8_0/Q4_0 decode steps vs the float32 twin, relative to the largest logit: the int8 rounding of the
    /// activations (each off by at most 1/254 of its block's largest magnitude; seen 0.011–0.018, 0.16–0.26 on logits up
    /// to ~15), the same rounding llama.cpp applies.</summary>
    private const float Int8Tolerance = 0.04f;

    [Theory]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    public void Stored_forward_matches_its_float32_twin(GgmlType type)
    {
        var path = GgufLoaderTests.WriteGguf(type);
        using var twin = LlamaModel.Load(path);
        using var stored = LlamaModel.LoadForInference(path);
        var w = stored.Weights;
        Assert.False(twin.Weights.HasStored);
        Assert.True(w.HasStored);
        Assert.NotNull(w.StoredEmbedding); // tied: the classifier too
        Assert.Same(w.StoredEmbedding, w.StoredClassifier);
        Assert.NotNull(w.Layers[0].Stored!.Wq);
        if (type == GgmlType.Q4_0 && StoredQ4x16.Pays)
        {
            // Matrices with rows in 16s (k = 64) are interleaved, the embedding too; gate and up (172 rows) stay split.
            Assert.All(w.Stored.Values, m => Assert.Equal(m.Rows % 16 == 0 ? StoredType.Q4_0x16 : StoredType.Q4_0Split, m.Type));
            Assert.Equal(StoredType.Q4_0x16, w.StoredEmbedding!.Type);
            Assert.Equal(StoredType.Q4_0Split, w.Layers[0].Stored!.WGate!.Type);
        }

        if (type == GgmlType.Q8_0 && StoredQ8x16.Pays)
        {
            Assert.All(w.Stored.Values, m => Assert.Equal(m.Rows % 16 == 0 ? StoredType.Q8_0x16 : StoredType.Q8_0, m.Type));
            Assert.Equal(StoredType.Q8_0x16, w.StoredEmbedding!.Type);
            Assert.Equal(StoredType.Q8_0, w.Layers[0].Stored!.WGate!.Type);
        }

        // stories260K's hidden size 172 is no multiple of 32: the file keeps w_down float32, so the model mixes both kinds.
        Assert.Null(w.Layers[0].Stored!.WDown);
        Assert.Equal(172, w.Layers[0].WDown.Shape[1]);
        Assert.Equal(twin.Weights.ParameterCount, w.ParameterCount);
        long storedBytes = w.Stored.Values.Sum(m => (long)m.Bytes.Length);
        long asF32 = w.Stored.Values.Sum(m => (long)m.Rows * m.Cols * 4);
        Assert.True(storedBytes * (type == GgmlType.BF16 ? 2 : 3) <= asF32, $"{storedBytes} stored bytes for {asF32} float32 bytes");

        // A prompt block (the matrix-matrix path), then decode steps (the matrix-vector path).
        int[] prompt = [1, 403, 407, 261, 378, 432, 300, 301, 99, 17];
        using var a = twin.CreateSession(cacheType: KvCacheType.F32);
        using var b = stored.CreateSession(cacheType: KvCacheType.F32);
        var v = twin.Config.VocabSize;
        float[] la = new float[prompt.Length * v], lb = new float[prompt.Length * v];
        a.Forward(prompt, la);
        b.Forward(prompt, lb);
        Close(la, lb, $"{type} prompt");
        int next = GoldenStories260KTests.Argmax(la.AsSpan((prompt.Length - 1) * v));
        for (int step = 0; step < 24; step++)
        {
            var da = a.Forward(next).ToArray();
            var db = b.Forward(next).ToArray();
            float tolerance = type == GgmlType.BF16 ? TwinTolerance : Int8Tolerance;
            float diff = Close(da, db, $"{type} step {step}", tolerance);
            int best = GoldenStories260KTests.Argmax(da), got = GoldenStories260KTests.Argmax(db);
            Assert.True(best == got || da[best] - da[got] <= 2 * diff, $"{type} step {step}: greedy {got} where the twin prefers {best} by {da[best] - da[got]}");
            next = best;
        }
    }

    [Fact]
    public void A_stored_model_is_for_inference_only()
    {
        using var stored = LlamaModel.LoadForInference(GgufLoaderTests.WriteGguf(GgmlType.Q8_0));
        Assert.Null(stored.PackForInference().Packed);
        var e = Assert.Throws<ArgumentException>(() => new Hone.Models.Train.LlamaTrainer(stored, 1, 8));
        Assert.Contains("LlamaModel.Load", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.BF16)]
    public void A_non_finite_scale_or_value_is_refused_with_its_tensor_and_offset(GgmlType type)
    {
        var path = GgufLoaderTests.WriteGguf(type);
        long at;
        using (var file = GgufFile.Open(path))
        {
            var t = file.GetTensor("blk.2.attn_v.weight");
            at = file.DataOffset + (long)t.Offset + (type == GgmlType.Q8_0 ? 34 * 3 : type == GgmlType.Q4_0 ? 18 * 3 : 2 * 5);
        }

        using (var f = File.OpenWrite(path))
        {
            f.Position = at;
            f.Write(type == GgmlType.BF16 ? [0x80, 0x7F] : [0x00, 0x7C]); // +infinity
        }

        foreach (var load in new Func<string, LlamaModel>[] { LlamaModel.Load, LlamaModel.LoadForInference })
        {
            var e = Assert.Throws<ModelLoadException>(() => load(path));
            Assert.Contains("blk.2.attn_v.weight", e.Message, StringComparison.Ordinal);
            Assert.Contains($"byte {at}", e.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Asserts max |Δ| ≤ tolerance · max(1, max |expected|); returns max |Δ|.</summary>
    internal static float Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, float tolerance = TwinTolerance)
    {
        float scale = 0, diff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = MathF.Max(scale, MathF.Abs(expected[i]));
            diff = MathF.Max(diff, MathF.Abs(expected[i] - actual[i]));
        }

        Assert.True(diff <= tolerance * Math.Max(1f, scale), $"{what}: max |Δ logit| {diff} (logits up to {scale})");
        return diff;
    }
}
