namespace Hone.Numerics.Tests;

/// <summary>
/// Q4_K interleaved by 16 rows (<see cref="StoredQ4Kx16"/>): the repacking keeps every split row; the decode kernel is
/// held to the q8_K twin (<see cref="StoredQ4KNaive.XWtQ8K"/> on the GGUF rows) at every SIMD level and thread count;
/// the prompt path equals the split layout's bit for bit (the same decoded panels).
/// </summary>
public class StoredQ4Kx16Tests
{
    [Theory]
    [InlineData(16, 256)]
    [InlineData(32, 768)]
    public void Interleaving_keeps_every_row_and_the_size(int n, int k)
    {
        var split = StoredQ4KSplit.Repack(StoredQ4KTests.RandomRows(new Random(n + k), n, k), k);
        var interleaved = new byte[split.Length];
        StoredQ4Kx16.Interleave(split, k, interleaved);
        Assert.NotEqual(split, interleaved);
        Assert.Equal(StoredRows.RowBytes(StoredType.Q4_KSplit, k), StoredRows.RowBytes(StoredType.Q4_Kx16, k));
        Assert.Equal(split, StoredInterleaved.Deinterleave(StoredType.Q4_Kx16, interleaved, k));
        int rowBytes = StoredRows.RowBytes(StoredType.Q4_KSplit, k);
        var expected = new float[k];
        var actual = new float[k];
        foreach (int j in new[] { 0, 7, n - 1 })
        {
            StoredRows.Dequantize(StoredType.Q4_KSplit, split.AsSpan(j * rowBytes, rowBytes), expected);
            StoredInterleaved.DequantizeRow(StoredType.Q4_Kx16, interleaved, k, j, actual);
            Assert.Equal(expected, actual);
        }

        Assert.Throws<ArgumentException>(() => StoredQ4Kx16.Interleave(split.AsSpan(rowBytes), k, interleaved.AsSpan(rowBytes)));
        Assert.Throws<ArgumentException>(() => StoredQ4Kx16.Interleave(split, k, interleaved.AsSpan(1)));
    }

    [Theory]
    [InlineData(1, 256, 16)]
    [InlineData(2, 768, 48)]
    [InlineData(3, 2304, 32)]
    [InlineData(4, 256, 16)]
    [InlineData(9, 512, 80)]
    public void Fast_matches_the_twin(int m, int k, int n)
    {
        var rng = new Random((m * 100) + k + n);
        var gguf = StoredQ4KTests.RandomRows(rng, n, k);
        var split = StoredQ4KSplit.Repack(gguf, k);
        var w = new byte[split.Length];
        StoredQ4Kx16.Interleave(split, k, w);
        float[] x = Rand.Floats(rng, m * k, 2f), bias = Rand.Floats(rng, n), start = Rand.Floats(rng, m * n);
        x[7] = 0;
        bool decode = m < StoredMatMul.TileMinRows;
        var expected = new float[m * n];
        if (decode)
        {
            StoredQ4KNaive.XWtQ8K(x, gguf, bias, expected, m, k, n);
        }
        else
        {
            // The prompt path decodes the same rows into the same panels: the split layout's fast result, bit for bit.
            StoredMatMul.XWt(x, split, StoredType.Q4_KSplit, bias, expected, m, k, n);
            var twin = new float[m * n];
            StoredMatMulNaive.XWt(x, w, StoredType.Q4_Kx16, bias, twin, m, k, n);
            Rand.Close(twin, expected, 1e-5, 1e-5, "twin");
        }

        using var pool = new WorkerPool(3);
        foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
        {
            float[]? first = null;
            foreach (var p in new[] { WorkerPool.Single, pool })
            {
                var y = new float[m * n];
                StoredMatMul.Multiply(x, w, StoredType.Q4_Kx16, bias, y, m, k, n, p, add: false, level);
                if (decode || level != Simd.Clamp(SimdLevel.Vector512))
                {
                    Rand.Close(expected, y, 1e-5, 1e-5, $"{level} threads {p.ThreadCount}");
                }
                else
                {
                    Assert.Equal(expected, y);
                }

                // Another thread count: the same bits.
                first ??= y;
                Assert.Equal(first, y);

                var acc = (float[])start.Clone();
                StoredMatMul.Multiply(x, w, StoredType.Q4_Kx16, bias, acc, m, k, n, p, add: true, level);
                for (int i = 0; i < acc.Length; i++)
                {
                    Assert.Equal(start[i] + y[i], acc[i], 1e-5f * (1 + Math.Abs(acc[i])));
                }
            }
        }
    }

    [Fact]
    public void Bad_shapes_are_refused()
    {
        var w = new byte[StoredRows.RowBytes(StoredType.Q4_Kx16, 256) * 16];
        Assert.Throws<ArgumentException>(() => StoredMatMul.XWt(new float[256], w, StoredType.Q4_Kx16, default, new float[8], 1, 256, 8));
        Assert.Throws<ArgumentException>(() => StoredMatMul.XWt(new float[128], w, StoredType.Q4_Kx16, default, new float[16], 1, 128, 16));
        Assert.False(StoredInterleaved.Fits(StoredType.Q4_Kx16, 24, 256));
        Assert.False(StoredInterleaved.Fits(StoredType.Q4_Kx16, 16, 128));
        Assert.True(StoredInterleaved.Fits(StoredType.Q4_Kx16, 32, 512));
    }
}
