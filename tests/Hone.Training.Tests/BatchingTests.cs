using Hone.Models.Train;
using Hone.Training.Batching;

namespace Hone.Training.Tests;

public class BatchingTests
{
    // ids 10..14; trained = the last three (an "assistant" reply 12, 13 and its end token 14).
    private static readonly TokenizedExample A = new([10, 11, 12, 13, 14], [false, false, true, true, true]);
    private static readonly TokenizedExample B = new([20, 21, 22], [false, true, true]);

    [Fact]
    public void Padding_targets_the_next_token_only_where_the_next_token_is_trained()
    {
        var batch = new TokenBatch(2, 6);
        SftBatcher.Pad(batch, [A, B], [0, 1], trainOnInputs: false, padId: 0);
        Assert.Equal([10, 11, 12, 13, 14, 0, 20, 21, 22, 0, 0, 0], batch.Tokens);
        Assert.Equal([-1, 12, 13, 14, -1, -1, 21, 22, -1, -1, -1, -1], batch.Targets);
        Assert.Equal([0, 1, 2, 3, 4, 0, 0, 1, 2, 0, 0, 0], batch.Positions);
        Assert.Equal([0, 0, 0, 0, 0, -1, 0, 0, 0, -1, -1, -1], batch.SegmentIds);
        Assert.Equal(3, A.TargetCount(false));
    }

    [Fact]
    public void Train_on_inputs_targets_every_next_token()
    {
        var batch = new TokenBatch(1, 5);
        SftBatcher.Pad(batch, [A], [0], trainOnInputs: true);
        Assert.Equal([11, 12, 13, 14, -1], batch.Targets);
        Assert.Equal(4, A.TargetCount(true));
    }

    [Fact]
    public void Packing_puts_examples_side_by_side_with_segments_and_restarting_positions()
    {
        var examples = new[] { A, B, B };
        var plan = SftBatcher.PlanPacking(examples, [1, 0, 2], rowLength: 8);
        Assert.Equal(2, plan.Count);
        Assert.Equal([1, 0], plan[0]);
        Assert.Equal([2], plan[1]);

        var batch = new TokenBatch(2, 8);
        SftBatcher.Pack(batch, examples, plan, trainOnInputs: false);
        Assert.Equal([20, 21, 22, 10, 11, 12, 13, 14, 20, 21, 22, 0, 0, 0, 0, 0], batch.Tokens);
        Assert.Equal([21, 22, -1, -1, 12, 13, 14, -1, 21, 22, -1, -1, -1, -1, -1, -1], batch.Targets);
        Assert.Equal([0, 1, 2, 0, 1, 2, 3, 4, 0, 1, 2, 0, 0, 0, 0, 0], batch.Positions);
        Assert.Equal([0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, -1, -1, -1, -1, -1], batch.SegmentIds);
    }

    [Fact]
    public void A_batch_is_cleared_before_reuse()
    {
        var batch = new TokenBatch(1, 5);
        SftBatcher.Pad(batch, [A], [0], false);
        SftBatcher.Pad(batch, [B], [0], false);
        Assert.Equal([20, 21, 22, 0, 0], batch.Tokens);
        Assert.Equal([21, 22, -1, -1, -1], batch.Targets);
    }

    [Fact]
    public void An_example_longer_than_a_row_is_a_typed_error_naming_it()
    {
        var e = Assert.Throws<TrainingException>(() => SftBatcher.PlanPacking([B, A], [0, 1], rowLength: 4));
        Assert.Contains("example 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("5 tokens", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mismatched_mask_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => new TokenizedExample([1, 2], [true]));
    }

    [Fact]
    public void Bigram_model_gradient_matches_finite_differences()
    {
        using var model = new BigramModel(6, 8, seed: 3);
        var batch = new TokenBatch(1, 5);
        var ex = new TokenizedExample([1, 2, 3, 4, 5], [false, true, true, true, true]);
        SftBatcher.Pad(batch, [ex], [0], false);
        var lp = new float[5];
        var ok = new bool[5];
        var coef = new float[5];
        model.Forward(batch, lp, ok);
        Objectives.SftObjective.Compute(lp, batch.Targets, ok, coef);
        model.ZeroGrad();
        model.Backward(coef);
        var w = model.Parameters[0];
        foreach (int k in new[] { (1 * 6) + 2, (2 * 6) + 3, (2 * 6) + 5 })
        {
            float orig = w.Value.Span[k];
            double Loss(float d)
            {
                w.Value.Span[k] = orig + d;
                model.Forward(batch, lp, ok);
                w.Value.Span[k] = orig;
                return Objectives.SftObjective.Compute(lp, batch.Targets, ok, new float[5]).Loss;
            }
            Assert.Equal((Loss(1e-2f) - Loss(-1e-2f)) / 2e-2, w.Grad.Span[k], 3);
        }
    }
}
