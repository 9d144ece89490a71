using Hone.Models.Benchmarks;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;

namespace Hone.Models.Tests;

/// <summary><see cref="LlamaModel.PackForInference"/>: the packed copy changes speed, never results.</summary>
public class PackedInferenceTests
{
    private static readonly LlamaConfig Small = ModelBenchmark.Llama134M with
    {
        Dim = 128, HiddenDim = 320, Layers = 2, Heads = 4, KvHeads = 2, HeadDim = 32, VocabSize = 300, MaxSeqLen = 96,
    };

    [Fact]
    public void A_packed_model_gives_the_same_logits_bit_for_bit_in_prompt_blocks_and_decode()
    {
        using var plain = ModelBenchmark.RandomModel(Small, seed: 9, scale: 0.1f);
        using var packed = ModelBenchmark.RandomModel(Small, seed: 9, scale: 0.1f);
        using var pool = new WorkerPool(2);
        Assert.Same(packed, packed.PackForInference(pool));
        Assert.NotNull(packed.Packed);
        Assert.Null(plain.Packed);
        var first = packed.Packed;
        packed.PackForInference();
        Assert.Same(first, packed.Packed); // idempotent
        Assert.Equal(LlamaPackedWeights.BytesFor(Small), first!.Bytes);

        // 70 tokens in blocks of 32: two full blocks through the packed kernels and a tail of 6; then decode rows.
        int[] prompt = Enumerable.Range(0, 70).Select(i => 3 + ((i * 41) % 290)).ToArray();
        using var a = plain.CreateSession(blockSize: 32, pool: pool);
        using var b = packed.CreateSession(blockSize: 32, pool: pool);
        var la = new float[prompt.Length * Small.VocabSize];
        var lb = new float[la.Length];
        a.Forward(prompt, la);
        b.Forward(prompt, lb);
        Assert.Equal(la, lb);
        Assert.Contains(la, v => MathF.Abs(v) > 1e-3f);
        for (int t = 0; t < 4; t++)
        {
            Assert.Equal(a.Forward(t + 5).ToArray(), b.Forward(t + 5).ToArray());
        }
    }

    [Fact]
    public void A_trainer_refuses_a_packed_model_whose_copy_would_go_stale()
    {
        using var model = ModelBenchmark.RandomModel(Small with { Layers = 1 }, seed: 2).PackForInference();
        var e = Assert.Throws<ArgumentException>(() => new LlamaTrainer(model, 1, 8));
        Assert.Contains("PackForInference", e.Message, StringComparison.Ordinal);
    }
}
