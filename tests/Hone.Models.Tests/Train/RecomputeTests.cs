using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Xunit;

namespace Hone.Models.Tests.Train;

/// <summary>Activation checkpointing (<c>recompute</c>): the same log-probs and gradients, bit for bit, in less memory.</summary>
public sealed class RecomputeTests
{
    public static TheoryData<string, bool> Cases => new()
    {
        { "llama-gqa-half-untied", false }, { "llama-gqa-half-untied", true }, { "qwen2-bias-tied", true },
        { "qwen3-qknorm-headdim", false }, { "qwen3-qknorm-headdim", true }, { "mistral-window", true },
    };

    private static LoraOptions Lora => new() { Rank = 2, Dropout = 0.2f, TargetModules = ["all-linear"], ModulesToSave = ["lm_head"], Seed = 7 };

    /// <summary>Two steps (the second after an SGD update) with and without recomputation give identical log-probs,
    /// gradients and weights.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void RecomputationGivesBitIdenticalGradients(string variant, bool lora)
    {
        var c = TinyModels.Config(variant) with { Layers = 3 };
        var (lpPlain, gradsPlain) = Steps(c, lora, recompute: false, threads: 1);
        var (lpRecomputed, gradsRecomputed) = Steps(c, lora, recompute: true, threads: 2);
        Assert.Equal(lpPlain, lpRecomputed);
        Assert.Equal(gradsPlain.Length, gradsRecomputed.Length);
        for (int i = 0; i < gradsPlain.Length; i++)
        {
            Assert.Equal(gradsPlain[i], gradsRecomputed[i]);
        }

        Assert.Contains(gradsPlain, g => g.Any(v => v != 0));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RecomputationKeepsOneLayersActivations(bool lora)
    {
        var c = TinyModels.Config("llama-gqa-half-untied") with { Layers = 4 };
        using var model = TinyModels.Create(c, seed: 1);
        using var plain = new LlamaTrainer(model, 2, 7, lora ? Lora : null);
        using var recomputed = new LlamaTrainer(model, 2, 7, lora ? Lora : null, recompute: true);
        Assert.True(recomputed.Recompute);
        long Activations(LlamaTrainer t) => t.Arena.Tensors.Where(e => e.Key.StartsWith("layer", StringComparison.Ordinal) || e.Key.StartsWith("u:", StringComparison.Ordinal)).Sum(e => (long)e.Value.Length);
        long Residual(LlamaTrainer t) => t.Arena["res"].Length;
        Assert.Equal(4 * Activations(recomputed), Activations(plain));
        Assert.Equal(2 * 7 * c.Dim * (c.Layers + 2), Residual(recomputed));
        Assert.Equal(2 * 7 * c.Dim * ((2 * c.Layers) + 1), Residual(plain));
    }

    private static (float[] LogProbs, float[][] Grads) Steps(LlamaConfig c, bool lora, bool recompute, int threads)
    {
        using var model = TinyModels.Create(c, seed: 11);
        using var pool = new WorkerPool(threads);
        using var trainer = new LlamaTrainer(model, 2, 7, lora ? Lora : null, pool, recompute);
        if (lora)
        {
            TinyModels.RandomizeLoraB(trainer, seed: 3);
        }

        var batch = TinyModels.Batch(c.VocabSize, seed: 2);
        var coef = batch.Targets.Select(t => t < 0 ? 0f : -0.1f).ToArray();
        var lp = new float[14];
        var correct = new bool[14];
        for (int step = 0; step < 2; step++)
        {
            trainer.ZeroGrad();
            trainer.Forward(batch, lp, correct);
            trainer.Backward(coef);
            if (step == 0)
            {
                foreach (var p in trainer.Parameters)
                {
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(p.Grad.Span, -0.05f, p.Value.Span, p.Value.Span);
                }
            }
        }

        return (lp, [.. trainer.Parameters.Select(p => p.Grad.Span.ToArray()), .. trainer.Parameters.Select(p => p.Value.Span.ToArray())]);
    }
}
