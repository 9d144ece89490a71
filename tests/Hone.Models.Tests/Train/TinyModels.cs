using Hone.Models.Llama;
using Hone.Models.Train;

namespace Hone.Models.Tests.Train;

/// <summary>Tiny random Llama-family models and batches for the trainer tests (seeded).</summary>
internal static class TinyModels
{
    /// <summary>stories260K (Hugging Face folder) from the shared assets.</summary>
    public static LlamaModel Stories() => LlamaModel.Load(Hone.Testing.TestAssets.Path("models", "stories260K-hf"));

    public static LlamaConfig Config(string variant) => variant switch
    {
        "llama-gqa-half-untied" => Base() with { RopeLayout = RopeLayout.HalfRotation, TiedEmbeddings = false },
        "mha-interleaved-tied" => Base() with { KvHeads = 4, RopeLayout = RopeLayout.Interleaved, TiedEmbeddings = true },
        "qwen2-bias-tied" => Base() with { ModelType = "qwen2", QkvBias = true, TiedEmbeddings = true },
        "qwen3-qknorm-headdim" => Base() with { ModelType = "qwen3", QkNorm = true, HeadDim = 6, KvHeads = 1, TiedEmbeddings = false },
        "mistral-window" => Base() with { ModelType = "mistral", SlidingWindow = 3, TiedEmbeddings = false },
        _ => throw new ArgumentException(variant),
    };

    private static LlamaConfig Base() => new()
    {
        Dim = 16, HiddenDim = 24, Layers = 2, Heads = 4, KvHeads = 2, HeadDim = 4, VocabSize = 11, MaxSeqLen = 16, RopeTheta = 100,
    };

    /// <summary>Random weights: matrices U(±1.5/√in), norms 1 + U(±0.3), biases U(±0.3), embeddings U(±1).</summary>
    public static LlamaModel Create(LlamaConfig c, int seed)
    {
        var rng = new Random(seed);
        c.Validate("tiny");
        var weights = LlamaWeights.Create(c, (name, t) =>
        {
            var s = t.Span;
            double scale = name.Contains("norm", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal) ? 0.3
                : name.Contains("embed", StringComparison.Ordinal) ? 1.0
                : 1.5 / Math.Sqrt(t.Shape[^1]);
            double offset = name.Contains("norm", StringComparison.Ordinal) ? 1 : 0;
            for (int i = 0; i < s.Length; i++)
            {
                s[i] = (float)(offset + (((rng.NextDouble() * 2) - 1) * scale));
            }
        });
        return new LlamaModel(weights);
    }

    /// <summary>B starts at zero (so dA would be zero): give it values U(±0.5) so every adapter gradient is exercised.</summary>
    public static void RandomizeLoraB(LlamaTrainer trainer, int seed)
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

    /// <summary>
    /// Two rows of 7: row 0 packs two examples (3 + 4 tokens, positions restarting); row 1 holds 5 tokens and 2 of
    /// padding. Every position of a real token has a target except the last of each example.
    /// </summary>
    public static TokenBatch Batch(int vocab, int seed)
    {
        var rng = new Random(seed);
        var b = new TokenBatch(2, 7);
        int[][] segments = [[0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, -1, -1]];
        for (int r = 0; r < 2; r++)
        {
            int pos = 0;
            for (int t = 0; t < 7; t++)
            {
                int i = (r * 7) + t;
                int seg = segments[r][t];
                b.SegmentIds[i] = seg;
                if (t > 0 && seg != segments[r][t - 1])
                {
                    pos = 0;
                }

                b.Tokens[i] = rng.Next(vocab);
                b.Positions[i] = seg == -1 ? 0 : pos++;
                bool lastOfSegment = seg == -1 || t == 6 || segments[r][t + 1] != seg;
                b.Targets[i] = lastOfSegment ? TokenBatch.IgnoreTarget : rng.Next(vocab);
            }
        }

        return b;
    }

    /// <summary>The plain (no LoRA) trainer's log p(target) of every position of <paramref name="batch"/>.</summary>
    public static float[] LogProbs(LlamaModel model, TokenBatch batch)
    {
        var lp = new float[batch.Tokens.Length];
        using var plain = new LlamaTrainer(model, batch.Rows, batch.SequenceLength);
        plain.Forward(batch, lp, new bool[lp.Length]);
        return lp;
    }

    /// <summary>
    /// Moves <paramref name="moved"/> (as an optimiser would), then checks that the adapter forward changes, that the
    /// forward with the adapters off is the base's (<paramref name="baseLp"/>) and that a backward with them off leaves
    /// the moved parameters' gradients at zero (PEFT's wrappers pass through to the original module). Leaves the adapters
    /// on; returns the adapter forward's log-probabilities.
    /// </summary>
    public static float[] MoveAndCheckAdaptersOff(LlamaTrainer lora, TokenBatch batch, float[] baseLp, IReadOnlyList<TrainableParameter> moved)
    {
        int n = baseLp.Length;
        foreach (var p in moved)
        {
            var s = p.Value.Span;
            for (int i = 0; i < s.Length; i++) s[i] += 0.05f * ((i % 7) - 3);
        }

        var lp = new float[n];
        lora.Forward(batch, lp, new bool[n]);
        Xunit.Assert.Contains(Enumerable.Range(0, n), i => Math.Abs(lp[i] - baseLp[i]) > 1e-3);
        var adapted = (float[])lp.Clone();
        lora.AdaptersEnabled = false;
        lora.ZeroGrad();
        lora.Forward(batch, lp, new bool[n]);
        Xunit.Assert.Equal(baseLp, lp);
        lora.Backward(batch.Targets.Select(t => t >= 0 ? 1f : 0f).ToArray());
        Xunit.Assert.All(moved, p => Xunit.Assert.All(p.Grad.Span.ToArray(), g => Xunit.Assert.Equal(0f, g)));
        lora.AdaptersEnabled = true;
        return adapted;
    }

    /// <summary>The plain forward of <paramref name="merged"/> gives <paramref name="adapted"/> (within 1e-5).</summary>
    public static void AssertForwardIs(LlamaModel merged, TokenBatch batch, float[] adapted)
    {
        var lp = LogProbs(merged, batch);
        for (int i = 0; i < lp.Length; i++)
        {
            Xunit.Assert.True(Math.Abs(adapted[i] - lp[i]) < 1e-5, $"position {i}: adapter {adapted[i]}, merged {lp[i]}");
        }
    }
}
