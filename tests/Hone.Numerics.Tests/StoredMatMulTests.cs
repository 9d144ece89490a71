namespace Hone.Numerics.Tests;

/// <summary>
/// The stored-type kernels (BF16, Q8_0, Q4_0) held to their naive twins and to a float64 reference built from the
/// scalar decoding, at every SIMD level, on both the matrix-vector (m &lt; 4) and the matrix-matrix path. The decode
/// path of Q8_0 and Q4_0 quantises x to int8 blocks (as llama.cpp does): it is held to its own twin
/// (<see cref="StoredMatMulNaive.XWtInt8"/>), and that twin to the float32-activation result within the bound the
/// quantisation of x allows.
/// </summary>
public class StoredMatMulTests
{
    public static TheoryData<StoredType, int, int, int> Shapes()
    {
        var data = new TheoryData<StoredType, int, int, int>();
        foreach (var type in new[] { StoredType.BF16, StoredType.Q8_0, StoredType.Q4_0, StoredType.Q8_0Split, StoredType.Q4_0Split })
        {
            foreach (var (m, k, n) in new[] { (1, 32, 1), (1, 96, 37), (3, 160, 17), (4, 64, 4), (7, 224, 21), (9, 32, 70), (2, 320, 19), (13, 320, 130) })
            {
                data.Add(type, m, k, n);
            }
        }

        data.Add(StoredType.BF16, 2, 33, 5); // BF16 rows need no blocks
        data.Add(StoredType.BF16, 6, 71, 9);
        data.Add(StoredType.BF16, 1, 113, 6); // 64 + 32 + a tail on the decode path
        data.Add(StoredType.Q4_0Split, 1, 8224, 3); // 257 blocks: a second segment of scales, and a tail block
        data.Add(StoredType.Q8_0Split, 2, 8224, 3);
        return data;
    }

    /// <summary>Random stored rows: BF16 from random floats; blocks with random half scales and random integers,
    /// plus a zero scale and a subnormal scale (the rare paths of the half decoding).</summary>
    internal static byte[] RandomRows(Random rng, StoredType type, int n, int k)
    {
        if (type is StoredType.Q8_0Split or StoredType.Q4_0Split)
        {
            var rows = RandomRows(rng, type == StoredType.Q8_0Split ? StoredType.Q8_0 : StoredType.Q4_0, n, k);
            StoredSplit.Repack(type == StoredType.Q8_0Split ? StoredType.Q8_0 : StoredType.Q4_0, rows, k);
            return rows;
        }

        var bytes = new byte[StoredRows.RowBytes(type, k) * n];
        rng.NextBytes(bytes);
        if (type == StoredType.BF16)
        {
            for (int i = 0; i < bytes.Length; i += 2)
            {
                ushort bits = (ushort)(BitConverter.SingleToUInt32Bits((float)((rng.NextDouble() * 2) - 1)) >> 16);
                bytes[i] = (byte)bits;
                bytes[i + 1] = (byte)(bits >> 8);
            }

            return bytes;
        }

        int blockBytes = type == StoredType.Q8_0 ? StoredRows.Q8_0BlockBytes : StoredRows.Q4_0BlockBytes;
        for (int b = 0, i = 0; b < bytes.Length; b += blockBytes, i++)
        {
            var scale = i % 11 == 3 ? (Half)0 : i % 13 == 5 ? BitConverter.UInt16BitsToHalf(0x0203) : (Half)(((rng.NextDouble() * 2) - 1) * 0.05);
            ushort s = BitConverter.HalfToUInt16Bits(scale);
            bytes[b] = (byte)s;
            bytes[b + 1] = (byte)(s >> 8);
        }

        return bytes;
    }

    [Fact]
    public void Half_decoding_is_exact_for_every_bit_pattern()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)bits), actual = StoredRows.HalfToSingle((ushort)bits);
            Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(actual) || (float.IsNaN(expected) && float.IsNaN(actual)), $"bits {bits:X4}: {expected} vs {actual}");
        }
    }

    [Theory]
    [InlineData(StoredType.BF16, 77)]
    [InlineData(StoredType.Q8_0, 96)]
    [InlineData(StoredType.Q4_0, 96)]
    [InlineData(StoredType.Q8_0Split, 96)]
    [InlineData(StoredType.Q4_0Split, 160)]
    public void Dequantize_matches_the_scalar_decoding(StoredType type, int k)
    {
        var row = RandomRows(new Random(k), type, 1, k);
        foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
        {
            var dst = new float[k];
            unsafe
            {
                fixed (byte* w = row)
                fixed (float* d = dst)
                {
                    StoredDot.Dequantize(w, d, k, type, Simd.Clamp(level));
                }
            }

            for (int p = 0; p < k; p++)
            {
                Assert.Equal(StoredRows.Value(type, row, p), dst[p]);
            }
        }
    }

    [Theory]
    [InlineData(StoredType.Q8_0, 160)]
    [InlineData(StoredType.Q4_0, 96)]
    public void Repacking_to_the_split_layout_keeps_every_value_and_the_size(StoredType type, int k)
    {
        const int n = 5;
        var gguf = RandomRows(new Random(k), type, n, k);
        var split = (byte[])gguf.Clone();
        Assert.Equal(StoredSplit.Of(type), StoredSplit.Repack(type, split, k));
        Assert.Equal(StoredRows.RowBytes(type, k), StoredRows.RowBytes(StoredSplit.Of(type), k));
        int rowBytes = StoredRows.RowBytes(type, k);
        for (int j = 0; j < n; j++)
        {
            for (int p = 0; p < k; p++)
            {
                Assert.Equal(StoredRows.Value(type, gguf.AsSpan(j * rowBytes, rowBytes), p), StoredRows.Value(StoredSplit.Of(type), split.AsSpan(j * rowBytes, rowBytes), p));
            }
        }

        Assert.Throws<ArgumentException>(() => StoredSplit.Repack(type, split.AsSpan(1), k));
        Assert.Throws<ArgumentException>(() => StoredSplit.Of(StoredType.BF16));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Fast_matches_twin_and_float64_reference(StoredType type, int m, int k, int n)
    {
        var rng = new Random((int)type * 1000 + m * 100 + k + n);
        var w = RandomRows(rng, type, n, k);
        float[] x = Rand.Floats(rng, m * k, 2f), bias = Rand.Floats(rng, n), start = Rand.Floats(rng, m * n);
        float[] naive = new float[m * n];
        StoredMatMulNaive.XWt(x, w, type, bias, naive, m, k, n);
        int rowBytes = StoredRows.RowBytes(type, k);
        var magnitudes = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = bias[j], magnitude = Math.Abs(bias[j]);
                for (int p = 0; p < k; p++)
                {
                    double term = (double)x[(i * k) + p] * StoredRows.Value(type, w.AsSpan(j * rowBytes, rowBytes), p);
                    sum += term;
                    magnitude += Math.Abs(term);
                }

                magnitudes[(i * n) + j] = magnitude;
                double tol = (2e-6 * magnitude) + 1e-7;
                Assert.True(Math.Abs(naive[(i * n) + j] - sum) <= tol, $"naive [{i},{j}]: {naive[(i * n) + j]} vs float64 {sum}");
            }
        }

        // The decode path of Q8_0 and Q4_0 quantises x: its twin, and the twin's distance to the float32 result.
        bool int8 = m < StoredMatMul.TileMinRows && type != StoredType.BF16;
        float[] expected = naive;
        if (int8)
        {
            expected = new float[m * n];
            StoredMatMulNaive.XWtInt8(x, w, type, bias, expected, m, k, n);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    // Each x is off by at most half its block's step d_x/2 = max|x_b|/254; so is the dot by Σ|w|·that.
                    double bound = 1e-5;
                    for (int p = 0; p < k; p++)
                    {
                        float amax = 0;
                        for (int t = p / 32 * 32; t < (p / 32 * 32) + 32; t++)
                        {
                            amax = Math.Max(amax, Math.Abs(x[(i * k) + t]));
                        }

                        bound += Math.Abs(StoredRows.Value(type, w.AsSpan(j * rowBytes, rowBytes), p)) * ((amax / 254.0) + 1e-6);
                    }

                    Assert.True(Math.Abs(expected[(i * n) + j] - naive[(i * n) + j]) <= bound, $"{type} int8 [{i},{j}]: {expected[(i * n) + j]} vs float32 {naive[(i * n) + j]} (bound {bound})");
                }
            }
        }

        using var pool = new WorkerPool(3);
        float[]? first = null;
        foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
        {
            foreach (var p in new[] { WorkerPool.Single, pool })
            {
                var y = new float[m * n];
                StoredMatMul.Multiply(x, w, type, bias, y, m, k, n, p, add: false, level);
                CloseInOtherOrder(expected, y, magnitudes, $"{type} {level} threads {p.ThreadCount}");
                var acc = (float[])start.Clone();
                StoredMatMul.Multiply(x, w, type, bias, acc, m, k, n, p, add: true, level);
                var expectedAcc = new float[acc.Length];
                for (int i = 0; i < acc.Length; i++)
                {
                    expectedAcc[i] = start[i] + y[i];
                }

                Rand.Close(expectedAcc, acc, 1e-5, 1e-5, $"{type} {level} add");

                if (level == Simd.Clamp(SimdLevel.Vector512))
                {
                    // Same level, another thread count: the same bits.
                    if (first is null)
                    {
                        first = y;
                    }
                    else
                    {
                        Assert.Equal(first, y);
                    }
                }
            }
        }
    }

    /// <summary>Asserts |actual − expected| ≤ 1e-5 + 1e-5·|expected| + 1e-6·Σ|terms|: the same sum taken in another order
    /// rounds differently by up to a few float32 steps of its terms' magnitude, whatever the result cancels to.</summary>
    private static void CloseInOtherOrder(float[] expected, float[] actual, double[] magnitudes, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = 1e-5 + (1e-5 * Math.Abs(expected[i])) + (1e-6 * magnitudes[i]);
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tol, $"{what} index {i}: expected {expected[i]}, got {actual[i]} (tolerance {tol})");
        }
    }

    [Theory]
    [InlineData(StoredType.BF16, 1)]
    [InlineData(StoredType.Q8_0, 2)]
    [InlineData(StoredType.Q4_0, 1)]
    [InlineData(StoredType.Q8_0, 7)]
    [InlineData(StoredType.BF16, 5)]
    public void Fused_matrices_equal_separate_calls_bit_for_bit(StoredType type, int m)
    {
        const int k = 96;
        var rng = new Random(40 + m);
        int[] ns = [37, 70, 16];
        var ws = ns.Select(n => RandomRows(rng, type, n, k)).ToArray();
        var bs = ns.Select(n => Rand.Floats(rng, n)).ToArray();
        float[] x = Rand.Floats(rng, m * k, 2f);
        using var pool = new WorkerPool(3);
        foreach (var p in new[] { WorkerPool.Single, pool })
        {
            foreach (int count in new[] { 2, 3 })
            {
                var ys = ns.Select(n => new float[m * n]).ToArray();
                StoredMatMul.XWt3(
                    x, m, k, type, ws[0], bs[0], ys[0], ns[0], ws[1], default, ys[1], ns[1],
                    count == 3 ? ws[2] : default, bs[2], ys[2], count == 3 ? ns[2] : 0, p);
                for (int i = 0; i < count; i++)
                {
                    var expected = new float[m * ns[i]];
                    StoredMatMul.XWt(x, ws[i], type, i == 1 ? default : bs[i], expected, m, k, ns[i], WorkerPool.Single);
                    Assert.Equal(expected, ys[i]);
                }
            }
        }
    }

    [Theory]
    [InlineData(32)]
    [InlineData(256)]
    public void Activation_quantisation_matches_its_twin_bit_for_bit(int k)
    {
        var rng = new Random(k);
        float[] x = Rand.Floats(rng, k, 3f);
        x[5] = 0; // a zero block gives scale 0 and zeros
        for (int p = 32; p < Math.Min(k, 64); p++)
        {
            x[p] = 0;
        }

        x[k - 1] = 127f * 0.5f / 127f; // a product that lands on a half
        var expectedQ = new sbyte[k];
        var expectedD = new float[k / 32];
        for (int b = 0; b < k / 32; b++)
        {
            expectedD[b] = StoredMatMulNaive.QuantizeBlock(x.AsSpan(b * 32, 32), expectedQ.AsSpan(b * 32, 32));
        }

        foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
        {
            var q = new sbyte[k];
            var d = new float[k / 32];
            var s = new int[k / 32];
            unsafe
            {
                fixed (float* px = x)
                fixed (sbyte* pq = q)
                fixed (float* pd = d)
                fixed (int* ps = s)
                {
                    StoredInt8Dot.Quantize(px, k, pq, pd, ps, Simd.Clamp(level));
                }
            }

            Assert.Equal(expectedQ, q);
            Assert.Equal(expectedD, d);
            for (int b = 0; b < k / 32; b++)
            {
                Assert.Equal(expectedQ.Skip(b * 32).Take(32).Sum(v => v), s[b]);
            }
        }
    }

    [Fact]
    public void Bad_shapes_are_refused()
    {
        var w = new byte[34];
        Assert.Throws<ArgumentException>(() => StoredMatMul.XWt(new float[33], w, StoredType.Q8_0, default, new float[1], 1, 33, 1));
        Assert.Throws<ArgumentException>(() => StoredMatMul.XWt(new float[64], w, StoredType.Q8_0, default, new float[1], 1, 64, 1));
        Assert.Throws<ArgumentException>(() => StoredMatMul.XWt(new float[32], w, StoredType.Q8_0, default, new float[1], 1, 32, 2));
    }
}
