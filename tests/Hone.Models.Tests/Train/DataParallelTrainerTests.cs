using System.Numerics.Tensors;
using Hone.Models.Llama;
using Hone.Models.Train;
using Hone.Numerics;
using Xunit;

namespace Hone.Models.Tests.Train;

/// <summary>
/// Data-parallel shards (<see cref="DataParallelTrainer"/>): the same log-probabilities and gradients on any thread
/// count, bit for bit, and those of one <see cref="LlamaTrainer"/> over the whole batch up to the order of the sums.
/// </summary>
public sealed class DataParallelTrainerTests
{
    public static TheoryData<string, bool, int> Cases => new()
    {
        { "llama-gqa-half-untied", false, 3 }, { "llama-gqa-half-untied", true, 4 }, { "qwen2-bias-tied", true, 3 },
        { "qwen3-qknorm-headdim", false, 5 }, { "mistral-window", true, 2 }, { "mha-interleaved-tied", false, 1 }, { "qwen2-bias-tied", true, 2 },
    };

    // No dropout: its masks are drawn per shard, so a dropout run is not the unsharded one.
    private static LoraOptions Lora => new() { Rank = 2, TargetModules = ["all-linear"], ModulesToSave = ["lm_head"], Seed = 7 };

    /// <summary>The LoRA options of a case: modules to save, or, on the 2-row cases, trainable tokens instead.</summary>
    private static LoraOptions LoraFor(int rows) => rows == 2 ? Lora with { ModulesToSave = [], TrainableTokenIndices = [1, 5, 9] } : Lora;

    /// <summary>Two steps (the second after an SGD update of shard 0's parameters, which the other shards must see)
    /// give identical results on one thread and three, and match one trainer over the whole batch.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Shards_compute_the_same_on_any_thread_count_and_match_one_trainer(string variant, bool lora, int rows)
    {
        var c = TinyModels.Config(variant);
        var one = Steps(c, lora, rows, shards: 2, threads: 1);
        var three = Steps(c, lora, rows, shards: 2, threads: 3);
        Assert.Equal(one.LogProbs, three.LogProbs);
        Assert.Equal(one.Correct, three.Correct);
        for (int i = 0; i < one.Grads.Length; i++)
        {
            Assert.Equal(one.Grads[i], three.Grads[i]);
        }

        var plain = Steps(c, lora, rows, shards: 1, threads: 2);
        Assert.Equal(plain.Grads.Length, one.Grads.Length);
        for (int t = 0; t < plain.LogProbs.Length; t++)
        {
            Assert.True(Math.Abs(plain.LogProbs[t] - one.LogProbs[t]) <= 1e-5 * (1 + Math.Abs(plain.LogProbs[t])), $"log-prob {t}: {plain.LogProbs[t]} vs {one.LogProbs[t]}");
        }

        for (int i = 0; i < plain.Grads.Length; i++)
        {
            double scale = plain.Grads[i].Max(MathF.Abs) + 1e-6;
            for (int j = 0; j < plain.Grads[i].Length; j++)
            {
                Assert.True(Math.Abs(plain.Grads[i][j] - one.Grads[i][j]) <= 1e-4 * scale, $"{plain.Names[i]}[{j}]: {plain.Grads[i][j]} vs {one.Grads[i][j]}");
            }
        }

        Assert.Contains(one.Grads, g => g.Any(v => v != 0));
    }

    [Fact]
    public void Shards_refuse_a_batch_with_more_rows_than_they_hold_and_a_backward_before_a_forward()
    {
        var c = TinyModels.Config("llama-gqa-half-untied");
        using var model = TinyModels.Create(c, seed: 1);
        using var trainer = new DataParallelTrainer(model, 3, 7, shards: 2);
        Assert.Equal(2, trainer.Shards);
        Assert.Throws<InvalidOperationException>(() => trainer.Backward(new float[21]));
        var batch = Batch(c.VocabSize, rows: 4, seed: 1);
        Assert.Throws<ArgumentException>(() => trainer.Forward(batch, new float[28], new bool[28]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataParallelTrainer(model, 3, 7, shards: 1));
    }

    private static (float[] LogProbs, bool[] Correct, float[][] Grads, string[] Names) Steps(LlamaConfig c, bool lora, int rows, int shards, int threads)
    {
        using var model = TinyModels.Create(c, seed: 11);
        using var pool = new WorkerPool(threads);
        ITrainableModel trainer = shards == 1
            ? new LlamaTrainer(model, rows, 7, lora ? LoraFor(rows) : null, pool)
            : new DataParallelTrainer(model, rows, 7, shards, lora ? LoraFor(rows) : null, pool);
        using (trainer as IDisposable)
        {
            if (lora)
            {
                var rng = new Random(3);
                foreach (var p in trainer.Parameters.Where(p => p.Name.Contains("lora_B", StringComparison.Ordinal)))
                {
                    var s = p.Value.Span;
                    for (int i = 0; i < s.Length; i++) s[i] = (float)((rng.NextDouble() * 2) - 1) * 0.5f;
                }
            }

            var batch = Batch(c.VocabSize, rows, seed: 2);
            var coef = batch.Targets.Select(t => t < 0 ? 0f : -0.1f).ToArray();
            var lp = new float[rows * 7];
            var correct = new bool[rows * 7];
            for (int step = 0; step < 2; step++)
            {
                trainer.ZeroGrad();
                trainer.Forward(batch, lp, correct);
                trainer.Backward(coef);
                if (step == 0)
                {
                    foreach (var p in trainer.Parameters) TensorPrimitives.MultiplyAdd(p.Grad.Span, -0.05f, p.Value.Span, p.Value.Span);
                }
            }

            return (lp, correct, [.. trainer.Parameters.Select(p => p.Grad.Span.ToArray())], [.. trainer.Parameters.Select(p => p.Name)]);
        }
    }

    /// <summary>Rows of 7: even rows pack two examples (3 + 4 tokens), odd rows one of 5 and 2 of padding.</summary>
    private static TokenBatch Batch(int vocab, int rows, int seed)
    {
        var rng = new Random(seed);
        var b = new TokenBatch(rows, 7);
        int[][] segments = [[0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, -1, -1]];
        for (int r = 0; r < rows; r++)
        {
            var seg = segments[r % 2];
            int pos = 0;
            for (int t = 0; t < 7; t++)
            {
                int i = (r * 7) + t;
                b.SegmentIds[i] = seg[t];
                if (t > 0 && seg[t] != seg[t - 1]) pos = 0;
                b.Tokens[i] = rng.Next(vocab);
                b.Positions[i] = seg[t] == -1 ? 0 : pos++;
                bool last = seg[t] == -1 || t == 6 || seg[t + 1] != seg[t];
                b.Targets[i] = last ? TokenBatch.IgnoreTarget : rng.Next(vocab);
            }
        }

        return b;
    }
}
