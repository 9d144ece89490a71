using Hone.Numerics;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Bench.Compare;

/// <summary>The machine's measured ceilings: fused multiply-add peak (independent FMA chains in registers) and memory
/// read bandwidth (the fastest of three readers over a buffer far larger than the caches), on a given number of threads.</summary>
internal static class MachineLimits
{
    /// <summary>GFLOP/s of <paramref name="threads"/> threads each running 12 independent FMA chains (2 FLOPs per lane), best of 3.</summary>
    public static double FmaPeakGflops(int threads, int iterations = 20_000_000)
    {
        double best = 0;
        for (int rep = 0; rep < 3; rep++)
        {
            var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => Chains(iterations));
            double seconds = sw.Elapsed.TotalSeconds;
            int lanes = Vector512.IsHardwareAccelerated ? 16 : 8;
            best = Math.Max(best, threads * (double)iterations * 12 * lanes * 2 / seconds / 1e9);
        }

        return best;
    }

    private static float Chains(int iterations)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(0.999999f);
            var a = Vector512.Create(1e-7f);
            Vector512<float> c0 = m, c1 = m, c2 = m, c3 = m, c4 = m, c5 = m, c6 = m, c7 = m, c8 = m, c9 = m, c10 = m, c11 = m;
            for (int i = 0; i < iterations; i++)
            {
                c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a); c2 = Vector512.FusedMultiplyAdd(c2, m, a);
                c3 = Vector512.FusedMultiplyAdd(c3, m, a); c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
                c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a); c8 = Vector512.FusedMultiplyAdd(c8, m, a);
                c9 = Vector512.FusedMultiplyAdd(c9, m, a); c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
            }

            return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
        }

        var m2 = Vector256.Create(0.999999f);
        var a2 = Vector256.Create(1e-7f);
        Vector256<float> d0 = m2, d1 = m2, d2 = m2, d3 = m2, d4 = m2, d5 = m2, d6 = m2, d7 = m2, d8 = m2, d9 = m2, d10 = m2, d11 = m2;
        for (int i = 0; i < iterations; i++)
        {
            d0 = Vector256.FusedMultiplyAdd(d0, m2, a2); d1 = Vector256.FusedMultiplyAdd(d1, m2, a2); d2 = Vector256.FusedMultiplyAdd(d2, m2, a2);
            d3 = Vector256.FusedMultiplyAdd(d3, m2, a2); d4 = Vector256.FusedMultiplyAdd(d4, m2, a2); d5 = Vector256.FusedMultiplyAdd(d5, m2, a2);
            d6 = Vector256.FusedMultiplyAdd(d6, m2, a2); d7 = Vector256.FusedMultiplyAdd(d7, m2, a2); d8 = Vector256.FusedMultiplyAdd(d8, m2, a2);
            d9 = Vector256.FusedMultiplyAdd(d9, m2, a2); d10 = Vector256.FusedMultiplyAdd(d10, m2, a2); d11 = Vector256.FusedMultiplyAdd(d11, m2, a2);
        }

        return Vector256.Sum(d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7 + d8 + d9 + d10 + d11);
    }

    /// <summary>
    /// GB/s reading an arena buffer of <paramref name="megabytes"/> MB split across <paramref name="threads"/> threads: the best
    /// of 5 runs each of three readers (TensorPrimitives.Sum; four 512-bit accumulators; the same with a software
    /// prefetch 4 KB ahead), so the ceiling is the fastest read this machine was seen to do, not one loop's rate.
    /// </summary>
    public static unsafe double ReadBandwidthGBs(int threads, int megabytes = 256)
    {
        // In an arena, as the model's weights are: 2 MiB-aligned and advised for transparent huge pages, so the reads pay
        // the same TLB cost as a decode step's (a GC array on 4 KB pages read 25-45% slower here).
        using var arena = new Arena(megabytes * (1L << 20) / 4);
        var buffer = arena.Allocate("read", megabytes * (1 << 20) / 4);
        buffer.Span.Fill(1f);
        double best = 0;
        int per = buffer.Length / threads;
        for (int reader = 0; reader < 3; reader++)
        {
            for (int rep = 0; rep < 5; rep++)
            {
                var sw = Stopwatch.StartNew();
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    fixed (float* p = buffer.Span.Slice(t * per, per))
                    {
                        _ = reader == 0 ? TensorPrimitives.Sum(new ReadOnlySpan<float>(p, per)) : Read(p, per, prefetch: reader == 2);
                    }
                });
                best = Math.Max(best, (double)per * threads * 4 / sw.Elapsed.TotalSeconds / 1e9);
            }
        }

        return best;
    }

    private static unsafe float Read(float* s, int n, bool prefetch)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return TensorPrimitives.Sum(new ReadOnlySpan<float>(s, n));
        }

        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 64 <= n; i += 64)
        {
            if (prefetch && Sse.IsSupported)
            {
                Sse.Prefetch0(s + i + 1024);
            }

            a0 += Vector512.Load(s + i);
            a1 += Vector512.Load(s + i + 16);
            a2 += Vector512.Load(s + i + 32);
            a3 += Vector512.Load(s + i + 48);
        }

        return Vector512.Sum(a0 + a1 + a2 + a3) + TensorPrimitives.Sum(new ReadOnlySpan<float>(s + i, n - i));
    }
}
