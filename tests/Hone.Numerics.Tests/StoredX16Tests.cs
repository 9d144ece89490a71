namespace Hone.Numerics.Tests;

/// <summary>
/// Q4_0 and Q8_0 interleaved by 16 rows (<see cref="StoredQ4x16"/>, <see cref="StoredQ8x16"/>): the repacking keeps every
/// byte of every row; the decode kernel is held to the int8 twin (<see cref="StoredMatMulNaive.XWtInt8"/> on the GGUF
/// rows) at every SIMD level and thread count; the prompt path equals the GGUF layout's bit for bit (the same decoded
/// panels).
/// </summary>
public class StoredX16Tests
{
    private static StoredType Interleaved(StoredType type) => type == StoredType.Q4_0 ? StoredType.Q4_0x16 : StoredType.Q8_0x16;

    private static void Interleave(StoredType type, ReadOnlySpan<byte> rows, int k, Span<byte> into)
    {
        if (type == StoredType.Q4_0)
        {
            StoredQ4x16.Interleave(rows, k, into);
        }
        else
        {
            StoredQ8x16.Interleave(rows, k, into);
        }
    }

    [Theory]
    [InlineData(StoredType.Q4_0, 16, 64)]
    [InlineData(StoredType.Q4_0, 48, 320)]
    [InlineData(StoredType.Q8_0, 16, 64)]
    [InlineData(StoredType.Q8_0, 32, 192)]
    public void Interleaving_keeps_every_row_and_the_size(StoredType type, int n, int k)
    {
        var gguf = StoredMatMulTests.RandomRows(new Random(n + k), type, n, k);
        var interleaved = new byte[gguf.Length];
        Interleave(type, gguf, k, interleaved);
        Assert.NotEqual(gguf, interleaved);
        Assert.Equal(StoredRows.RowBytes(type, k), StoredRows.RowBytes(Interleaved(type), k));
        Assert.Equal(gguf, StoredInterleaved.Deinterleave(Interleaved(type), interleaved, k));
        int rowBytes = StoredRows.RowBytes(type, k);
        var expected = new float[k];
        var actual = new float[k];
        foreach (int j in new[] { 0, 5, n - 1 })
        {
            StoredRows.Dequantize(type, gguf.AsSpan(j * rowBytes, rowBytes), expected);
            StoredInterleaved.DequantizeRow(Interleaved(type), interleaved, k, j, actual);
            Assert.Equal(expected, actual);
        }

        Assert.Throws<ArgumentException>(() => Interleave(type, gguf.AsSpan(rowBytes), k, interleaved.AsSpan(rowBytes)));
        Assert.Throws<ArgumentException>(() => Interleave(type, gguf, k, interleaved.AsSpan(1)));
    }

    public static TheoryData<StoredType, int, int, int> Shapes()
    {
        var data = new TheoryData<StoredType, int, int, int>();
        foreach (var type in new[] { StoredType.Q4_0, StoredType.Q8_0 })
        {
            foreach (var (m, k, n) in new[] { (1, 64, 16), (2, 128, 48), (3, 320, 80), (1, 2048, 32), (4, 64, 16), (9, 192, 96) })
            {
                data.Add(type, m, k, n);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Fast_matches_the_twin(StoredType type, int m, int k, int n)
    {
        var rng = new Random((m * 100) + k + n);
        var gguf = StoredMatMulTests.RandomRows(rng, type, n, k);
        var w = new byte[gguf.Length];
        Interleave(type, gguf, k, w);
        var x16 = Interleaved(type);
        float[] x = Rand.Floats(rng, m * k, 2f), bias = Rand.Floats(rng, n), start = Rand.Floats(rng, m * n);
        bool decode = m < StoredMatMul.TileMinRows;
        var expected = new float[m * n];
        if (decode)
        {
            StoredMatMulNaive.XWtInt8(x, gguf, type, bias, expected, m, k, n);
            var twin = new float[m * n];
            StoredMatMulNaive.XWtInt8(x, w, x16, bias, twin, m, k, n);
            Assert.Equal(expected, twin);
        }
        else
        {
            // The prompt path decodes the same rows into the same panels: the GGUF layout's fast result, bit for bit.
            StoredMatMul.XWt(x, gguf, type, bias, expected, m, k, n);
        }

        int rowBytes = StoredRows.RowBytes(type, k);
        var magnitudes = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double magnitude = Math.Abs(bias[j]);
                for (int p = 0; p < k; p++)
                {
                    magnitude += Math.Abs(x[(i * k) + p] * StoredRows.Value(type, gguf.AsSpan(j * rowBytes, rowBytes), p));
                }

                magnitudes[(i * n) + j] = magnitude;
            }
        }

        using var pool = new WorkerPool(3);
        foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
        {
            float[]? first = null;
            foreach (var p in new[] { WorkerPool.Single, pool })
            {
                var y = new float[m * n];
                StoredMatMul.Multiply(x, w, x16, bias, y, m, k, n, p, add: false, level);
                if (decode)
                {
                    for (int i = 0; i < y.Length; i++)
                    {
                        double tol = 1e-5 + (1e-5 * Math.Abs(expected[i])) + (1e-6 * magnitudes[i]);
                        Assert.True(Math.Abs(y[i] - expected[i]) <= tol, $"{x16} {level} threads {p.ThreadCount} index {i}: expected {expected[i]}, got {y[i]} (tolerance {tol})");
                    }
                }
                else if (level == Simd.Clamp(SimdLevel.Vector512))
                {
                    Assert.Equal(expected, y);
                }

                // Another thread count: the same bits.
                first ??= y;
                Assert.Equal(first, y);

                var acc = (float[])start.Clone();
                StoredMatMul.Multiply(x, w, x16, bias, acc, m, k, n, p, add: true, level);
                for (int i = 0; i < acc.Length; i++)
                {
                    Assert.Equal(start[i] + y[i], acc[i], 1e-5f * (1 + Math.Abs(acc[i])));
                }
            }
        }
    }

    /// <summary>The decode path writes a plain product straight into y and adds a bias or an accumulation after it: the
    /// three results are tied exactly (y + bias, start + y in float32, as the scalar store computes them), at every
    /// SIMD level and thread count.</summary>
    [Theory]
    [InlineData(StoredType.Q4_0x16, 1)]
    [InlineData(StoredType.Q8_0x16, 2)]
    [InlineData(StoredType.Q4_Kx16, 3)]
    public void Decode_bias_and_accumulation_add_to_the_plain_product_exactly(StoredType x16, int m)
    {
        const int k = 512, n = 96;
        var rng = new Random((int)x16 + m);
        byte[] w;
        if (x16 == StoredType.Q4_Kx16)
        {
            var split = StoredQ4KSplit.Repack(StoredQ4KTests.RandomRows(rng, n, k), k);
            w = new byte[split.Length];
            StoredQ4Kx16.Interleave(split, k, w);
        }
        else
        {
            var type = x16 == StoredType.Q4_0x16 ? StoredType.Q4_0 : StoredType.Q8_0;
            var gguf = StoredMatMulTests.RandomRows(rng, type, n, k);
            w = new byte[gguf.Length];
            Interleave(type, gguf, k, w);
        }

        float[] x = Rand.Floats(rng, m * k, 2f), bias = Rand.Floats(rng, n), start = Rand.Floats(rng, m * n);
        using var pool = new WorkerPool(2);
        foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Vector512 })
        {
            foreach (var p in new[] { WorkerPool.Single, pool })
            {
                var plain = new float[m * n];
                var biased = new float[m * n];
                var acc = (float[])start.Clone();
                var accBiased = (float[])start.Clone();
                StoredMatMul.Multiply(x, w, x16, default, plain, m, k, n, p, add: false, level);
                StoredMatMul.Multiply(x, w, x16, bias, biased, m, k, n, p, add: false, level);
                StoredMatMul.Multiply(x, w, x16, default, acc, m, k, n, p, add: true, level);
                StoredMatMul.Multiply(x, w, x16, bias, accBiased, m, k, n, p, add: true, level);
                for (int i = 0; i < plain.Length; i++)
                {
                    Assert.Equal(plain[i] + bias[i % n], biased[i]);
                    Assert.Equal(start[i] + plain[i], acc[i]);
                    Assert.Equal(start[i] + plain[i] + bias[i % n], accBiased[i]);
                }
            }
        }
    }

    [Fact]
    public void Bad_shapes_are_refused()
    {
        var w = new byte[StoredRows.RowBytes(StoredType.Q4_0, 64) * 16];
        Assert.Throws<ArgumentException>(() => StoredMatMul.XWt(new float[64], w, StoredType.Q4_0x16, default, new float[8], 1, 64, 8)); // 8 rows
        Assert.Throws<ArgumentException>(() => StoredMatMul.XWt(new float[96], w, StoredType.Q4_0x16, default, new float[16], 1, 96, 16)); // k = 96
        Assert.False(StoredInterleaved.Fits(StoredType.Q4_0x16, 24, 64));
        Assert.False(StoredInterleaved.Fits(StoredType.Q8_0x16, 16, 96));
        Assert.True(StoredInterleaved.Fits(StoredType.Q4_0x16, 32, 128));
        var w8 = new byte[StoredRows.RowBytes(StoredType.Q8_0, 64) * 16];
        Assert.Throws<ArgumentException>(() => StoredMatMul.XWt(new float[64], w8, StoredType.Q8_0x16, default, new float[8], 1, 64, 8));
        Assert.Throws<ArgumentException>(() => StoredMatMul.XWt(new float[96], w8, StoredType.Q8_0x16, default, new float[16], 1, 96, 16));
    }
}
