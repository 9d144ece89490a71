using System.Diagnostics;
using Hone.Models.Llama;
using Hone.Numerics;

namespace Hone.Bench.Train;

/// <summary>One GEMM of the training step at its real shape: what it is, how many a step runs, its best GFLOP/s.</summary>
internal sealed record GemmTiming(string Op, int M, int K, int N, int PerStep, double Gflops, double GflopsPerCpuSecond, double SecondsPerStep);

/// <summary>
/// The matrix products of one full-SFT step of a shape, timed in isolation through the same calls the trainer makes
/// (forward y = x·Wᵀ; backward dx = dy·W; dW += (dyᵀ)·x after a transpose), so that their sum can be set beside the
/// measured step: the rest is attention, norms, activations, the loss and the optimizer.
/// </summary>
internal static class TrainGemmProfile
{
    public static List<GemmTiming> Run(LlamaConfig c, int seq, int threads, int reps = 3)
    {
        using var pool = new WorkerPool(threads);
        var list = new List<GemmTiming>();
        var linear = new List<(string Name, int Out, int In, int Count)>
        {
            ("q/o", c.QDim == c.Dim ? c.Dim : c.QDim, c.Dim, 2 * c.Layers),
            ("k/v", c.KvDim, c.Dim, 2 * c.Layers),
            ("gate/up", c.HiddenDim, c.Dim, 2 * c.Layers),
            ("down", c.Dim, c.HiddenDim, c.Layers),
            ("classifier", c.VocabSize, c.Dim, 1),
        };
        foreach (var (name, outs, ins, count) in linear)
        {
            var rng = new Random(3);
            float[] x = Fill(rng, (long)seq * ins), w = Fill(rng, (long)outs * ins), dy = Fill(rng, (long)seq * outs);
            float[] y = new float[(long)seq * outs], dx = new float[(long)seq * ins], dw = new float[(long)outs * ins], t = new float[(long)seq * outs];
            double flop = 2.0 * seq * ins * outs;
            int m = seq;
            var (f, fc) = Best(() => MatMul.XWt(x, w, default, y, m, ins, outs, pool), reps);
            var (d, dc) = Best(() => MatMul.XW(dy, w, default, dx, m, outs, ins, pool), reps);
            var (tr, _) = Best(() => MatMulBackward.Transpose(dy, t, m, outs), reps);
            var (g, gc) = Best(() => MatMul.XWAdd(t, x, default, dw, outs, m, ins, pool), reps);
            int fwdCount = name == "classifier" && seq > (8 << 20) / c.VocabSize ? 2 * count : count; // recomputed logits
            list.Add(new GemmTiming($"{name} forward x·Wᵀ", m, ins, outs, fwdCount, flop / f / 1e9, flop / fc / 1e9, f * fwdCount));
            list.Add(new GemmTiming($"{name} dx = dy·W", m, outs, ins, count, flop / d / 1e9, flop / dc / 1e9, d * count));
            list.Add(new GemmTiming($"{name} transpose dy", m, outs, 0, count, 0, 0, tr * count));
            list.Add(new GemmTiming($"{name} dW += dyᵀ·x", outs, m, ins, count, flop / g / 1e9, flop / gc / 1e9, g * count));
        }

        return list;
    }

    private static float[] Fill(Random rng, long n)
    {
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = (float)rng.NextDouble() - 0.5f;
        return a;
    }

    /// <summary>Best wall seconds and best process CPU-seconds over the repetitions.</summary>
    private static (double Wall, double Cpu) Best(Action a, int reps)
    {
        a();
        double best = double.MaxValue, bestCpu = double.MaxValue;
        for (int i = 0; i < reps; i++)
        {
            double c0 = CpuTime.Process();
            long t0 = Stopwatch.GetTimestamp();
            a();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
            bestCpu = Math.Min(bestCpu, CpuTime.Process() - c0);
        }

        return (best, bestCpu);
    }
}
