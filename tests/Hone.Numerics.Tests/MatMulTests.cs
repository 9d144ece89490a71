namespace Hone.Numerics.Tests;

public class MatMulTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 17, 5 }, { 1, 100, 67 }, { 2, 33, 130 }, { 3, 48, 16 },
        { 4, 31, 64 }, { 5, 129, 63 }, { 7, 257, 65 }, { 13, 130, 200 }, { 50, 300, 131 }, { 97, 17, 3 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void XWt_matches_naive_twin_at_every_simd_level(int m, int k, int n) => CheckAllLevels(m, k, n, transposed: true);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void XW_matches_naive_twin_at_every_simd_level(int m, int k, int n) => CheckAllLevels(m, k, n, transposed: false);

    [Theory]
    [InlineData(1, 300, 257, true)]
    [InlineData(1, 300, 600, false)]
    [InlineData(61, 200, 333, true)]
    [InlineData(61, 200, 333, false)]
    [InlineData(100, 260, 70, true)]
    public void Results_are_bit_identical_whatever_the_thread_count(int m, int k, int n, bool transposed)
    {
        var rng = new Random(m * 7 + n);
        float[] x = Rand.Floats(rng, m * k), w = Rand.Floats(rng, n * k), bias = Rand.Floats(rng, n);
        float[] reference = Run(x, w, bias, m, k, n, transposed, null);
        foreach (int threads in new[] { 2, 3 })
        {
            using var pool = new WorkerPool(threads);
            using var ws = new MatMulWorkspace();
            float[] y = Run(x, w, bias, m, k, n, transposed, pool, ws);
            Assert.Equal(reference, y);
        }
    }

    [Fact]
    public void Preallocated_workspace_serves_any_product()
    {
        using var ws = new MatMulWorkspace(1);
        var rng = new Random(3);
        float[] x = Rand.Floats(rng, 10 * 64), w = Rand.Floats(rng, 64 * 64);
        float[] expected = new float[10 * 64];
        MatMulNaive.XWt(x, w, default, expected, 10, 64, 64);
        float[] y = Run(x, w, [], 10, 64, 64, transposed: true, null, ws);
        Rand.Close(expected, y, 1e-4, 1e-4);
    }

    [Theory]
    [InlineData(1, 40, 33)]
    [InlineData(3, 17, 8)]
    [InlineData(13, 300, 130)]
    [InlineData(50, 64, 16)]
    public void Add_variants_accumulate_onto_y_and_match_their_twins(int m, int k, int n)
    {
        var rng = new Random(m + (k * 3) + n);
        float[] x = Rand.Floats(rng, m * k), w = Rand.Floats(rng, n * k), bias = Rand.Floats(rng, n), y0 = Rand.Floats(rng, m * n, 5f);
        foreach (bool transposed in new[] { true, false })
        {
            float[] expected = (float[])y0.Clone();
            if (transposed)
            {
                MatMulNaive.XWtAdd(x, w, bias, expected, m, k, n);
            }
            else
            {
                MatMulNaive.XWAdd(x, w, bias, expected, m, k, n);
            }

            foreach (SimdLevel level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
            {
                float[] y = (float[])y0.Clone();
                MatMul.Multiply(x, w, bias, y, m, k, n, transposed, null, null, level, add: true);
                Rand.Close(expected, y, 1e-5, 2e-6 * k, $"{level} transposed={transposed}");
            }

            float[] one = (float[])y0.Clone(), two = (float[])y0.Clone();
            using var pool = new WorkerPool(2);
            if (transposed)
            {
                MatMul.XWtAdd(x, w, bias, one, m, k, n);
                MatMul.XWtAdd(x, w, bias, two, m, k, n, pool);
            }
            else
            {
                MatMul.XWAdd(x, w, bias, one, m, k, n);
                MatMul.XWAdd(x, w, bias, two, m, k, n, pool);
            }

            Assert.Equal(one, two);
        }
    }

    [Fact]
    public void Short_spans_are_rejected()
    {
        float[] x = new float[6], w = new float[6], y = new float[3];
        Assert.Throws<ArgumentException>(() => MatMul.XWt(x, w, default, y, 2, 3, 2));
        Assert.Throws<ArgumentException>(() => MatMul.XW(x, w, new float[1], new float[4], 2, 3, 2));
    }

    private static void CheckAllLevels(int m, int k, int n, bool transposed)
    {
        var rng = new Random((m * 1000) + (k * 10) + n);
        float[] x = Rand.Floats(rng, m * k), w = Rand.Floats(rng, n * k), bias = Rand.Floats(rng, n);
        foreach (bool withBias in new[] { false, true })
        {
            float[] b = withBias ? bias : [];
            float[] expected = new float[m * n];
            if (transposed)
            {
                MatMulNaive.XWt(x, w, b, expected, m, k, n);
            }
            else
            {
                MatMulNaive.XW(x, w, b, expected, m, k, n);
            }

            foreach (SimdLevel level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
            {
                float[] y = new float[m * n];
                y.AsSpan().Fill(float.NaN);
                MatMul.Multiply(x, w, b, y, m, k, n, transposed, null, null, level);
                // Sums of k products of values in [-1, 1]: the error grows with k.
                Rand.Close(expected, y, 1e-5, 2e-6 * k, $"{level} bias={withBias}");
            }
        }
    }

    private static float[] Run(float[] x, float[] w, float[] bias, int m, int k, int n, bool transposed, WorkerPool? pool, MatMulWorkspace? ws = null)
    {
        float[] y = new float[m * n];
        if (transposed)
        {
            MatMul.XWt(x, w, bias, y, m, k, n, pool, ws);
        }
        else
        {
            MatMul.XW(x, w, bias, y, m, k, n, pool, ws);
        }

        return y;
    }
}
