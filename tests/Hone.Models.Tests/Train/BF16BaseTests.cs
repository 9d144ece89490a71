using System.Numerics.Tensors;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Testing;
using Xunit;

namespace Hone.Models.Tests.Train;

/// <summary>LoRA over a frozen base held in BF16 against the same run over the float32 base rounded to BF16.</summary>
public sealed class BF16BaseTests
{
    private static LoraOptions Lora(LoraBaseType type) =>
        new() { Rank = 4, Alpha = 8, Dropout = 0.1f, TargetModules = ["all-linear"], Seed = 3, BaseType = type };

    /// <summary>The float32 model whose layer linears hold exactly the values of the BF16 base.</summary>
    private static LlamaModel Rounded(LlamaWeights bf16) =>
        new(LlamaWeights.Create(bf16.Config, (name, t) =>
        {
            if (bf16.Stored.GetValueOrDefault(name) is { } m)
            {
                for (int r = 0; r < m.Rows; r++)
                {
                    m.DecodeRow(r, t.Span.Slice(r * m.Cols, m.Cols));
                }
            }
            else
            {
                bf16.Arena[name].Span.CopyTo(t.Span);
            }
        }));

    private static TokenBatch Batch(int rows, int seq, int seed)
    {
        var rng = new Random(seed);
        var b = new TokenBatch(rows, seq);
        for (int i = 0; i < rows * seq; i++)
        {
            b.Tokens[i] = i % seq == 0 ? 1 : rng.Next(3, 512);
            b.Positions[i] = i % seq;
            b.SegmentIds[i] = 0;
        }

        for (int i = 0; i < rows * seq; i++)
        {
            b.Targets[i] = (i + 1) % seq == 0 ? TokenBatch.IgnoreTarget : b.Tokens[i + 1];
        }

        return b;
    }

    /// <summary>Losses of <paramref name="steps"/> plain SGD steps (lr 0.05) on one batch, and the final adapters.</summary>
    private static (double[] Losses, float[][] Adapters) Run(LlamaModel model, LoraBaseType type, int threads, int steps)
    {
        using var pool = new WorkerPool(threads);
        using var trainer = new LlamaTrainer(model, 2, 24, Lora(type), pool);
        var batch = Batch(2, 24, seed: 5);
        int n = 48;
        var coef = batch.Targets.Select(t => t < 0 ? 0f : -1f / 46).ToArray();
        var lp = new float[n];
        var correct = new bool[n];
        var losses = new double[steps];
        for (int s = 0; s < steps; s++)
        {
            trainer.ZeroGrad();
            trainer.Forward(batch, lp, correct);
            losses[s] = -Enumerable.Range(0, n).Sum(i => coef[i] == 0 ? 0 : lp[i]) / 46;
            trainer.Backward(coef);
            foreach (var p in trainer.Parameters)
            {
                TensorPrimitives.MultiplyAdd(p.Grad.Span, -0.05f, p.Value.Span, p.Value.Span);
            }
        }

        return (losses, trainer.Parameters.Select(p => p.Value.Span.ToArray()).ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ABF16BaseTrainsExactlyAsTheFloat32BaseRoundedToBF16(int threads)
    {
        using var source = TinyModels.Stories();
        using var bf16 = new LlamaModel(BF16Base.Convert(source.Weights));
        using var rounded = Rounded(bf16.Weights);
        var (lossesBf16, adaptersBf16) = Run(bf16, LoraBaseType.BF16, threads, steps: 6);
        var (lossesF32, adaptersF32) = Run(rounded, LoraBaseType.F32, threads, steps: 6);

        // Bit-identical: the BF16 products widen the weights into the panels the float32 GEMM packs from the rounded
        // weights, and run the same micro-kernel over them (tolerance 0).
        Assert.Equal(lossesF32, lossesBf16);
        Assert.Equal(adaptersF32.Length, adaptersBf16.Length);
        for (int i = 0; i < adaptersF32.Length; i++)
        {
            Assert.Equal(adaptersF32[i], adaptersBf16[i]);
        }

        Assert.True(lossesBf16[^1] < lossesBf16[0] - 0.05, $"loss {lossesBf16[0]:F4} -> {lossesBf16[^1]:F4}");

        // Rounding the base to BF16 moves the starting loss only a little.
        var (lossesSource, _) = Run(source, LoraBaseType.F32, threads, steps: 1);
        Assert.True(Math.Abs(lossesSource[0] - lossesBf16[0]) < 0.02, $"{lossesSource[0]} vs {lossesBf16[0]}");
    }

    [Fact]
    public void TheBF16BaseHalvesTheBytesOfTheLayerLinears()
    {
        using var source = TinyModels.Stories();
        using var converted = BF16Base.Convert(source.Weights);
        var c = source.Config;
        long linear = 0;
        foreach (var module in LlamaModules.Linear)
        {
            var (o, i) = LlamaModules.Shape(c, module);
            linear += (long)o * i * c.Layers;
        }

        long storedBytes = converted.Stored.Values.Sum(m => (long)m.Bytes.Length);
        Assert.Equal(2 * linear, storedBytes);
        Assert.Equal(source.Weights.ParameterCount, converted.ParameterCount);
        long f32Before = 4L * source.Weights.Arena.Tensors.Values.Sum(t => (long)t.Length);
        long f32After = 4L * converted.Arena.Tensors.Values.Sum(t => (long)t.Length);
        Assert.Equal(4 * linear, f32Before - f32After);
        Assert.True(BF16Base.Holds(converted));
        Assert.False(BF16Base.Holds(source.Weights));
    }

    [Fact]
    public void TheBaseTypeMustMatchTheModel()
    {
        using var source = TinyModels.Stories();
        using var bf16 = new LlamaModel(BF16Base.Convert(source.Weights));
        Assert.Throws<ArgumentException>(() => new LlamaTrainer(source, 1, 8, Lora(LoraBaseType.BF16)));
        Assert.Throws<ArgumentException>(() => new LlamaTrainer(bf16, 1, 8, Lora(LoraBaseType.F32)));
        Assert.Throws<ArgumentException>(() => new LlamaTrainer(bf16, 1, 8));
        Assert.Throws<ArgumentException>(() => BF16Base.Convert(bf16.Weights));
    }

    [Fact]
    public void TheMergeOfABF16BaseEqualsTheMergeOfTheRoundedBase()
    {
        using var source = TinyModels.Stories();
        using var bf16 = new LlamaModel(BF16Base.Convert(source.Weights));
        using var rounded = Rounded(bf16.Weights);
        using var a = new LlamaTrainer(bf16, 1, 8, Lora(LoraBaseType.BF16));
        using var b = new LlamaTrainer(rounded, 1, 8, Lora(LoraBaseType.F32));
        TinyModels.RandomizeLoraB(a, seed: 4);
        TinyModels.RandomizeLoraB(b, seed: 4);
        using var ma = a.MergedWeights();
        using var mb = b.MergedWeights();
        Assert.False(ma.HasStored);
        foreach (var (name, t) in mb.Arena.Tensors)
        {
            Assert.Equal(t.Span.ToArray(), ma.Arena[name].Span.ToArray());
        }
    }
}
