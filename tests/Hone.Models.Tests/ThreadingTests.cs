using Hone.Models.Benchmarks;
using Hone.Models.Llama;
using Hone.Numerics;

namespace Hone.Models.Tests;

/// <summary>A session on two workers gives bit-identical logits to one on the calling thread (prompt blocks and decode).</summary>
public class ThreadingTests
{
    [Fact]
    public void TwoWorkers_GiveTheSameLogitsAsOne()
    {
        var c = ModelBenchmark.Llama134M with { Dim = 256, HiddenDim = 512, Layers = 2, Heads = 4, KvHeads = 2, VocabSize = 600, MaxSeqLen = 64 };
        using var model = ModelBenchmark.RandomModel(c, seed: 5, scale: 0.1f);
        int[] prompt = Enumerable.Range(0, 40).Select(i => (i * 37) % 600).ToArray();
        using var pool = new WorkerPool(2);
        using var one = model.CreateSession(blockSize: 16);
        using var two = model.CreateSession(blockSize: 16, pool: pool);
        var a = new float[prompt.Length * 600];
        var b = new float[prompt.Length * 600];
        one.Forward(prompt, a);
        two.Forward(prompt, b);
        Assert.Equal(a, b);
        for (int t = 0; t < 5; t++)
        {
            Assert.Equal(one.Forward(t + 7).ToArray(), two.Forward(t + 7).ToArray());
        }

        Assert.Contains(a, v => MathF.Abs(v) > 1e-3f);
    }
}
