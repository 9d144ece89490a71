namespace Hone.Numerics.Tests;

public class MatMulBF16Tests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 17, 5 }, { 2, 33, 130 }, { 4, 31, 64 }, { 5, 129, 63 }, { 7, 257, 65 }, { 13, 130, 200 }, { 50, 300, 131 }, { 97, 17, 3 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void XWt_matches_naive_twin(int m, int k, int n)
    {
        var (x, w, bias) = Data(m, k, n);
        float[] expected = new float[m * n], y = new float[m * n];
        MatMulBF16Naive.XWt(x, w, bias, expected, m, k, n);
        MatMulBF16.XWt(x, w, bias, y, m, k, n);
        Rand.Close(expected, y, 1e-4, 1e-4);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void XW_and_XWAdd_match_naive_twin(int m, int k, int n)
    {
        var (x, w, bias) = Data(m, k, n);
        float[] y0 = Rand.Floats(new Random(m), m * n, 3f);
        float[] expected = (float[])y0.Clone(), y = (float[])y0.Clone();
        MatMulBF16Naive.XW(x, w, bias, expected, m, k, n, add: true);
        MatMulBF16.XWAdd(x, w, bias, y, m, k, n);
        Rand.Close(expected, y, 1e-4, 1e-4, "add");
        MatMulBF16Naive.XW(x, w, default, expected, m, k, n);
        MatMulBF16.XW(x, w, default, y, m, k, n);
        Rand.Close(expected, y, 1e-4, 1e-4, "write");
    }

    /// <summary>Where MatMul takes its packed path (m ≥ 4, n > 16) the bf16 product is that of the float32 GEMM on
    /// the widened weights, bit for bit, in both layouts, on one thread and on several.</summary>
    [Theory]
    [InlineData(4, 31, 64)]
    [InlineData(13, 130, 200)]
    [InlineData(61, 300, 333)]
    [InlineData(100, 520, 70)]
    public void Equals_the_float32_gemm_on_widened_weights_bit_for_bit(int m, int k, int n)
    {
        var (x, w, bias) = Data(m, k, n);
        float[] wf = new float[w.Length];
        BF16Convert.ToSingle(w, wf);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new WorkerPool(threads);
            float[] expected = new float[m * n], y = new float[m * n];
            MatMul.XWt(x, wf, bias, expected, m, k, n, pool);
            MatMulBF16.XWt(x, w, bias, y, m, k, n, pool);
            Assert.Equal(expected, y);
            float[] y0 = Rand.Floats(new Random(k), m * n);
            expected = (float[])y0.Clone();
            y = (float[])y0.Clone();
            MatMul.XWAdd(x, wf, default, expected, m, k, n, pool);
            MatMulBF16.XWAdd(x, w, default, y, m, k, n, pool);
            Assert.Equal(expected, y);
            MatMul.XW(x, wf, bias, expected, m, k, n, pool);
            MatMulBF16.XW(x, w, bias, y, m, k, n, pool);
            Assert.Equal(expected, y);
        }
    }

    [Fact]
    public void Conversion_rounds_to_nearest_even_and_widens_exactly()
    {
        float[] values = [1f, -2.5f, BitConverter.UInt32BitsToSingle(0x3F808000), BitConverter.UInt32BitsToSingle(0x3F818000), BitConverter.UInt32BitsToSingle(0x3F808001), float.PositiveInfinity, 0f, -0f];
        ushort[] bits = new ushort[values.Length];
        BF16Convert.FromSingle(values, bits);
        Assert.Equal(new ushort[] { 0x3F80, 0xC020, 0x3F80, 0x3F82, 0x3F81, 0x7F80, 0, 0x8000 }, bits);
        var rng = new Random(5);
        float[] many = Rand.Floats(rng, 37, 100f), back = new float[37];
        ushort[] b = new ushort[37];
        BF16Convert.FromSingle(many, b);
        BF16Convert.ToSingle(b, back);
        for (int i = 0; i < many.Length; i++)
        {
            Assert.Equal((uint)b[i] << 16, BitConverter.SingleToUInt32Bits(back[i]));
            Assert.True(Math.Abs(back[i] - many[i]) <= Math.Abs(many[i]) / 256, $"{many[i]} -> {back[i]}");
        }

        float[] nan = [float.NaN];
        BF16Convert.FromSingle(nan, bits);
        Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle((uint)bits[0] << 16)));
    }

    [Fact]
    public void Short_spans_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => MatMulBF16.XWt(new float[8], new ushort[7], default, new float[4], 2, 4, 2));
        Assert.Throws<ArgumentException>(() => MatMulBF16.XW(new float[7], new ushort[8], default, new float[4], 2, 4, 2));
        Assert.Throws<ArgumentException>(() => MatMulBF16.XW(new float[8], new ushort[8], default, new float[3], 2, 4, 2));
    }

    private static (float[] X, ushort[] W, float[] Bias) Data(int m, int k, int n)
    {
        var rng = new Random((m * 31) + (k * 7) + n);
        float[] x = Rand.Floats(rng, m * k), wf = Rand.Floats(rng, n * k), bias = Rand.Floats(rng, n);
        var w = new ushort[n * k];
        BF16Convert.FromSingle(wf, w);
        return (x, w, bias);
    }
}
