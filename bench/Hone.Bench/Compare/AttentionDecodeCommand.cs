using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Hone.Bench.Train;
using Hone.Numerics;

namespace Hone.Bench.Compare;

/// <summary>
/// <c>dotnet run -c Release --project bench/Hone.Bench -- attention-decode [--threads 1] [--context 528] [--reps 200] [--evict 1]</c>: one decode
/// token's attention over the F16 KV cache of the 134M Llama (12 layers, 12 heads of 64), layer after layer, with the
/// 62 MB a Q4_0 decode step streams for its weights read between layers (so the cache comes from memory, as in a real
/// step). Prints the attention's time per token (best and median of the repetitions) and its KV read rate.
/// </summary>
internal static class AttentionDecodeCommand
{
    public static unsafe int Run(string[] args)
    {
        var map = BenchMachine.ParseOptions("attention-decode", args, ["threads", "context", "reps", "evict"]);
        int Int(string name, int fallback) => map.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        int threads = Int("threads", 1), context = Int("context", 528), reps = Int("reps", 200), evict = Int("evict", 1);

        const int Layers = 12, Heads = 12, HeadDim = 64;
        int capacity = context + 16;
        long perLayer = (long)Heads * capacity * HeadDim;
        var rng = new Random(3);
        using var pool = new WorkerPool(threads);
        var kv = new NativeBytes(2 * Layers * perLayer * sizeof(ushort));
        long kvOffset = kv.Carve(checked((int)(2 * Layers * perLayer * sizeof(ushort))));
        Span<Half> all = MemoryMarshal.Cast<byte, Half>(kv.Slice(kvOffset, checked((int)(2 * Layers * perLayer * sizeof(ushort)))));
        for (int i = 0; i < all.Length; i++) all[i] = (Half)((rng.NextSingle() - 0.5f) * 2);
        var weights = new NativeBytes(62L << 20);
        long wOffset = weights.Carve(62 << 20);
        float[] q = [.. Enumerable.Range(0, Heads * HeadDim).Select(_ => rng.NextSingle() - 0.5f)];
        float[] probs = new float[Heads * (context + 1)], output = new float[Heads * HeadDim];
        float scale = 1f / MathF.Sqrt(HeadDim);
        var times = new List<double>();
        double sink = 0;
        for (int r = 0; r < reps + 3; r++)
        {
            double spent = 0;
            for (int l = 0; l < Layers; l++)
            {
                // The weights' stream between layers evicts the cache, as in a decode step.
                if (evict != 0) sink += System.Numerics.Tensors.TensorPrimitives.Sum(MemoryMarshal.Cast<byte, float>(weights.Slice(wOffset + ((long)l * (62 << 20) / Layers), (62 << 20) / Layers)));
                var k = all.Slice((int)(2 * l * perLayer), (int)perLayer);
                var v = all.Slice((int)((2 * l + 1) * perLayer), (int)perLayer);
                long t0 = Stopwatch.GetTimestamp();
                AttentionHalf.Forward(q, k, v, default, probs, output, 1, context, Heads, Heads, HeadDim, capacity, scale, pool);
                spent += Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }

            if (r >= 3) times.Add(spent);
        }

        GC.KeepAlive(kv); // the spans above point into these native blocks
        GC.KeepAlive(weights);
        double bytes = 2.0 * Layers * Heads * (context + 1) * HeadDim * sizeof(ushort);
        double best = times.Min(), median = CompareCommand.Median(times);
        Console.WriteLine(FormattableString.Invariant(
            $"attention-decode {threads}t, {context} positions: {best * 1e3:F3} ms/token best, {median * 1e3:F3} median; KV {bytes / 1e6:F1} MB at {bytes / best / 1e9:F1} GB/s best (load {BenchMachine.Load()}) {(sink == 1 ? "" : "")}"));
        return 0;
    }
}
