using Hone.Models.Llama;
using Hone.Models.Tests.Train;
using Hone.Models.Train;
using Hone.Reference.Tests.Reference;
using Xunit.Abstractions;

namespace Hone.Reference.Tests;

/// <summary>
/// The engine's contract below the objectives: for L = Σ coef·log p(target) with arbitrary coefficients over a batch
/// with two packed examples in one row (positions restarting, attention kept inside each) and padding in the other,
/// the trainer's float32 gradients equal the reference's at every coordinate of every tensor, with full fine-tuning on
/// the tiny variants (both RoPE layouts, GQA and MHA, biases, q/k norm with a wider head, a window of 3) and with LoRA
/// on every linear layer, LoRA dropout included (the reference applies the same seeded masks, by batch position), and
/// with trained copies of the embedding and head beside the adapters (modules to save).
/// </summary>
public sealed class EngineGradientTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;
    private const double FiniteDifferenceTolerance = 1e-6;

    public static TheoryData<string> Variants => new()
    {
        "llama-gqa-half-untied", "mha-interleaved-tied", "qwen2-bias-tied", "qwen3-qknorm-headdim", "mistral-window",
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Full_fine_tuning_gradients_equal_the_reference(string variant)
    {
        var c = TinyModels.Config(variant);
        using var model = TinyModels.Create(c, seed: 11);
        using var trainer = new LlamaTrainer(model, 2, 7);
        Assert.Equal(LlamaWeights.Manifest(c).Count, trainer.Parameters.Count);
        Check(c, trainer, null, step: 0);
    }

    [Theory]
    [InlineData("qwen3-qknorm-headdim", 0f)]
    [InlineData("qwen2-bias-tied", 0.3f)]
    [InlineData("llama-gqa-half-untied", 0.5f)]
    [InlineData("mha-interleaved-tied", 0.2f)]
    public void Lora_gradients_equal_the_reference(string variant, float dropout)
    {
        var c = TinyModels.Config(variant);
        using var model = TinyModels.Create(c, seed: 5);
        var lora = new LoraOptions { Rank = 3, Alpha = 6, Dropout = dropout, TargetModules = ["all-linear"], Seed = 9 };
        using var trainer = new LlamaTrainer(model, 2, 7, lora);
        Assert.Equal(2 * LoraOptions.AllLinear.Count * c.Layers, trainer.Parameters.Count);
        TinyModels.RandomizeLoraB(trainer, seed: 3);
        trainer.DropoutStep = 4;
        Check(c, trainer, lora, step: 4);
    }

    /// <summary>
    /// LoRA with modules to save (PEFT's modules_to_save): the trained copies of the embedding and/or the head, moved off
    /// the base so that reading the base instead would show, get the gradients of their uses (input rows, output
    /// projection); on a tied model one shared copy gets both.
    /// </summary>
    [Theory]
    [InlineData("llama-gqa-half-untied", "embed_tokens,lm_head")]
    [InlineData("llama-gqa-half-untied", "lm_head")]
    [InlineData("mha-interleaved-tied", "embed_tokens")]
    [InlineData("qwen2-bias-tied", "embed_tokens,lm_head")]
    public void Modules_to_save_gradients_equal_the_reference(string variant, string modules)
    {
        var c = TinyModels.Config(variant);
        using var model = TinyModels.Create(c, seed: 5);
        var lora = new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "down_proj"], Seed = 9, ModulesToSave = modules.Split(',') };
        using var trainer = new LlamaTrainer(model, 2, 7, lora);
        var saved = SavedModules.Expected(c, lora.ModulesToSave);
        Assert.Equal((2 * 2 * c.Layers) + saved.Length, trainer.Parameters.Count);
        TinyModels.RandomizeLoraB(trainer, seed: 3);
        SavedModules.AssertAndPerturb(trainer, saved, seed: 4);
        Check(c, trainer, lora, step: 0);
    }

    private void Check(LlamaConfig c, LlamaTrainer trainer, LoraOptions? lora, long step)
    {
        var batch = TinyModels.Batch(c.VocabSize, seed: 2);
        var rng = new Random(7);
        var coef = new float[batch.Tokens.Length];
        for (int i = 0; i < coef.Length; i++)
        {
            coef[i] = batch.Targets[i] < 0 ? 0 : (float)((rng.NextDouble() * 2) - 1);
        }

        var logp = new float[coef.Length];
        trainer.ZeroGrad();
        trainer.Forward(batch, logp, new bool[coef.Length]);
        trainer.Backward(coef);
        double honeLoss = Enumerable.Range(0, coef.Length).Sum(i => (double)coef[i] * logp[i]);

        var weights = ReferenceWeights.Of(trainer.Model);
        foreach (var p in trainer.Parameters)
        {
            weights.Set(p.Name, p.Value.Span, [.. p.Value.Shape]);
        }

        var loss = ReferenceObjectives.Weighted(Sequences(c, batch, coef, lora, step));
        var hone = trainer.Parameters.ToDictionary(p => p.Name, p => p.Grad.Span.ToArray(), StringComparer.Ordinal);
        var (refLoss, refGrads) = ReferenceGradients.Compute(loss, weights, hone.Keys.ToHashSet(StringComparer.Ordinal));
        Assert.True(Math.Abs(honeLoss - refLoss) < 1e-4 * (1 + Math.Abs(refLoss)), $"Σ coef·log p: hone {honeLoss}, reference {refLoss}");
        double worst = GradientComparison.AssertClose(hone, refGrads, Tolerance, output.WriteLine);
        double fd = ReferenceGradients.FiniteDifferenceError(loss, weights, refGrads, randomSamples: 1, seed: 1, output.WriteLine);
        output.WriteLine($"max rel grad diff {worst:E2}; reference FD max error {fd:E2}");
        Assert.True(fd < FiniteDifferenceTolerance, $"the reference disagrees with its finite differences: {fd:E3}");
    }

    /// <summary>
    /// The batch as independent sequences: each maximal run of one segment id (padding, −1, carries nothing) with its
    /// targets and coefficients, and, for LoRA dropout, the masks of its place in the batch (mask index = batch position ×
    /// input width + input).
    /// </summary>
    private static List<(ReferenceDecoder, int[], int[], double[])> Sequences(LlamaConfig c, TokenBatch b, float[] coef, LoraOptions? lora, long step)
    {
        var list = new List<(ReferenceDecoder, int[], int[], double[])>();
        int T = b.SequenceLength;
        for (int r = 0; r < b.Rows; r++)
        {
            for (int t = 0; t < T;)
            {
                int seg = b.SegmentIds[(r * T) + t], start = t;
                while (t < T && b.SegmentIds[(r * T) + t] == seg)
                {
                    t++;
                }

                if (seg == -1)
                {
                    continue;
                }

                int offset = (r * T) + start, len = t - start, end = offset + len;
                Assert.Equal(Enumerable.Range(0, len), b.Positions.Skip(offset).Take(len)); // the reference numbers positions from 0
                var decoder = new ReferenceDecoder(c, lora)
                {
                    DropoutMask = lora is { Dropout: > 0 }
                        ? (layer, module, pos, j, inputs) => LoraDropout.Mask(LoraDropout.Key(lora.Seed, step, layer, module), ((long)(offset + pos) * inputs) + j, lora.Dropout)
                        : null,
                };
                list.Add((decoder, b.Tokens[offset..end], b.Targets[offset..end], coef[offset..end].Select(v => (double)v).ToArray()));
            }
        }

        return list;
    }
}
