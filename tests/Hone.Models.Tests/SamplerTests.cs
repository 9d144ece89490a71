using Hone.Models.Generation;

namespace Hone.Models.Tests;

public class SamplerTests
{
    // Probabilities 0.5, 0.25, 0.125, 0.0625, 0.0625 (log-space logits).
    private static readonly float[] Logits = [MathF.Log(0.5f), MathF.Log(0.25f), MathF.Log(0.125f), MathF.Log(0.0625f), MathF.Log(0.0625f)];

    private static float[] Probs(SamplingOptions o, float[]? logits = null, int[]? history = null)
    {
        logits ??= Logits;
        var s = new Sampler(logits.Length, o with { Seed = 1 });
        var p = new float[logits.Length];
        s.Probabilities(logits, history ?? [], p);
        return p;
    }

    [Fact]
    public void Greedy_PicksArgmax()
    {
        var s = new Sampler(4, SamplingOptions.Greedy);
        Assert.Equal(2, s.Sample([0.1f, -3f, 7f, 6.9f]));
    }

    [Fact]
    public void Temperature1_KeepsTheSoftmax()
    {
        var p = Probs(new SamplingOptions());
        Assert.Equal([0.5f, 0.25f, 0.125f, 0.0625f, 0.0625f], p.Select(v => MathF.Round(v, 5)));
    }

    [Fact]
    public void Temperature_SharpensAndFlattens()
    {
        var cold = Probs(new SamplingOptions { Temperature = 0.5f });
        // p ∝ p0^2: 0.25, 0.0625, ... normalised by 0.25+0.0625+0.015625+2*0.00390625
        Assert.Equal(0.25f / 0.3359375f, cold[0], 1e-5f);
        var hot = Probs(new SamplingOptions { Temperature = 1000f });
        Assert.All(hot, v => Assert.Equal(0.2f, v, 1e-2f));
    }

    [Fact]
    public void TopK_KeepsTheKMostLikely()
    {
        var p = Probs(new SamplingOptions { TopK = 2 });
        Assert.Equal(2f / 3, p[0], 1e-6f);
        Assert.Equal(1f / 3, p[1], 1e-6f);
        Assert.Equal(0, p[2]);
    }

    [Theory]
    [InlineData(0.5f, 1)]   // 0.5 ≥ 0.5: the top token alone
    [InlineData(0.51f, 2)]  // 0.75
    [InlineData(0.75f, 2)]
    [InlineData(0.76f, 3)]  // 0.875
    [InlineData(0.9f, 4)]   // 0.9375
    [InlineData(1f, 5)]
    public void TopP_KeepsTheSmallestSetWithEnoughMass(float topP, int expectedKept)
    {
        var p = Probs(new SamplingOptions { TopP = topP });
        Assert.Equal(expectedKept, p.Count(v => v > 0));
        Assert.Equal(1f, p.Sum(), 1e-5f);
        for (int i = 0; i < expectedKept; i++)
        {
            Assert.True(p[i] > 0);
        }
    }

    [Fact]
    public void MinP_DropsTokensBelowAFractionOfTheTop()
    {
        var p = Probs(new SamplingOptions { MinP = 0.25f }); // threshold 0.125: keeps 0.5, 0.25, 0.125
        Assert.Equal(3, p.Count(v => v > 0));
        Assert.Equal(0.5f / 0.875f, p[0], 1e-6f);
    }

    [Fact]
    public void RepetitionPenalty_DividesPositiveAndMultipliesNegativeLogits()
    {
        float[] logits = [2f, 2f, -1f, -1f];
        var s = new Sampler(4, new SamplingOptions { Temperature = 1, RepetitionPenalty = 2f, Seed = 3 });
        var p = new float[4];
        s.Probabilities(logits, [0, 2, 0], p); // logits become 1, 2, -2, -1
        float z = MathF.Exp(1) + MathF.Exp(2) + MathF.Exp(-2) + MathF.Exp(-1);
        Assert.Equal(MathF.Exp(1) / z, p[0], 1e-6f);
        Assert.Equal(MathF.Exp(2) / z, p[1], 1e-6f);
        Assert.Equal(MathF.Exp(-2) / z, p[2], 1e-6f);
        var greedy = new Sampler(4, SamplingOptions.Greedy with { RepetitionPenalty = 2f });
        Assert.Equal(1, greedy.Sample(logits, [0]));
    }

    [Fact]
    public void SameSeed_SameDraws_DifferentSeed_DifferentDraws()
    {
        var o = new SamplingOptions { Temperature = 1f, Seed = 42 };
        int[] Draw(SamplingOptions opt)
        {
            var s = new Sampler(Logits.Length, opt);
            return Enumerable.Range(0, 64).Select(_ => s.Sample(Logits)).ToArray();
        }

        Assert.Equal(Draw(o), Draw(o));
        Assert.NotEqual(Draw(o), Draw(o with { Seed = 43 }));
    }

    [Fact]
    public void Draws_FollowTheDistribution()
    {
        var s = new Sampler(Logits.Length, new SamplingOptions { Seed = 7 });
        var counts = new int[Logits.Length];
        const int n = 20000;
        for (int i = 0; i < n; i++)
        {
            counts[s.Sample(Logits)]++;
        }

        Assert.InRange(counts[0] / (double)n, 0.48, 0.52);
        Assert.InRange(counts[1] / (double)n, 0.23, 0.27);
        Assert.InRange(counts[4] / (double)n, 0.05, 0.075);
    }

    [Fact]
    public void TopK1_IsGreedyEvenWithSampling()
    {
        var s = new Sampler(Logits.Length, new SamplingOptions { TopK = 1, Seed = 9 });
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal(0, s.Sample(Logits)));
    }

    [Theory]
    [InlineData(-0.1f, 0, 1f, 0f, 1f)]
    [InlineData(1f, -1, 1f, 0f, 1f)]
    [InlineData(1f, 0, 0f, 0f, 1f)]
    [InlineData(1f, 0, 1.1f, 0f, 1f)]
    [InlineData(1f, 0, 1f, -0.1f, 1f)]
    [InlineData(1f, 0, 1f, 0f, 0f)]
    public void InvalidOptions_AreRejectedWithTheirName(float t, int k, float p, float minP, float rep)
    {
        var o = new SamplingOptions { Temperature = t, TopK = k, TopP = p, MinP = minP, RepetitionPenalty = rep };
        var e = Assert.Throws<ArgumentException>(() => new Sampler(4, o));
        Assert.Matches("temperature|top_k|top_p|min_p|repetition_penalty", e.Message);
    }
}
