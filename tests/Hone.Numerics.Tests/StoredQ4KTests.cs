using System.Runtime.Intrinsics;
namespace Hone.Numerics.Tests;

/// <summary>
/// Q4_K rows (<see cref="StoredQ4K"/>): decoding at every SIMD level equals the scalar reference bit for bit; the
/// matrix-matrix path equals the float32 twin; the decode path (x quantised to llama.cpp's q8_K) is held to its twin
/// <see cref="StoredQ4KNaive.XWtQ8K"/> at every level and thread count (integer sums exact, float scaling within
/// 1e-5 relative), and the twin to the float32 product within the bound the quantisation of x allows.
/// </summary>
public class StoredQ4KTests
{
    /// <summary>Random Q4_K rows: random nibbles and packed scales/mins, half d and dmin in a realistic range, with a zero
    /// d, a zero dmin and a subnormal d among them.</summary>
    internal static byte[] RandomRows(Random rng, int n, int k)
    {
        var bytes = new byte[StoredRows.RowBytes(StoredType.Q4_K, k) * n];
        rng.NextBytes(bytes);
        for (int b = 0, i = 0; b < bytes.Length; b += StoredQ4K.SuperBytes, i++)
        {
            var d = i % 7 == 3 ? (Half)0 : i % 11 == 5 ? BitConverter.UInt16BitsToHalf(0x0203) : (Half)(rng.NextDouble() * 0.002);
            var dmin = i % 5 == 2 ? (Half)0 : (Half)(rng.NextDouble() * 0.004);
            BitConverter.TryWriteBytes(bytes.AsSpan(b), BitConverter.HalfToUInt16Bits(d));
            BitConverter.TryWriteBytes(bytes.AsSpan(b + 2), BitConverter.HalfToUInt16Bits(dmin));
        }

        return bytes;
    }

    /// <summary>One row decoded at <paramref name="level"/> equals the scalar reference value by value, bit for bit.</summary>
    private static unsafe void AssertDecodesAsValues(StoredType type, ReadOnlySpan<byte> row, int k, SimdLevel level)
    {
        var dst = new float[k];
        fixed (byte* w = row)
        fixed (float* d = dst)
        {
            StoredDot.Dequantize(w, d, k, type, Simd.Clamp(level));
        }

        for (int p = 0; p < k; p++)
        {
            Assert.Equal(StoredRows.Value(type, row, p), dst[p]);
        }
    }

    [Fact]
    public void Row_geometry_needs_whole_super_blocks()
    {
        Assert.True(StoredRows.Fits(StoredType.Q4_K, 512));
        Assert.False(StoredRows.Fits(StoredType.Q4_K, 288));
        Assert.Equal(2 * 144, StoredRows.RowBytes(StoredType.Q4_K, 512));
        Assert.Contains("multiple of 256", Assert.Throws<ArgumentException>(() => StoredRows.RowBytes(StoredType.Q4_K, 96)).Message);
    }

    [Fact]
    public void The_scalar_decoding_follows_the_block_layout()
    {
        // One super-block by hand: d = 0.5, dmin = 0.25; sub-block 1 (a "low" one: bytes j and j+4) scale 3, min 2;
        // sub-block 6 (a "high" one: nibbles of byte 10, top bits in bytes 2 and 6) scale 0b01_0101 = 21, min 0b10_0011 = 35.
        var block = new byte[144];
        BitConverter.TryWriteBytes(block.AsSpan(0), BitConverter.HalfToUInt16Bits((Half)0.5));
        BitConverter.TryWriteBytes(block.AsSpan(2), BitConverter.HalfToUInt16Bits((Half)0.25));
        block[4 + 1] = 3;
        block[4 + 5] = 2;
        block[4 + 10] = 0x5 | (0x3 << 4);
        block[4 + 2] |= 0b01 << 6;
        block[4 + 6] |= 0b10 << 6;
        block[16 + 7] = 0x0C; // value 7 (sub-block 0) = 12 at scale 0; value 39 (sub-block 1, high nibble) = 0
        block[16 + 32 + 5] = 0x9E; // value 64 + 5 (sub-block 2) = 14; value 96 + 5 (sub-block 3) = 9
        block[16 + 96 + 4] = 0xA0; // value 192 + 4 (sub-block 6) = 0; value 224 + 4 (sub-block 7) = 10
        block[16 + 96 + 9] = 0x0B; // value 192 + 9 (sub-block 6) = 11
        Assert.Equal((3, 2), StoredQ4KNaive.ScaleMin(1, block.AsSpan(4, 12)));
        Assert.Equal((21, 35), StoredQ4KNaive.ScaleMin(6, block.AsSpan(4, 12)));
        Assert.Equal((0.5f * 3 * 0) - (0.25f * 2), StoredRows.Value(StoredType.Q4_K, block, 39));
        Assert.Equal((0.5f * 21 * 11) - (0.25f * 35), StoredRows.Value(StoredType.Q4_K, block, 192 + 9));
        Assert.Equal(-(0.25f * 35), StoredRows.Value(StoredType.Q4_K, block, 192 + 4));
    }

    [Theory]
    [InlineData(256)]
    [InlineData(768)]
    public void Dequantize_matches_the_scalar_decoding_bit_for_bit(int k)
    {
        var row = RandomRows(new Random(k), 3, k);
        int rowBytes = StoredRows.RowBytes(StoredType.Q4_K, k);
        foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
        {
            for (int r = 0; r < 3; r++)
            {
                AssertDecodesAsValues(StoredType.Q4_K, row.AsSpan(r * rowBytes, rowBytes), k, level);
            }
        }
    }

    [Fact]
    public void Activations_quantise_as_llama_cpp_q8_K()
    {
        var x = new float[256];
        x[3] = -1.984375f; // the value of largest magnitude is negative; −127/max = 64 exactly, d = 1/64
        x[4] = 1f;
        x[5] = 2.5f / 64; // 2.5 steps: rounds to even (2)
        x[6] = 3.5f / 64; // 3.5 steps: 4
        var q = new sbyte[256];
        float d = StoredQ4KNaive.QuantizeSuper(x, q);
        Assert.Equal(1f / 64, d);
        Assert.Equal(-127, q[3]);
        Assert.Equal(64, q[4]);
        Assert.Equal(2, q[5]);
        Assert.Equal(4, q[6]);
        Assert.Equal(0, StoredQ4KNaive.QuantizeSuper(new float[256], q));
        Assert.All(q, v => Assert.Equal(0, v));
    }

    [Fact]
    public void Vector_half_decoding_is_exact_for_every_bit_pattern()
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            return; // the scalar decoding's own test covers every pattern
        }

        for (int bits = 0; bits <= ushort.MaxValue; bits += 16)
        {
            var lanes = System.Runtime.Intrinsics.Vector512.Create((uint)bits) + System.Runtime.Intrinsics.Vector512<uint>.Indices;
            var actual = HalfConvert.Widen16(System.Runtime.Intrinsics.Vector512.ShiftRightArithmetic((lanes << 16).AsInt32(), 16).AsUInt32()); // sign-extended, as loaded
            for (int i = 0; i < 16; i++)
            {
                float expected = (float)BitConverter.UInt16BitsToHalf((ushort)(bits + i));
                Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(actual[i]) || (float.IsNaN(expected) && float.IsNaN(actual[i])), $"bits {bits + i:X4}: {expected} vs {actual[i]}");
            }
        }
    }

    /// <summary>The short way of HalfConvert.Widen32 (the interleaved Q4_0 and Q8_0 kernels' scales, every half of a pair
    /// normal): the shift, mask and multiply of WidenFinite16 give the exact float of every finite half (taken for normal
    /// ones only); and Widen32 gives every pattern's float, whichever way it takes.</summary>
    [Fact]
    public void Finite_half_shortcut_is_exact_for_every_finite_pattern()
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            return;
        }

        for (int bits = 0; bits <= ushort.MaxValue; bits += 16)
        {
            var lanes = System.Runtime.Intrinsics.Vector256.Create((ushort)bits) + System.Runtime.Intrinsics.Vector256<ushort>.Indices;
            var actual = HalfConvert.WidenFinite16(lanes);
            for (int i = 0; i < 16; i++)
            {
                var half = BitConverter.UInt16BitsToHalf((ushort)(bits + i));
                if (Half.IsFinite(half))
                {
                    Assert.True(BitConverter.SingleToUInt32Bits((float)half) == BitConverter.SingleToUInt32Bits(actual[i]), $"bits {bits + i:X4}: {(float)half} vs {actual[i]}");
                }
            }
        }

        // Pairs of 32: all normal (the short way) and mixed with zeros, subnormals, infinities and NaNs (the general one).
        for (int bits = 0; bits <= ushort.MaxValue; bits += 32)
        {
            var lanes = System.Runtime.Intrinsics.Vector512.Create((ushort)bits) + System.Runtime.Intrinsics.Vector512<ushort>.Indices;
            var (low, high) = HalfConvert.Widen32(lanes);
            for (int i = 0; i < 32; i++)
            {
                float expected = (float)BitConverter.UInt16BitsToHalf((ushort)(bits + i)), got = i < 16 ? low[i] : high[i - 16];
                Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(got) || (float.IsNaN(expected) && float.IsNaN(got)), $"bits {bits + i:X4}: {expected} vs {got}");
            }
        }
    }

    [Fact]
    public void Activations_quantise_alike_at_every_level()
    {
        // Random values, an all-zero super-block, ties at the largest magnitude (+a first, then −a first), half steps.
        const int k = 6 * 256;
        var x = Rand.Floats(new Random(3), k, 2f);
        Array.Clear(x, 256, 256);
        (x[520], x[530]) = (2.5f, -2.5f);
        (x[800], x[810]) = (-2.75f, 2.75f);
        for (int p = 1024; p < 1280; p++)
        {
            x[p] = (p % 9) - 4 + 0.5f;
        }

        var expected = new sbyte[k];
        var dExpected = new float[k / 256];
        for (int b = 0; b < k / 256; b++)
        {
            dExpected[b] = StoredQ4KNaive.QuantizeSuper(x.AsSpan(b * 256, 256), expected.AsSpan(b * 256, 256));
        }

        foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
        {
            // One buffer: q [k] bytes, then d [k/256] floats, then s [k/32] shorts.
            var buffer = new byte[k + k / 64 + k / 16];
            unsafe
            {
                fixed (float* px = x)
                fixed (byte* p = buffer)
                {
                    StoredQ4K.Quantize(px, k, (sbyte*)p, (float*)(p + k), (short*)(p + k + (k / 64)), Simd.Clamp(level));
                }
            }

            var q = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(buffer.AsSpan(0, k)).ToArray();
            var d = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(buffer.AsSpan(k, k / 64)).ToArray();
            var s = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(buffer.AsSpan(k + (k / 64), k / 16)).ToArray();
            Assert.Equal(expected, q);
            Assert.Equal(dExpected, d);
            for (int j = 0; j < k / 32; j++)
            {
                Assert.Equal(expected.Skip(32 * j).Take(32).Sum(v => v), s[j]);
            }
        }
    }

    [Theory]
    [InlineData(256)]
    [InlineData(2304)]
    public void Repacking_to_the_split_layout_keeps_every_value(int k)
    {
        const int n = 3;
        var gguf = RandomRows(new Random(k), n, k);
        var split = StoredQ4KSplit.Repack(gguf, k);
        Assert.Equal(k / 256 * 148, StoredRows.RowBytes(StoredType.Q4_KSplit, k));
        Assert.Equal(n * StoredRows.RowBytes(StoredType.Q4_KSplit, k), split.Length);
        int ggufBytes = StoredRows.RowBytes(StoredType.Q4_K, k), splitBytes = StoredRows.RowBytes(StoredType.Q4_KSplit, k);
        for (int j = 0; j < n; j++)
        {
            for (int p = 0; p < k; p++)
            {
                Assert.Equal(
                    StoredRows.Value(StoredType.Q4_K, gguf.AsSpan(j * ggufBytes, ggufBytes), p),
                    StoredRows.Value(StoredType.Q4_KSplit, split.AsSpan(j * splitBytes, splitBytes), p));
            }

            foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
            {
                AssertDecodesAsValues(StoredType.Q4_KSplit, split.AsSpan(j * splitBytes, splitBytes), k, level);
            }
        }

        Assert.Throws<ArgumentException>(() => StoredQ4KSplit.Repack(gguf.AsSpan(1), k));
    }

    [Theory]
    [InlineData(1, 256, 1, false)]
    [InlineData(1, 512, 37, false)]
    [InlineData(3, 768, 19, false)]
    [InlineData(4, 256, 9, false)]
    [InlineData(9, 512, 70, false)]
    [InlineData(1, 256, 5, true)]
    [InlineData(1, 768, 37, true)]
    [InlineData(2, 2048, 19, true)] // eight super-blocks: one whole group
    [InlineData(3, 2304, 7, true)] // nine: a second group of one, its mins read past the row into zeroed lanes
    [InlineData(5, 768, 70, true)]
    public void Fast_matches_twins(int m, int k, int n, bool split)
    {
        var rng = new Random((m * 100) + k + n);
        var w = RandomRows(rng, n, k);
        float[] x = Rand.Floats(rng, m * k, 2f), bias = Rand.Floats(rng, n);
        x[7] = 0;
        var naive = new float[m * n];
        StoredMatMulNaive.XWt(x, w, StoredType.Q4_K, bias, naive, m, k, n);
        float[] expected = naive;
        int rowBytes = StoredRows.RowBytes(StoredType.Q4_K, k);
        if (m < StoredMatMul.TileMinRows)
        {
            expected = new float[m * n];
            StoredQ4KNaive.XWtQ8K(x, w, bias, expected, m, k, n);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    // Each x is off by at most half its super-block's step max|x_b|/254; so is the dot by Σ|w|·that.
                    double bound = 1e-5;
                    for (int p = 0; p < k; p++)
                    {
                        float amax = 0;
                        for (int t = p / 256 * 256; t < (p / 256 * 256) + 256; t++)
                        {
                            amax = Math.Max(amax, Math.Abs(x[(i * k) + t]));
                        }

                        bound += Math.Abs(StoredRows.Value(StoredType.Q4_K, w.AsSpan(j * rowBytes, rowBytes), p)) * ((amax / 254.0) + 1e-6);
                    }

                    Assert.True(Math.Abs(expected[(i * n) + j] - naive[(i * n) + j]) <= bound, $"q8_K [{i},{j}]: {expected[(i * n) + j]} vs float32 {naive[(i * n) + j]} (bound {bound})");
                }
            }
        }

        // The split layout (repacked from the same rows) is held to the same twins, which read the GGUF bytes.
        var type = split ? StoredType.Q4_KSplit : StoredType.Q4_K;
        var stored = split ? StoredQ4KSplit.Repack(w, k) : w;
        using var pool = new WorkerPool(3);
        foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
        {
            foreach (var p in new[] { WorkerPool.Single, pool })
            {
                var y = new float[m * n];
                StoredMatMul.Multiply(x, stored, type, bias, y, m, k, n, p, add: false, level);
                Rand.Close(expected, y, 1e-5, 1e-5, $"{type} {level} threads {p.ThreadCount}");
            }
        }
    }
}
