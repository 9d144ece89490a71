using Hone.Models.Llama;
using Hone.Models.Train;
using Xunit;
using Xunit.Abstractions;

namespace Hone.Models.Tests.Train;

/// <summary>
/// The oracle of the backward pass: the trainer's float32 gradients of L = Σ coef·log p(target), for every parameter
/// tensor, against central finite differences of a plain double-precision forward (<see cref="LlamaReference"/>).
/// </summary>
public sealed class GradientCheckTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-3;

    public static TheoryData<string> Variants => new()
    {
        "llama-gqa-half-untied", "mha-interleaved-tied", "qwen2-bias-tied", "qwen3-qknorm-headdim", "mistral-window",
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void FullFineTuningGradientsMatchFiniteDifferences(string variant)
    {
        var c = TinyModels.Config(variant);
        using var model = TinyModels.Create(c, seed: 11);
        using var trainer = new LlamaTrainer(model, 2, 7);
        double worst = Check(c, trainer, null, 0, expectedParameters: LlamaWeights.Manifest(c).Count);
        output.WriteLine($"{variant}: worst relative error {worst:E2}");
    }

    [Theory]
    [InlineData("qwen3-qknorm-headdim", 0f)]
    [InlineData("qwen2-bias-tied", 0.3f)]
    [InlineData("llama-gqa-half-untied", 0.5f)]
    public void LoraGradientsMatchFiniteDifferences(string variant, float dropout)
    {
        var c = TinyModels.Config(variant);
        using var model = TinyModels.Create(c, seed: 5);
        var lora = new LoraOptions { Rank = 3, Alpha = 6, Dropout = dropout, TargetModules = ["all-linear"], Seed = 9 };
        using var trainer = new LlamaTrainer(model, 2, 7, lora);
        RandomizeB(trainer, seed: 3);
        trainer.DropoutStep = 4;
        double worst = Check(c, trainer, lora, 4, expectedParameters: 2 * 7 * c.Layers);
        output.WriteLine($"{variant} LoRA (dropout {dropout}): worst relative error {worst:E2}");
    }

    /// <summary>
    /// Modules to save beside the adapters: the trained embedding and head copies get the gradients of their two uses
    /// (input rows and output projection; one shared tensor when the embeddings are tied), held to finite differences.
    /// </summary>
    [Theory]
    [InlineData("llama-gqa-half-untied", "embed_tokens,lm_head", 2)]
    [InlineData("llama-gqa-half-untied", "lm_head", 1)]
    [InlineData("mha-interleaved-tied", "embed_tokens", 1)]
    [InlineData("qwen2-bias-tied", "embed_tokens,lm_head", 1)]
    public void ModulesToSaveGradientsMatchFiniteDifferences(string variant, string modules, int savedTensors)
    {
        var c = TinyModels.Config(variant);
        using var model = TinyModels.Create(c, seed: 5);
        var lora = new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "down_proj"], Seed = 9, ModulesToSave = modules.Split(',') };
        using var trainer = new LlamaTrainer(model, 2, 7, lora);
        RandomizeB(trainer, seed: 3);
        PerturbSaved(trainer, seed: 4);
        double worst = Check(c, trainer, lora, 0, expectedParameters: (2 * 2 * c.Layers) + savedTensors);
        Assert.Contains(trainer.Parameters, p => p.Name == LlamaTrainer.SavedName(c.TiedEmbeddings ? "embed_tokens" : modules.Split(',')[0]));
        output.WriteLine($"{variant} modules to save {modules}: worst relative error {worst:E2}");
    }

    /// <summary>The trained copies start equal to the base rows: move them so that using the base instead would show.</summary>
    private static void PerturbSaved(LlamaTrainer trainer, int seed)
    {
        var rng = new Random(seed);
        foreach (var p in trainer.Parameters.Where(p => p.Name.Contains("modules_to_save", StringComparison.Ordinal)))
        {
            var s = p.Value.Span;
            for (int i = 0; i < s.Length; i++)
            {
                s[i] += (float)((rng.NextDouble() * 2) - 1) * 0.3f;
            }
        }
    }

    /// <summary>B starts at zero (so dA would be zero): give it values so every adapter gradient is exercised.</summary>
    internal static void RandomizeB(LlamaTrainer trainer, int seed)
    {
        var rng = new Random(seed);
        foreach (var p in trainer.Parameters.Where(p => p.Name.Contains("lora_B", StringComparison.Ordinal)))
        {
            var s = p.Value.Span;
            for (int i = 0; i < s.Length; i++)
            {
                s[i] = (float)((rng.NextDouble() * 2) - 1) * 0.5f;
            }
        }
    }

    private double Check(LlamaConfig c, LlamaTrainer trainer, LoraOptions? lora, long step, int expectedParameters)
    {
        Assert.Equal(expectedParameters, trainer.Parameters.Count);
        var batch = TinyModels.Batch(c.VocabSize, seed: 2);
        var rng = new Random(7);
        var coef = new float[batch.Tokens.Length];
        for (int i = 0; i < coef.Length; i++)
        {
            coef[i] = batch.Targets[i] < 0 ? 0 : (float)((rng.NextDouble() * 2) - 1);
        }

        var logp = new float[coef.Length];
        var correct = new bool[coef.Length];
        trainer.ZeroGrad();
        trainer.Forward(batch, logp, correct);
        trainer.Backward(coef);

        // Every tensor of the model (and the adapters) by name, in double.
        var p = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var (name, t) in trainer.Model.Weights.Arena.Tensors)
        {
            p[name] = t.Span.ToArray().Select(v => (double)v).ToArray();
        }

        foreach (var tp in trainer.Parameters)
        {
            p[tp.Name] = tp.Value.Span.ToArray().Select(v => (double)v).ToArray();
        }

        var reference = new LlamaReference(c, lora, step);
        var refLogp = reference.LogProbs(p, batch);
        for (int i = 0; i < logp.Length; i++)
        {
            Assert.True(Math.Abs(refLogp[i] - logp[i]) < 1e-4, $"log p at {i}: trainer {logp[i]}, reference {refLogp[i]}");
        }

        double worst = 0;
        foreach (var tp in trainer.Parameters)
        {
            var grad = tp.Grad.Span.ToArray();
            var values = p[tp.Name];
            var picks = new List<int> { Enumerable.Range(0, grad.Length).MaxBy(i => Math.Abs(grad[i])) };
            for (int s = 0; s < 3; s++)
            {
                picks.Add(rng.Next(grad.Length));
            }

            double diff2 = 0, ref2 = 0;
            foreach (int i in picks)
            {
                double orig = values[i], h = 1e-5 * Math.Max(1, Math.Abs(orig));
                values[i] = orig + h;
                double up = reference.Loss(p, batch, coef);
                values[i] = orig - h;
                double down = reference.Loss(p, batch, coef);
                values[i] = orig;
                double fd = (up - down) / (2 * h);
                diff2 += (fd - grad[i]) * (fd - grad[i]);
                ref2 += fd * fd;
            }

            Assert.True(ref2 > 1e-12, $"{tp.Name}: the sampled gradient is zero, so the check would prove nothing.");
            double rel = Math.Sqrt(diff2 / ref2);
            output.WriteLine($"  {tp.Name}: {rel:E2}");
            Assert.True(rel < Tolerance, $"{tp.Name}: relative error {rel:E3} ≥ {Tolerance}");
            worst = Math.Max(worst, rel);
        }

        return worst;
    }
}
