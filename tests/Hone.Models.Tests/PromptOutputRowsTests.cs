using Hone.Models.Benchmarks;
using Hone.Models.Llama;
using Hone.Numerics;

namespace Hone.Models.Tests;

/// <summary>
/// When only the last token's logits are asked for, the last layer computes the other rows' keys and values only
/// (as llama.cpp does): the logits and every later step must not change.
/// </summary>
public class PromptOutputRowsTests
{
    [Theory]
    [InlineData(false, 70, 32)] // three blocks: two without outputs, a last one with its last row
    [InlineData(true, 70, 32)]
    [InlineData(true, 5, 64)]   // one block of 5 rows
    public void Last_token_logits_and_later_steps_equal_those_of_a_full_forward(bool pack, int promptLength, int blockSize)
    {
        var c = ModelBenchmark.Llama134M with { Dim = 128, HiddenDim = 256, Layers = 3, Heads = 4, KvHeads = 2, HeadDim = 32, VocabSize = 200, MaxSeqLen = 128 };
        using var model = ModelBenchmark.RandomModel(c, seed: 11, scale: 0.1f);
        if (pack)
        {
            model.PackForInference();
        }

        int[] prompt = Enumerable.Range(0, promptLength).Select(i => 3 + ((i * 29) % 190)).ToArray();
        using var pool = new WorkerPool(2);
        using var full = model.CreateSession(blockSize: blockSize, pool: pool);
        using var last = model.CreateSession(blockSize: blockSize, pool: pool);
        var all = new float[prompt.Length * c.VocabSize];
        full.Forward(prompt, all);
        float[] lastOnly = last.Forward(prompt).ToArray();
        var expected = all.AsSpan((prompt.Length - 1) * c.VocabSize, c.VocabSize).ToArray();
        AssertClose(expected, lastOnly);

        // The caches hold the same keys and values: decoding on from either gives the same logits.
        for (int t = 0; t < 3; t++)
        {
            AssertClose(full.Forward(t + 4).ToArray(), last.Forward(t + 4).ToArray());
        }
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-5f + (1e-5f * MathF.Abs(expected[i])), $"logit {i}: {expected[i]} vs {actual[i]}");
        }
    }
}
