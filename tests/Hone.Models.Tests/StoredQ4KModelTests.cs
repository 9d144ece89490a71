using Hone.Formats.Gguf;
using Hone.Models.Llama;
using Hone.Models.Tests.Train;
using Hone.Testing;

namespace Hone.Models.Tests;

/// <summary>
/// A GGUF whose matrices are all Q4_K (rows of whole 256-value super-blocks), kept Q4_K by
/// <see cref="LlamaModel.LoadForInference"/> (repacked to <see cref="Hone.Numerics.StoredQ4KSplit"/> where AVX-512BW runs
/// its kernel) and held to its float32 twin (<see cref="LlamaModel.Load"/> of the same file:
/// the same weight values): prompt blocks (float32 activations) within summation order; decode steps, which quantise the
/// activations to llama.cpp's q8_K (one scale per 256 values), within that rounding and to the twin's greedy token
/// wherever its choice is clear.
/// </summary>
public class StoredQ4KModelTests
{
    /// <summary>Decode steps vs the twin, relative to the largest logit: q8_K rounding of the activations (each off by at
    /// most 1/254 of its 256 values' largest magnitude; seen 0.0044–0.0062: 0.32–0.55 on logits up to ~89).</summary>
    private const float Q8KTolerance = 0.02f;

    private static string WriteQ4K()
    {
        var c = new LlamaConfig { Dim = 256, HiddenDim = 512, Layers = 2, Heads = 4, KvHeads = 2, HeadDim = 64, VocabSize = 300, MaxSeqLen = 64, RopeTheta = 10000, TiedEmbeddings = true };
        using var model = TinyModels.Create(c, seed: 7);
        var writer = GgufLoaderTests.LlamaHeader(c);
        foreach (var t in model.Weights.Arena.Tensors.Values)
        {
            var name = LlamaGguf.FromHuggingFace(t.Name) ?? throw new InvalidOperationException(t.Name);
            writer.AddTensor(name, t.Shape.Reverse().Select(d => (long)d).ToArray(), t.Span.ToArray(), t.Rank == 2 ? GgmlType.Q4_K : GgmlType.F32);
        }

        var path = Path.Combine(TestAssets.NewTempDir("gguf-q4k"), "tiny-q4_k.gguf");
        writer.Write(path);
        return path;
    }

    [Fact]
    public void Stored_Q4_K_forward_matches_its_float32_twin()
    {
        var path = WriteQ4K();
        using var twin = LlamaModel.Load(path);
        using var stored = LlamaModel.LoadForInference(path);
        var w = stored.Weights;
        // Repacked at load where AVX-512BW runs the split kernel (scales and mins decoded: 4.625 bits a weight), and
        // interleaved by 16 rows where the rows come in 16s (every matrix but the 300-row embedding), else as the file
        // has them (4.5 bits a weight).
        bool split = Hone.Numerics.StoredSplit.Pays;
        Assert.All(w.Stored.Values, m => Assert.Equal(
            !split ? Hone.Numerics.StoredType.Q4_K : m.Rows % 16 == 0 ? Hone.Numerics.StoredType.Q4_Kx16 : Hone.Numerics.StoredType.Q4_KSplit, m.Type));
        if (split)
        {
            Assert.Equal(Hone.Numerics.StoredType.Q4_KSplit, w.StoredEmbedding!.Type);
            Assert.Equal(Hone.Numerics.StoredType.Q4_Kx16, w.Layers[0].Stored!.Wq!.Type);
        }

        Assert.NotNull(w.StoredEmbedding);
        Assert.NotNull(w.Layers[1].Stored!.WDown);
        long storedBytes = w.Stored.Values.Sum(m => (long)m.Bytes.Length), asF32 = w.Stored.Values.Sum(m => (long)m.Rows * m.Cols * 4);
        Assert.Equal(asF32 * (split ? 148 : 144) / 1024, storedBytes);

        int[] prompt = [1, 40, 41, 26, 37, 43, 30, 31, 99, 17];
        using var a = twin.CreateSession();
        using var b = stored.CreateSession();
        int v = twin.Config.VocabSize;
        float[] la = new float[prompt.Length * v], lb = new float[prompt.Length * v];
        a.Forward(prompt, la);
        b.Forward(prompt, lb);
        StoredWeightsTests.Close(la, lb, "prompt", 1e-4f);
        int next = GoldenStories260KTests.Argmax(la.AsSpan((prompt.Length - 1) * v));
        for (int step = 0; step < 16; step++)
        {
            var da = a.Forward(next).ToArray();
            var db = b.Forward(next).ToArray();
            float diff = StoredWeightsTests.Close(da, db, $"step {step}", Q8KTolerance);
            int best = GoldenStories260KTests.Argmax(da), got = GoldenStories260KTests.Argmax(db);
            Assert.True(best == got || da[best] - da[got] <= 2 * diff, $"step {step}: greedy {got} where the twin prefers {best} by {da[best] - da[got]}");
            next = best;
        }
    }
}
