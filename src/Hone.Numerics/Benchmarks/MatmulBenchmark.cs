using System.Diagnostics;
using System.Globalization;

namespace Hone.Numerics.Benchmarks;

/// <summary>One measured case of <see cref="MatmulBenchmark"/>.</summary>
/// <param name="M">Rows of x.</param>
/// <param name="K">Inner size.</param>
/// <param name="N">Output features.</param>
/// <param name="Layout">"x·Wᵀ" (W [N,K]), "x·W" (W [K,N]) or "packed" (W packed once beforehand with
/// <see cref="PackedMatMul"/>; its naive figure is the x·Wᵀ twin's).</param>
/// <param name="Threads">Workers used by the fast kernel (the naive twin is single-threaded).</param>
/// <param name="FastGflops">Best GFLOP/s of <see cref="MatMul"/> over the repetitions.</param>
/// <param name="FastCpuGflops">GFLOP per CPU-second of the fast kernel, times <paramref name="Threads"/>: what it
/// reaches when its threads are not descheduled (steadier than wall time on a loaded machine).</param>
/// <param name="NaiveGflops">GFLOP per CPU-second of <see cref="MatMulNaive"/> in the same run.</param>
public sealed record MatmulBenchmarkResult(int M, int K, int N, string Layout, int Threads, double FastGflops, double FastCpuGflops, double NaiveGflops)
{
    /// <summary>Fast (per CPU-second, per thread) over naive: the kernel's own gain, independent of machine load.</summary>
    public double Speedup => FastCpuGflops / Threads / NaiveGflops;
}

/// <summary>
/// A quick self-timing matmul benchmark (the CLI's <c>hone bench matmul</c>): GFLOP/s on transformer shapes, 1 and 2
/// threads, beside the naive twin measured in the same run. "GFLOP/s" is the best wall time of one call; "cpu" counts
/// work per CPU-second of the process (times the thread count), which a loaded machine disturbs less; the speedup is
/// per thread and per CPU-second against the naive twin.
/// </summary>
public static class MatmulBenchmark
{
    /// <summary>The shapes measured: (M, K, N).</summary>
    public static IReadOnlyList<(int M, int K, int N)> Shapes { get; } = [(256, 768, 3072), (256, 768, 768), (1, 4096, 4096)];

    /// <summary>Rows the naive twin is timed on (its cost is linear in rows, so its GFLOP/s is representative).</summary>
    public const int NaiveRows = 16;

    /// <summary>Measures every shape in both weight layouts (and pre-packed) on 1..<paramref name="maxThreads"/> threads and writes a
    /// table to <paramref name="output"/>.</summary>
    /// <param name="output">Where the table goes.</param>
    /// <param name="maxThreads">Largest thread count measured (1 and this one).</param>
    /// <param name="secondsPerCase">CPU time spent repeating each fast case.</param>
    public static IReadOnlyList<MatmulBenchmarkResult> Run(TextWriter output, int maxThreads = 2, double secondsPerCase = 0.5)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxThreads);
        var results = new List<MatmulBenchmarkResult>();
        int[] threadCounts = maxThreads == 1 ? [1] : [1, maxThreads];
        var rng = new Random(1234);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"shape",-20} {"layout",-6} {"threads",7} {"GFLOP/s",9} {"cpu",8} {"naive",8} {"speedup",8}"));
        foreach ((int m, int k, int n) in Shapes)
        {
            float[] x = Random(rng, m * k), w = Random(rng, k * n), y = new float[m * n];

            // The weights the fast cases read live where a model's do: in an arena (huge pages where the OS has them).
            using var arena = new Arena(Arena.FloatsFor((long)k * n, PackedMatMul.PackedLength(k, n)));
            Tensor weights = arena.Allocate("w", k * n), packed = arena.Allocate("packed", (int)PackedMatMul.PackedLength(k, n));
            w.CopyTo(weights.Span);
            PackedMatMul.PackWt(w, packed.Span, k, n);
            double naiveWt = 0;
            foreach (string layout in new[] { "x·Wᵀ", "x·W", "packed" })
            {
                bool transposed = layout != "x·W";
                double naive = layout == "packed" ? naiveWt : MeasureNaive(x, w, y, m, k, n, transposed);
                naiveWt = transposed ? naive : naiveWt;
                foreach (int threads in threadCounts)
                {
                    using var pool = new WorkerPool(threads);
                    using var workspace = new MatMulWorkspace(threads);
                    (double seconds, double cpuSeconds) = Best(secondsPerCase, () =>
                    {
                        if (layout == "packed")
                        {
                            PackedMatMul.Multiply(x, packed.Span, default, y, m, k, n, pool, workspace);
                        }
                        else if (transposed)
                        {
                            MatMul.XWt(x, weights.Span, default, y, m, k, n, pool, workspace);
                        }
                        else
                        {
                            MatMul.XW(x, weights.Span, default, y, m, k, n, pool, workspace);
                        }
                    });
                    var result = new MatmulBenchmarkResult(
                        m, k, n, layout, threads, Flops(m, k, n) / seconds / 1e9, Flops(m, k, n) / cpuSeconds * threads / 1e9, naive);
                    results.Add(result);
                    output.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"{$"{m}×{k}·{k}×{n}",-20} {layout,-6} {threads,7} {result.FastGflops,9:F1} {result.FastCpuGflops,8:F1} {naive,8:F2} {result.Speedup,7:F1}×"));
                }
            }
        }

        return results;
    }

    private static double MeasureNaive(float[] x, float[] w, float[] y, int m, int k, int n, bool transposed)
    {
        int rows = Math.Min(m, NaiveRows);
        (_, double cpuSeconds) = Best(0.1, () =>
        {
            if (transposed)
            {
                MatMulNaive.XWt(x.AsSpan(0, rows * k), w, default, y.AsSpan(0, rows * n), rows, k, n);
            }
            else
            {
                MatMulNaive.XW(x.AsSpan(0, rows * k), w, default, y.AsSpan(0, rows * n), rows, k, n);
            }
        });
        return Flops(rows, k, n) / cpuSeconds / 1e9;
    }

    private static double Flops(int m, int k, int n) => 2.0 * m * k * n;

    /// <summary>One warm-up call, then repetitions until <paramref name="cpuBudgetSeconds"/> of CPU time are used
    /// (at least 2): the best wall time of one call, and the mean process CPU time per call.</summary>
    private static (double BestWall, double CpuPerCall) Best(double cpuBudgetSeconds, Action action)
    {
        action();
        double best = double.MaxValue;
        double cpuStart = CpuClock.ProcessSeconds();
        int calls = 0;
        while (calls < 2 || CpuClock.ProcessSeconds() - cpuStart < cpuBudgetSeconds)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            calls++;
        }

        return (best, (CpuClock.ProcessSeconds() - cpuStart) / calls);
    }

    private static float[] Random(Random rng, int count)
    {
        var a = new float[count];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)(rng.NextDouble() - 0.5);
        }

        return a;
    }
}
