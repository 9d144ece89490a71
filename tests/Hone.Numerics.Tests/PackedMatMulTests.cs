namespace Hone.Numerics.Tests;

public class PackedMatMulTests
{
    [Theory]
    [InlineData(1, 17, 5)]
    [InlineData(2, 64, 64)]
    [InlineData(3, 100, 130)]
    [InlineData(4, 33, 70)]
    [InlineData(7, 257, 129)]
    [InlineData(50, 300, 64)]
    public void Packed_products_match_the_naive_twin_in_both_layouts(int m, int k, int n)
    {
        var rng = new Random((m * 31) + k + n);
        float[] x = Rand.Floats(rng, m * k), w = Rand.Floats(rng, n * k), bias = Rand.Floats(rng, n);
        float[] packed = new float[PackedMatMul.PackedLength(k, n)];
        foreach (bool transposed in new[] { true, false })
        {
            float[] expected = new float[m * n];
            if (transposed)
            {
                MatMulNaive.XWt(x, w, bias, expected, m, k, n);
                PackedMatMul.PackWt(w, packed, k, n);
            }
            else
            {
                MatMulNaive.XW(x, w, bias, expected, m, k, n);
                PackedMatMul.PackW(w, packed, k, n);
            }

            foreach (SimdLevel level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
            {
                float[] y = new float[m * n];
                y.AsSpan().Fill(float.NaN);
                PackedMatMul.Multiply(x, packed, bias, y, m, k, n, null, null, level);
                Rand.Close(expected, y, 1e-5, 2e-6 * k, $"{level} transposed={transposed}");
            }
        }
    }

    [Theory]
    [InlineData(2, 70, 90)]
    [InlineData(5, 300, 64)]
    [InlineData(61, 257, 130)]
    public void Packed_multiply_add_equals_the_row_major_residual_product_bit_for_bit(int m, int k, int n)
    {
        var rng = new Random((m * 7) + k);
        float[] x = Rand.Floats(rng, m * k), w = Rand.Floats(rng, n * k), bias = Rand.Floats(rng, n), y0 = Rand.Floats(rng, m * n);
        float[] packed = new float[PackedMatMul.PackedLength(k, n)];
        PackedMatMul.PackWt(w, packed, k, n);
        using var pool = new WorkerPool(2);
        float[] expected = (float[])y0.Clone(), y = (float[])y0.Clone();
        MatMulNaive.XWt(x, w, bias, expected, m, k, n);
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] += y0[i];
        }

        PackedMatMul.MultiplyAdd(x, packed, bias, y, m, k, n, pool);
        Rand.Close(expected, y, 1e-5, 2e-6 * k, "y += x·Wᵀ + b");
        if (m >= 4)
        {
            // Blocks of 4+ rows: the same arithmetic as the row-major blocked product, so the same bits.
            float[] rowMajor = (float[])y0.Clone();
            MatMul.XWtAdd(x, w, bias, rowMajor, m, k, n, pool);
            Assert.Equal(rowMajor, y);
        }
    }

    [Theory]
    [InlineData(1, 300, 700)]
    [InlineData(3, 64, 1000)]
    [InlineData(61, 200, 333)]
    public void Packed_products_are_bit_identical_whatever_the_thread_count(int m, int k, int n)
    {
        var rng = new Random(m + k);
        float[] x = Rand.Floats(rng, m * k), w = Rand.Floats(rng, n * k);
        float[] packed = new float[PackedMatMul.PackedLength(k, n)];
        PackedMatMul.PackWt(w, packed, k, n);
        float[] one = new float[m * n];
        PackedMatMul.Multiply(x, packed, default, one, m, k, n);
        using var pool = new WorkerPool(3);
        float[] packed3 = new float[packed.Length];
        PackedMatMul.PackWt(w, packed3, k, n, pool);
        Assert.Equal(packed, packed3);
        float[] three = new float[m * n];
        PackedMatMul.Multiply(x, packed3, default, three, m, k, n, pool);
        Assert.Equal(one, three);
    }

    [Fact]
    public void A_short_packed_buffer_is_rejected()
    {
        float[] w = new float[8 * 3];
        Assert.Throws<ArgumentException>(() => PackedMatMul.PackWt(w, new float[8 * 3], 8, 3));
    }
}
