namespace Hone.Numerics.Tests;

public class MatMulFusedTests
{
    [Theory]
    [InlineData(1, 100, 67, 130, 5)]
    [InlineData(2, 64, 64, 16, 16)]
    [InlineData(3, 257, 1, 200, 65)]
    [InlineData(5, 129, 63, 40, 70)]
    public void XWt3_matches_naive_twin_and_separate_products_at_every_simd_level(int m, int k, int n1, int n2, int n3)
    {
        var rng = new Random((m * 31) + k + n1);
        float[] x = Rand.Floats(rng, m * k);
        float[][] w = [Rand.Floats(rng, n1 * k), Rand.Floats(rng, n2 * k), Rand.Floats(rng, n3 * k)];
        float[][] b = [Rand.Floats(rng, n1), [], Rand.Floats(rng, n3)];
        int[] n = [n1, n2, n3];
        foreach (SimdLevel level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
        {
            float[][] y = Fused(x, w, b, n, m, k, null, level);
            for (int i = 0; i < 3; i++)
            {
                float[] naive = new float[m * n[i]];
                MatMulNaive.XWt(x, w[i], b[i], naive, m, k, n[i]);
                Rand.Close(naive, y[i], 1e-4, 1e-4, $"{level} layer {i}");
                float[] separate = new float[m * n[i]];
                MatMul.Multiply(x, w[i], b[i], separate, m, k, n[i], transposedWeights: true, null, null, level);
                Assert.Equal(separate, y[i]);
            }
        }
    }

    [Theory]
    [InlineData(1, 300, 257, 64, 64)]
    [InlineData(3, 96, 130, 130, 0)]
    public void Results_are_bit_identical_whatever_the_thread_count(int m, int k, int n1, int n2, int n3)
    {
        var rng = new Random(k + n1);
        float[] x = Rand.Floats(rng, m * k);
        float[][] w = [Rand.Floats(rng, n1 * k), Rand.Floats(rng, n2 * k), Rand.Floats(rng, n3 * k)];
        float[][] b = [[], Rand.Floats(rng, n2), []];
        int[] n = [n1, n2, n3];
        float[][] reference = Fused(x, w, b, n, m, k, null, SimdLevel.Vector512);
        foreach (int threads in new[] { 2, 3 })
        {
            using var pool = new WorkerPool(threads);
            float[][] y = Fused(x, w, b, n, m, k, pool, SimdLevel.Vector512);
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(reference[i], y[i]);
            }
        }
    }

    [Fact]
    public void XWt2_is_XWt3_without_the_third_layer()
    {
        var rng = new Random(9);
        float[] x = Rand.Floats(rng, 2 * 40), w1 = Rand.Floats(rng, 33 * 40), w2 = Rand.Floats(rng, 70 * 40);
        float[] y1 = new float[2 * 33], y2 = new float[2 * 70], e1 = new float[2 * 33], e2 = new float[2 * 70];
        MatMulFused.XWt2(x, 2, 40, w1, default, y1, 33, w2, default, y2, 70);
        MatMulNaive.XWt(x, w1, default, e1, 2, 40, 33);
        MatMulNaive.XWt(x, w2, default, e2, 2, 40, 70);
        Rand.Close(e1, y1, 1e-4, 1e-4);
        Rand.Close(e2, y2, 1e-4, 1e-4);
    }

    [Fact]
    public void Short_outputs_are_rejected()
    {
        float[] x = new float[8], w = new float[8], y = new float[1];
        Assert.Throws<ArgumentException>(() => MatMulFused.XWt2(x, 1, 8, w, default, y, 1, w, default, new float[0], 1));
    }

    private static float[][] Fused(float[] x, float[][] w, float[][] b, int[] n, int m, int k, WorkerPool? pool, SimdLevel level)
    {
        float[][] y = [new float[m * n[0]], new float[m * n[1]], new float[m * n[2]]];
        MatMulFused.Multiply(x, m, k, w[0], b[0], y[0], n[0], w[1], b[1], y[1], n[1], w[2], b[2], y[2], n[2], pool, null, level);
        return y;
    }
}
