using Hone.Models.Train;
using Hone.Numerics;
using Hone.Training.Optim;

namespace Hone.Training.Tests;

public class OptimTests
{
    [Fact]
    public void AdamW_matches_the_textbook_update_with_bias_correction_and_decoupled_decay()
    {
        using var arena = new Arena(64);
        var p = arena.Allocate("p", 3);
        var g = arena.Allocate("g", 3);
        var q = arena.Allocate("q", 1);
        var gq = arena.Allocate("gq", 1);
        float[] p0 = [0.5f, -1f, 2f];
        p0.CopyTo(p.Span);
        q.Span[0] = 3f;
        var opt = new AdamW([new TrainableParameter("p", p, g, true), new TrainableParameter("q", q, gq, false)], new AdamWSettings(WeightDecay: 0.1));
        double[] rp = [.. p0.Select(x => (double)x)], m = new double[3], v = new double[3];
        double rq = 3, mq = 0, vq = 0;
        float[][] grads = [[0.1f, -0.2f, 0.3f], [0.05f, 0.4f, -0.1f], [-0.3f, 0.1f, 0.2f]];
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
        for (int t = 1; t <= 3; t++)
        {
            grads[t - 1].CopyTo(g.Span);
            gq.Span[0] = 0.5f;
            opt.Step(lr);
            for (int j = 0; j < 3; j++)
            {
                rp[j] -= lr * wd * rp[j];
                m[j] = (b1 * m[j]) + ((1 - b1) * grads[t - 1][j]);
                v[j] = (b2 * v[j]) + ((1 - b2) * grads[t - 1][j] * grads[t - 1][j]);
                rp[j] -= lr * (m[j] / (1 - Math.Pow(b1, t))) / (Math.Sqrt(v[j] / (1 - Math.Pow(b2, t))) + eps);
            }
            mq = (b1 * mq) + ((1 - b1) * 0.5);
            vq = (b2 * vq) + ((1 - b2) * 0.25);
            rq -= lr * (mq / (1 - Math.Pow(b1, t))) / (Math.Sqrt(vq / (1 - Math.Pow(b2, t))) + eps); // no decay
        }
        for (int j = 0; j < 3; j++) Assert.Equal(rp[j], p.Span[j], 5);
        Assert.Equal(rq, q.Span[0], 5);
        Assert.Equal(3, opt.StepCount);
    }

    [Fact]
    public void A_step_spread_over_a_worker_pool_gives_the_same_bits_as_one_thread()
    {
        // Lengths across the slice boundary (AdamW.SliceFloats) and a short one; three steps with decay on one tensor.
        int[] lengths = [(2 * AdamW.SliceFloats) + 37, 5, AdamW.SliceFloats];
        var rng = new Random(5);
        (AdamW Opt, TrainableParameter[] Ps, Arena Arena) Make(WorkerPool? pool)
        {
            var arena = new Arena(4 * lengths.Sum(l => (long)l + 64));
            var ps = lengths.Select((l, i) => new TrainableParameter($"p{i}", arena.Allocate($"p{i}", l), arena.Allocate($"g{i}", l), i != 1)).ToArray();
            return (new AdamW(ps, new AdamWSettings(WeightDecay: 0.1), pool: pool), ps, arena);
        }

        using var pool = new WorkerPool(3);
        var (serial, ps1, a1) = Make(null);
        var (parallel, ps2, a2) = Make(pool);
        using (a1)
        using (a2)
        {
            for (int i = 0; i < lengths.Length; i++)
            {
                for (int j = 0; j < lengths[i]; j++) ps1[i].Value.Span[j] = ps2[i].Value.Span[j] = (float)rng.NextDouble() - 0.5f;
            }

            for (int t = 0; t < 3; t++)
            {
                for (int i = 0; i < lengths.Length; i++)
                {
                    for (int j = 0; j < lengths[i]; j++) ps1[i].Grad.Span[j] = ps2[i].Grad.Span[j] = (float)rng.NextDouble() - 0.5f;
                }

                serial.Step(1e-2);
                parallel.Step(1e-2);
            }

            for (int i = 0; i < lengths.Length; i++)
            {
                Assert.Equal(ps1[i].Value.Span.ToArray(), ps2[i].Value.Span.ToArray());
                Assert.Equal(serial.SecondMoment(i).ToArray(), parallel.SecondMoment(i).ToArray());
            }

            Assert.NotEqual(0f, ps1[0].Value.Span[(2 * AdamW.SliceFloats) + 36]);
        }
    }

    [Fact]
    public void The_optimiser_step_and_clipping_allocate_nothing_and_the_moments_live_in_the_given_arena()
    {
        using var arena = new Arena(1024);
        var p = arena.Allocate("p", 37);
        var g = arena.Allocate("g", 37);
        var q = arena.Allocate("q", 5);
        var gq = arena.Allocate("gq", 5);
        TrainableParameter[] ps = [new("p", p, g, true), new("q", q, gq, false)];
        long before = arena.UsedFloats;
        var opt = new AdamW(ps, new AdamWSettings(WeightDecay: 0.1), arena);
        Assert.Equal(AdamW.FloatsFor(ps), arena.UsedFloats - before);
        Assert.Equal(37, arena["adam_m.p"].Length);
        Assert.Equal(5, arena["adam_v.q"].Length);
        g.Span.Fill(3f);
        gq.Span.Fill(-2f);
        void Step()
        {
            GradientClipping.ClipByGlobalNorm(ps, 1.0);
            opt.Step(1e-3);
        }
        Step();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - allocated);
        Assert.Equal(opt.FirstMoment(0).ToArray(), arena["adam_m.p"].Span.ToArray());
    }

    [Fact]
    public void Clipping_scales_to_the_max_global_norm_and_reports_the_norm_before()
    {
        using var arena = new Arena(64);
        var a = arena.Allocate("a", 2);
        var ga = arena.Allocate("ga", 2);
        var gb = arena.Allocate("gb", 1);
        ga.Span[0] = 3; ga.Span[1] = 0; gb.Span[0] = 4;
        TrainableParameter[] ps = [new("a", a, ga, true), new("b", a, gb, true)];
        Assert.Equal(5, GradientClipping.ClipByGlobalNorm(ps, 1.0), 6);
        Assert.Equal(1.0, GradientClipping.GlobalNorm(ps), 5);
        Assert.Equal(0.6f, ga.Span[0], 5);
        Assert.Equal(0.8f, gb.Span[0], 5);
        Assert.Equal(1.0, GradientClipping.ClipByGlobalNorm(ps, 2.0), 5); // under the limit: untouched
        Assert.Equal(0.6f, ga.Span[0], 5);
    }

    [Fact]
    public void Schedule_warms_up_linearly_then_decays_by_cosine_or_linearly()
    {
        var cos = new LearningRateSchedule(1.0, TotalSteps: 12, WarmupSteps: 2);
        Assert.Equal(0.5, cos.RateAt(1), 12);
        Assert.Equal(1.0, cos.RateAt(2), 12);
        Assert.Equal(1.0, cos.RateAt(3), 12); // progress 0
        Assert.Equal(0.5 * (1 + Math.Cos(Math.PI * 5 / 10)), cos.RateAt(8), 12);
        Assert.True(cos.RateAt(12) > 0);
        var lin = new LearningRateSchedule(2.0, TotalSteps: 10, WarmupSteps: 0, Decay: DecayKind.Linear, FloorRatio: 0.1);
        Assert.Equal(2.0 * (0.1 + (0.9 * (1 - 0.4))), lin.RateAt(5), 12);
        Assert.Equal(2.0, new LearningRateSchedule(2.0, 10, 0, DecayKind.Constant).RateAt(9));
    }

    [Fact]
    public void Random_is_seeded_restorable_and_shuffles_to_a_permutation()
    {
        var a = new TrainingRandom(7);
        var b = new TrainingRandom(7);
        Assert.Equal(a.NextUInt64(), b.NextUInt64());
        var state = a.GetState();
        var x = a.NextUInt64();
        var c = new TrainingRandom(99);
        c.SetState(state);
        Assert.Equal(x, c.NextUInt64());
        Assert.NotEqual(new TrainingRandom(8).NextUInt64(), new TrainingRandom(7).NextUInt64());
        var perm = Enumerable.Range(0, 50).ToArray();
        a.Shuffle(perm);
        Assert.Equal(Enumerable.Range(0, 50), perm.Order());
        Assert.NotEqual(Enumerable.Range(0, 50), perm);
        Assert.Throws<TrainingException>(() => c.SetState([0, 0, 0, 0]));
    }
}
