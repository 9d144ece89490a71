using BenchmarkDotNet.Attributes;
using Hone.Numerics;
using Hone.Numerics.Benchmarks;

namespace Hone.Bench;

/// <summary>
/// Matmul (y = x·Wᵀ, the Hugging Face layout) on transformer shapes: the fast kernel on 1 and 2 threads and the naive
/// twin on the first <see cref="MatmulBenchmark.NaiveRows"/> rows (its cost is linear in rows; scale by M / 16 to
/// compare). GFLOP/s = 2·M·K·N / time. The quick self-timing table is <see cref="MatmulBenchmark.Run"/>.
/// </summary>
[MemoryDiagnoser]
public class MatmulBench : IDisposable
{
    private float[] _x = [];
    private float[] _w = [];
    private float[] _y = [];
    private WorkerPool? _two;
    private MatMulWorkspace? _workspace;

    /// <summary>"M×K×N".</summary>
    [Params("256x768x3072", "256x768x768", "1x4096x4096")]
    public string Shape { get; set; } = "256x768x768";

    private int M { get; set; }

    private int K { get; set; }

    private int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int[] dims = Shape.Split('x').Select(d => int.Parse(d, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        (M, K, N) = (dims[0], dims[1], dims[2]);
        var rng = new Random(42);
        _x = Enumerable.Range(0, M * K).Select(_ => rng.NextSingle() - 0.5f).ToArray();
        _w = Enumerable.Range(0, K * N).Select(_ => rng.NextSingle() - 0.5f).ToArray();
        _y = new float[M * N];
        _two = new WorkerPool(2);
        _workspace = new MatMulWorkspace(2);
    }

    [Benchmark(Baseline = true)]
    public void Naive16Rows()
    {
        int rows = Math.Min(M, MatmulBenchmark.NaiveRows);
        MatMulNaive.XWt(_x.AsSpan(0, rows * K), _w, default, _y.AsSpan(0, rows * N), rows, K, N);
    }

    [Benchmark]
    public void Fast1Thread() => MatMul.XWt(_x, _w, default, _y, M, K, N, WorkerPool.Single, _workspace);

    [Benchmark]
    public void Fast2Threads() => MatMul.XWt(_x, _w, default, _y, M, K, N, _two, _workspace);

    [GlobalCleanup]
    public void Dispose()
    {
        _two?.Dispose();
        _workspace?.Dispose();
        GC.SuppressFinalize(this);
    }
}
