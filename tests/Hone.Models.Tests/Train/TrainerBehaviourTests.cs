using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Testing;
using Xunit;

namespace Hone.Models.Tests.Train;

/// <summary>The training forward against the inference session, packing, LoRA switches and merge, and a tiny overfit.</summary>
public sealed class TrainerBehaviourTests
{
    private static int[] StoryTokens(int count, int seed)
    {
        var rng = new Random(seed);
        var t = new int[count];
        t[0] = 1;
        for (int i = 1; i < count; i++)
        {
            t[i] = rng.Next(3, 512);
        }

        return t;
    }

    /// <summary>One example per row: tokens, targets = the next token, positions 0.., segment 0.</summary>
    private static void FillRow(TokenBatch b, int row, int[] tokens, int offset = 0, int segment = 0)
    {
        for (int t = 0; t < tokens.Length; t++)
        {
            int i = (row * b.SequenceLength) + offset + t;
            b.Tokens[i] = tokens[t];
            b.Targets[i] = t + 1 < tokens.Length ? tokens[t + 1] : TokenBatch.IgnoreTarget;
            b.Positions[i] = t;
            b.SegmentIds[i] = segment;
        }
    }

    [Fact]
    public void TargetLogProbsEqualTheSessionsLogSoftmax()
    {
        using var model = TinyModels.Stories();
        var tokens = StoryTokens(48, seed: 1);
        using var session = model.CreateSession(64, 16, cacheType: KvCacheType.F32);
        var logits = new float[tokens.Length * 512];
        session.Forward(tokens, logits);

        using var pool = new WorkerPool(2);
        using var trainer = new LlamaTrainer(model, 1, 64, pool: pool);
        var b = new TokenBatch(1, tokens.Length);
        FillRow(b, 0, tokens);
        var logp = new float[tokens.Length];
        var correct = new bool[tokens.Length];
        trainer.Forward(b, logp, correct);
        for (int t = 0; t + 1 < tokens.Length; t++)
        {
            var row = logits.AsSpan(t * 512, 512);
            float expected = row[tokens[t + 1]] - CrossEntropy.LogSumExp(row);
            Assert.True(Math.Abs(expected - logp[t]) < 1e-4, $"position {t}: trainer {logp[t]}, session {expected}");
            int argmax = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row);
            Assert.Equal(argmax == tokens[t + 1], correct[t]);
        }

        Assert.Equal(0f, logp[^1]);
        Assert.False(correct[^1]);
    }

    [Fact]
    public void PackingTwoExamplesEqualsRunningThemSeparately()
    {
        using var model = TinyModels.Stories();
        var a = StoryTokens(9, seed: 2);
        var c = StoryTokens(14, seed: 3);
        using var trainer = new LlamaTrainer(model, 2, 24);

        var packed = new TokenBatch(1, 24);
        FillRow(packed, 0, a, 0, segment: 0);
        FillRow(packed, 0, c, a.Length, segment: 1);
        var lpPacked = new float[24];
        trainer.Forward(packed, lpPacked, new bool[24]);
        var coefPacked = lpPacked.Select((_, i) => packed.Targets[i] < 0 ? 0f : -1f).ToArray();
        trainer.ZeroGrad();
        trainer.Backward(coefPacked);
        var gradPacked = trainer.Parameters.Select(p => p.Grad.Span.ToArray()).ToArray();

        var separate = new TokenBatch(2, 14);
        FillRow(separate, 0, a);
        FillRow(separate, 1, c);
        var lpSep = new float[28];
        trainer.Forward(separate, lpSep, new bool[28]);
        var coefSep = lpSep.Select((_, i) => separate.Targets[i] < 0 ? 0f : -1f).ToArray();
        trainer.ZeroGrad();
        trainer.Backward(coefSep);

        for (int t = 0; t < a.Length; t++)
        {
            Assert.True(Math.Abs(lpPacked[t] - lpSep[t]) < 1e-5, $"example A, position {t}");
        }

        for (int t = 0; t < c.Length; t++)
        {
            Assert.True(Math.Abs(lpPacked[a.Length + t] - lpSep[14 + t]) < 1e-5, $"example B, position {t}");
        }

        for (int p = 0; p < gradPacked.Length; p++)
        {
            var g = trainer.Parameters[p].Grad.Span;
            double diff = 0, norm = 0;
            for (int i = 0; i < g.Length; i++)
            {
                diff += (g[i] - gradPacked[p][i]) * (double)(g[i] - gradPacked[p][i]);
                norm += g[i] * (double)g[i];
            }

            Assert.True(norm > 0 && Math.Sqrt(diff / norm) < 1e-4, $"{trainer.Parameters[p].Name}: packed and separate gradients differ");
        }
    }

    [Fact]
    public void LoraStartsAtTheBaseModelAndDisablingAdaptersGivesTheBase()
    {
        var c = TinyModels.Config("qwen2-bias-tied");
        using var model = TinyModels.Create(c, seed: 1);
        var batch = TinyModels.Batch(c.VocabSize, seed: 4);
        int n = batch.Tokens.Length;
        using var full = new LlamaTrainer(model, 2, 7);
        var baseLp = new float[n];
        full.Forward(batch, baseLp, new bool[n]);

        using var lora = new LlamaTrainer(model, 2, 7, new LoraOptions { Rank = 2, TargetModules = ["q_proj", "down_proj"], Seed = 1 });
        Assert.Equal(
            ["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
             "base_model.model.model.layers.0.mlp.down_proj.lora_A.weight", "base_model.model.model.layers.0.mlp.down_proj.lora_B.weight"],
            lora.Parameters.Take(4).Select(p => p.Name));
        Assert.Equal([2, c.Dim], lora.Parameters[0].Value.Shape);
        Assert.Equal([c.QDim, 2], lora.Parameters[1].Value.Shape);
        float bound = 1f / MathF.Sqrt(c.Dim);
        Assert.All(lora.Parameters[0].Value.Span.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.Contains(lora.Parameters[0].Value.Span.ToArray(), v => v != 0);
        Assert.All(lora.Parameters[1].Value.Span.ToArray(), v => Assert.Equal(0f, v));

        var lp = new float[n];
        lora.Forward(batch, lp, new bool[n]);
        Assert.Equal(baseLp, lp); // B = 0: the adapter adds exactly nothing

        TinyModels.RandomizeLoraB(lora, seed: 2);
        lora.Forward(batch, lp, new bool[n]);
        Assert.Contains(Enumerable.Range(0, n), i => Math.Abs(lp[i] - baseLp[i]) > 1e-3);
        lora.AdaptersEnabled = false;
        lora.Forward(batch, lp, new bool[n]);
        Assert.Equal(baseLp, lp);
    }

    [Fact]
    public void MergedWeightsForwardEqualsTheAdapterForward()
    {
        var c = TinyModels.Config("qwen3-qknorm-headdim");
        using var model = TinyModels.Create(c, seed: 3);
        var batch = TinyModels.Batch(c.VocabSize, seed: 5);
        int n = batch.Tokens.Length;
        using var lora = new LlamaTrainer(model, 2, 7, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.2f, TargetModules = ["all-linear"], Seed = 3 });
        TinyModels.RandomizeLoraB(lora, seed: 6);
        lora.DropoutEnabled = false;
        var adapted = new float[n];
        lora.Forward(batch, adapted, new bool[n]);

        using var merged = new LlamaModel(lora.MergedWeights());
        using var plain = new LlamaTrainer(merged, 2, 7);
        var lp = new float[n];
        plain.Forward(batch, lp, new bool[n]);
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(adapted[i] - lp[i]) < 1e-5, $"position {i}: adapter {adapted[i]}, merged {lp[i]}");
        }

        Assert.Contains(Enumerable.Range(0, n), i => batch.Targets[i] >= 0);
    }

    [Theory]
    [InlineData("qwen2-bias-tied")]
    [InlineData("llama-gqa-half-untied")]
    public void ModulesToSaveStartAtTheBaseTrainOnlyWithAdaptersOnAndMergeIntoTheWeights(string variant)
    {
        var c = TinyModels.Config(variant);
        using var model = TinyModels.Create(c, seed: 2);
        var batch = TinyModels.Batch(c.VocabSize, seed: 6);
        int n = batch.Tokens.Length;
        var baseEmbed = model.Weights.TokenEmbedding.Span.ToArray();
        var baseLp = TinyModels.LogProbs(model, batch);

        var options = new LoraOptions { Rank = 2, TargetModules = ["v_proj"], Seed = 1, ModulesToSave = ["lm_head", "embed_tokens"] };
        using var lora = new LlamaTrainer(model, 2, 7, options);
        var saved = lora.Parameters.Where(p => p.Name.Contains("modules_to_save", StringComparison.Ordinal)).ToList();
        Assert.Equal(c.TiedEmbeddings ? [LlamaTrainer.SavedName("embed_tokens")] : [LlamaTrainer.SavedName("embed_tokens"), LlamaTrainer.SavedName("lm_head")],
            saved.Select(p => p.Name));
        Assert.Equal(baseEmbed, saved[0].Value.Span.ToArray()); // a copy of the base rows
        var lp = new float[n];
        lora.Forward(batch, lp, new bool[n]);
        Assert.Equal(baseLp, lp);

        // Move the copies: the adapter forward changes, the base (adapters off) does not.
        var adapted = TinyModels.MoveAndCheckAdaptersOff(lora, batch, baseLp, saved);
        Assert.Equal(baseEmbed, model.Weights.TokenEmbedding.Span.ToArray()); // the base is never written

        using var merged = new LlamaModel(lora.MergedWeights());
        Assert.Equal(c.TiedEmbeddings, merged.Config.TiedEmbeddings);
        TinyModels.AssertForwardIs(merged, batch, adapted);
    }

    [Fact]
    public void DropoutMasksAreSeededAndReplayable()
    {
        var c = TinyModels.Config("llama-gqa-half-untied");
        using var model = TinyModels.Create(c, seed: 3);
        var batch = TinyModels.Batch(c.VocabSize, seed: 5);
        int n = batch.Tokens.Length;
        var options = new LoraOptions { Rank = 2, Dropout = 0.5f, TargetModules = ["all-linear"], Seed = 3 };
        using var a = new LlamaTrainer(model, 2, 7, options);
        using var b = new LlamaTrainer(model, 2, 7, options);
        TinyModels.RandomizeLoraB(a, seed: 1);
        TinyModels.RandomizeLoraB(b, seed: 1);
        float[] Run(LlamaTrainer t)
        {
            var lp = new float[n];
            t.Forward(batch, lp, new bool[n]);
            return lp;
        }

        var first = Run(a);
        Assert.Equal(first, Run(b));
        a.DropoutStep++;
        Assert.NotEqual(first, Run(a));
        a.DropoutStep--;
        Assert.Equal(first, Run(a));
    }

    [Fact]
    public void ATrainingStepAllocatesNothing()
    {
        var c = TinyModels.Config("qwen3-qknorm-headdim");
        using var model = TinyModels.Create(c, seed: 2);
        using var trainer = new LlamaTrainer(model, 2, 7, new LoraOptions { Rank = 2, Dropout = 0.1f, TargetModules = ["all-linear"] });
        var batch = TinyModels.Batch(c.VocabSize, seed: 1);
        var lp = new float[14];
        var correct = new bool[14];
        var coef = batch.Targets.Select(t => t < 0 ? 0f : -1f).ToArray();
        trainer.Forward(batch, lp, correct);
        trainer.Backward(coef);
        long before = GC.GetAllocatedBytesForCurrentThread();
        trainer.Forward(batch, lp, correct);
        trainer.Backward(coef);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void PlainSgdOverfitsOneSequence()
    {
        var c = TinyModels.Config("llama-gqa-half-untied") with { Dim = 32, HiddenDim = 64, VocabSize = 16 };
        using var model = TinyModels.Create(c, seed: 8);
        using var trainer = new LlamaTrainer(model, 1, 12);
        var rng = new Random(4);
        var tokens = Enumerable.Range(0, 12).Select(_ => rng.Next(16)).ToArray();
        var batch = new TokenBatch(1, 12);
        FillRow(batch, 0, tokens);
        int count = 11;
        var coef = Enumerable.Range(0, 12).Select(i => i < count ? -1f / count : 0f).ToArray();
        var lp = new float[12];
        var correct = new bool[12];
        double Loss() => -lp.Take(count).Average();
        trainer.Forward(batch, lp, correct);
        double initial = Loss();
        for (int step = 0; step < 150; step++)
        {
            trainer.ZeroGrad();
            trainer.Forward(batch, lp, correct);
            trainer.Backward(coef);
            foreach (var p in trainer.Parameters)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(p.Grad.Span, -0.5f, p.Value.Span, p.Value.Span);
            }
        }

        trainer.Forward(batch, lp, correct);
        Assert.True(initial > 1.5, $"initial loss {initial}");
        Assert.True(Loss() < 0.05, $"loss went from {initial:F3} to {Loss():F4}");
        Assert.All(correct.Take(count), Assert.True);
    }
}
