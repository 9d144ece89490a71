using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Hone.Formats.Gguf;
using Hone.Numerics;

namespace Hone.Bench.Compare;

/// <summary>
/// <c>dotnet run -c Release --project bench/Hone.Bench -- stored-kernels [--threads 1,2] [--reps N] [--types f32,bf16,q8_0,q4_0,q4_k]</c>: the stored-type
/// kernels alone on the 134M Llama's matrices (768→2048, 2048→768, the 32000×768 classifier): decode (one row of x)
/// as GB/s of weights read, and a 512-row prompt block as GFLOP/s, for f32, bf16, q8_0, q4_0 and q4_k (and q8_0s, q4_0s,
/// q4_ks: their split layouts, <see cref="StoredSplit"/>, <see cref="StoredQ4KSplit"/>; q8_0x, q4_0x, q4_kx: interleaved by 16
/// rows, <see cref="StoredQ8x16"/>, <see cref="StoredQ4x16"/>, <see cref="StoredQ4Kx16"/>). Decode is timed twice:
/// on one matrix read again and again (it stays in the cache: the kernel's own rate) and cycling through copies of it
/// that together exceed the last-level cache ("from memory": as a model's decode step reads its weights, where the
/// hardware prefetchers decide the rate). Best of <c>--reps</c> runs, which stays meaningful on a loaded machine (a
/// short run that was not preempted).
/// </summary>
internal static class StoredKernelsCommand
{
    public static int Run(string[] args)
    {
        int[] threads = [1, 2];
        int reps = 200;
        string[] types = ["f32", "bf16", "q8_0", "q4_0", "q4_k", "q8_0s", "q8_0x", "q4_0s", "q4_0x", "q4_ks", "q4_kx"];
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--threads") threads = [.. args[i + 1].Split(',').Select(int.Parse)];
            else if (args[i] == "--reps") reps = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            else if (args[i] == "--types") types = args[i + 1].Split(',');
            else throw new ArgumentException($"stored-kernels: unknown option {args[i]} (known: --threads, --reps, --types)");
        }

        Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
        var rng = new Random(5);
        foreach (var (k, n) in new[] { (768, 2048), (2048, 768), (768, 32000) })
        {
            float[] w = [.. Enumerable.Range(0, n * k).Select(_ => (rng.NextSingle() - 0.5f) * 0.1f)];
            float[] x1 = [.. Enumerable.Range(0, k).Select(_ => rng.NextSingle() - 0.5f)];
            float[] xm = [.. Enumerable.Range(0, 512 * k).Select(_ => rng.NextSingle() - 0.5f)];
            float[] y = new float[512 * n];
            foreach (var name in types)
            {
                // q8_0s, q4_0s: the same blocks repacked to the split layout the loader uses where it pays.
                // q4_0x: the Q4_0 blocks interleaved by 16 rows (StoredQ4x16), the loader's layout where it runs.
                string ggml = name == "q4_0x" ? "q4_0" : name == "q4_kx" ? "q4_k" : name == "q8_0x" ? "q8_0" : name.TrimEnd('s');
                byte[] stored = name == "f32" ? [] : GgufQuantize.FromF32(Enum.Parse<GgmlType>(ggml.ToUpperInvariant()), w);
                var type = name == "f32" ? default : Enum.Parse<StoredType>(ggml.ToUpperInvariant());
                if (name == "q4_0x")
                {
                    var interleaved = new byte[stored.Length];
                    StoredQ4x16.Interleave(stored, k, interleaved);
                    (type, stored) = (StoredType.Q4_0x16, interleaved);
                }
                else if (name == "q8_0x")
                {
                    var interleaved = new byte[stored.Length];
                    StoredQ8x16.Interleave(stored, k, interleaved);
                    (type, stored) = (StoredType.Q8_0x16, interleaved);
                }
                else if (name == "q4_kx")
                {
                    var interleaved = new byte[StoredQ4KSplit.Repack(stored, k).Length];
                    StoredQ4Kx16.Interleave(StoredQ4KSplit.Repack(stored, k), k, interleaved);
                    (type, stored) = (StoredType.Q4_Kx16, interleaved);
                }
                else if (name == "q4_ks")
                {
                    (type, stored) = (StoredType.Q4_KSplit, StoredQ4KSplit.Repack(stored, k));
                }
                else if (name.EndsWith('s'))
                {
                    type = StoredSplit.Repack(type, stored, k);
                }

                long bytes = name == "f32" ? 4L * n * k : stored.Length;
                foreach (int t in threads)
                {
                    using var pool = new WorkerPool(t);
                    void Mul(float[] x, int m)
                    {
                        if (name == "f32") MatMul.XWt(x, w, default, y, m, k, n, pool);
                        else StoredMatMul.XWt(x, stored, type, default, y, m, k, n, pool);
                    }

                    double decode = Best(() => Mul(x1, 1), reps);
                    double memory = FromMemory(name, stored, w, x1, y, type, k, n, bytes, pool, Math.Max(3, reps / 10));
                    double prompt = n > 4096 ? double.NaN : Best(() => Mul(xm, 512), Math.Max(3, reps / 50));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{k}x{n} {name,-5} {t}t: decode {decode * 1e6,8:F1} us = {bytes / decode / 1e9,5:F1} GB/s, from memory {bytes / memory / 1e9,5:F1} GB/s   prompt-512 {2.0 * 512 * k * n / prompt / 1e9,6:F1} GFLOP/s"));
                }
            }
        }

        return 0;
    }

    /// <summary>Seconds per decode call, cycling through copies of the weights that together hold at least
    /// <see cref="ColdBytes"/> (each call finds its matrix out of the cache). The copies lie in one <see cref="NativeBytes"/>
    /// block, on 2 MiB pages where Linux offers them, as a loaded model holds its weights (GC arrays on 4 KiB pages read
    /// slower).</summary>
    private static double FromMemory(
        string name, byte[] stored, float[] w, float[] x, float[] y, StoredType type, int k, int n, long bytes, WorkerPool pool, int reps)
    {
        int copies = (int)Math.Max(2, (ColdBytes + bytes - 1) / bytes);
        ReadOnlySpan<byte> source = name == "f32" ? MemoryMarshal.AsBytes(w.AsSpan()) : stored;
        int length = source.Length;
        var block = new NativeBytes(NativeBytes.BytesFor(Enumerable.Repeat((long)length, copies)));
        var offsets = new long[copies];
        for (int c = 0; c < copies; c++)
        {
            offsets[c] = block.Carve(length);
            source.CopyTo(block.Slice(offsets[c], length));
        }

        double seconds = Best(
            () =>
            {
                for (int c = 0; c < copies; c++)
                {
                    var copy = block.Slice(offsets[c], length);
                    if (name == "f32") MatMul.XWt(x, MemoryMarshal.Cast<byte, float>(copy), default, y, 1, k, n, pool);
                    else StoredMatMul.XWt(x, copy, type, default, y, 1, k, n, pool);
                }
            },
            reps) / copies;
        GC.KeepAlive(block);
        return seconds;
    }

    /// <summary>Bytes of weight copies for the from-memory decode: twice a 32 MiB last-level cache.</summary>
    private const long ColdBytes = 64L << 20;

    /// <summary>Best of reps timed calls after a quarter second of untimed ones: a short kernel call would otherwise be
    /// timed before the tiered JIT has optimised the code around it (it promotes methods after a delay, not a count).</summary>
    private static double Best(Action a, int reps)
    {
        long warm = Stopwatch.GetTimestamp();
        do
        {
            a();
        }
        while (Stopwatch.GetElapsedTime(warm).TotalSeconds < 0.25);

        double best = double.MaxValue;
        for (int i = 0; i < reps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            a();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }

        return best;
    }
}
