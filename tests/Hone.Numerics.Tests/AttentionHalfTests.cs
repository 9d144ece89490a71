namespace Hone.Numerics.Tests;

/// <summary>The half-precision KV cache: F16 widening against .NET's scalar conversion, and attention over an F16
/// cache against its naive twin, against the F32 kernel on the same values, and against an F32 cache (F16 rounding).</summary>
public sealed class AttentionHalfTests
{
    [Fact]
    public void Widening_matches_the_scalar_conversion_for_every_half()
    {
        var halves = new Half[65536 + 5]; // a tail that is not a whole vector
        for (int i = 0; i < halves.Length; i++)
        {
            halves[i] = BitConverter.UInt16BitsToHalf((ushort)(i % 65536));
        }

        float[] fast = new float[halves.Length], naive = new float[halves.Length];
        HalfConvert.ToSingle(halves, fast);
        HalfConvert.ToSingleNaive(halves, naive);
        for (int i = 0; i < halves.Length; i++)
        {
            if (float.IsNaN(naive[i]))
            {
                Assert.True(float.IsNaN(fast[i]), $"half bits {i % 65536:X4}: NaN expected, got {fast[i]}");
                continue;
            }

            Assert.True(BitConverter.SingleToUInt32Bits(naive[i]) == BitConverter.SingleToUInt32Bits(fast[i]), $"half bits {i % 65536:X4}: {naive[i]} expected, got {fast[i]}");
        }
    }

    [Fact]
    public void Widening_patches_an_infinity_or_nan_among_finite_halves()
    {
        // Each 32 halves finite but one special at a varying place: the vector path must not take those 32 as finite.
        var rng = new Random(11);
        ushort[] specials = [0x7C00, 0xFC00, 0x7E00, 0xFFFF, 0x7C01];
        var halves = new Half[32 * 40 + 7];
        for (int i = 0; i < halves.Length; i++)
        {
            halves[i] = BitConverter.UInt16BitsToHalf((ushort)(rng.Next(0, 0x7C00) | (rng.Next(2) << 15)));
        }

        for (int b = 0; b < 40; b += 2)
        {
            halves[(b * 32) + rng.Next(32)] = BitConverter.UInt16BitsToHalf(specials[b % specials.Length]);
        }

        float[] fast = new float[halves.Length], naive = new float[halves.Length];
        HalfConvert.ToSingle(halves, fast);
        HalfConvert.ToSingleNaive(halves, naive);
        for (int i = 0; i < halves.Length; i++)
        {
            Assert.True(
                float.IsNaN(naive[i]) ? float.IsNaN(fast[i]) : BitConverter.SingleToUInt32Bits(naive[i]) == BitConverter.SingleToUInt32Bits(fast[i]),
                $"index {i}, half bits {BitConverter.HalfToUInt16Bits(halves[i]):X4}: {naive[i]} expected, got {fast[i]}");
        }
    }

    [Fact]
    public void Narrowing_rounds_to_nearest_even_as_the_scalar_cast()
    {
        var rng = new Random(5);
        float[] src = Rand.Floats(rng, 1000, 70000f);
        src[0] = 65520f; // rounds to infinity
        src[1] = 1e-8f;  // a subnormal half
        src[2] = float.NaN;
        var dst = new Half[src.Length];
        HalfConvert.FromSingle(src, dst);
        for (int i = 0; i < src.Length; i++)
        {
            Assert.Equal((Half)src[i], dst[i]);
        }
    }

    [Theory]
    [InlineData(1, 0, 4, 4, 16)]
    [InlineData(1, 37, 4, 4, 64)]
    [InlineData(1, 600, 12, 12, 64)]
    [InlineData(1, 130, 8, 2, 64)]   // grouped KV heads
    [InlineData(3, 21, 6, 3, 8)]     // several decode rows, a head too short for the four-key dot
    [InlineData(2, 50, 4, 2, 80)]    // a head that is not a multiple of 64
    [InlineData(20, 7, 4, 2, 16)]    // the blocked (prompt) path
    [InlineData(40, 70, 2, 1, 64)]
    public void Half_cache_attention_matches_twin_and_the_F32_kernel_on_the_same_values(int tokens, int start, int heads, int kvHeads, int headDim)
    {
        var rng = new Random((tokens * 1000) + start);
        int kvLen = start + tokens;
        float scale = 1f / MathF.Sqrt(headDim);
        float[] q = Rand.Floats(rng, tokens * heads * headDim);
        float[] kf = Rounded(Rand.Floats(rng, kvLen * kvHeads * headDim, 2f)), vf = Rounded(Rand.Floats(rng, kvLen * kvHeads * headDim));
        int capacity = kvLen + 5; // positions past the sequence hold NaN: never read
        Half[] k = HeadMajor(kf, kvHeads, headDim, capacity), v = HeadMajor(vf, kvHeads, headDim, capacity);
        float[] ep = new float[tokens * heads * kvLen], eo = new float[q.Length];
        Attention.ForwardNaive<Half>(q, k, v, default, ep, eo, tokens, start, heads, kvHeads, headDim, capacity, scale);

        // The F32 kernel on the same values (position-major): the same arithmetic in the same order, so the same bits.
        float[] fp = new float[ep.Length], fo = new float[eo.Length];
        Attention.Forward(q, kf, vf, fp, fo, tokens, start, heads, kvHeads, headDim, scale);
        float[]? single = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new WorkerPool(threads);
            float[] p = new float[ep.Length], o = new float[eo.Length];
            p.AsSpan().Fill(float.NaN);
            o.AsSpan().Fill(float.NaN);
            AttentionHalf.Forward(q, k, v, default, p, o, tokens, start, heads, kvHeads, headDim, capacity, scale, pool);
            Rand.Close(ep, p, 1e-5, 1e-6, "probs");
            Rand.Close(eo, o, 1e-5, 1e-5, "output");
            Assert.Equal(fp, p);
            Assert.Equal(fo, o);
            single ??= o;
            Assert.Equal(single, o); // bit-identical whatever the thread count
        }
    }

    [Theory]
    [InlineData(3, 30)]  // decode rows
    [InlineData(24, 9)]  // the blocked path
    public void Half_cache_attention_honours_each_rows_first_visible_key(int tokens, int start)
    {
        const int heads = 4, kvHeads = 2, headDim = 32;
        var rng = new Random(91);
        int kvLen = start + tokens;
        int[] first = new int[tokens];
        for (int t = 0; t < tokens; t++)
        {
            first[t] = Math.Max(0, start + t - 11); // a sliding window of 12 positions
        }

        float[] q = Rand.Floats(rng, tokens * heads * headDim);
        Half[] k = HeadMajor(Rand.Floats(rng, kvLen * kvHeads * headDim), kvHeads, headDim, kvLen);
        Half[] v = HeadMajor(Rand.Floats(rng, kvLen * kvHeads * headDim), kvHeads, headDim, kvLen);
        float[] ep = new float[tokens * heads * kvLen], eo = new float[q.Length], p = new float[ep.Length], o = new float[q.Length];
        Attention.ForwardNaive<Half>(q, k, v, first, ep, eo, tokens, start, heads, kvHeads, headDim, kvLen, 0.2f);
        using var pool = new WorkerPool(2);
        p.AsSpan().Fill(float.NaN);
        AttentionHalf.Forward(q, k, v, first, p, o, tokens, start, heads, kvHeads, headDim, kvLen, 0.2f, pool);
        Rand.Close(ep, p, 1e-5, 1e-6, "probs");
        Rand.Close(eo, o, 1e-5, 1e-5, "output");
        KernelTwinTests.AssertOnlyVisibleKeysWeighted(p, first, tokens, start, heads, kvLen);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public unsafe void Keys_and_values_widened_in_registers_give_the_bits_of_the_widened_tile(bool special)
    {
        // One query head per KV head (the in-register path): the F32 kernel's bits on the same values; an infinity among
        // the keys and a NaN among the values send their tiles through the widening with the patch, as before.
        const int tokens = 1, start = 70, heads = 3, kvHeads = 3, headDim = 128;
        var rng = new Random(special ? 8 : 7);
        int kvLen = start + tokens;
        float[] q = Rand.Floats(rng, tokens * heads * headDim);
        float[] kf = Rounded(Rand.Floats(rng, kvLen * kvHeads * headDim)), vf = Rounded(Rand.Floats(rng, kvLen * kvHeads * headDim));
        if (special)
        {
            kf[(40 * kvHeads * headDim) + 5] = float.PositiveInfinity; // position 40, head 0
            vf[(((66 * kvHeads) + 2) * headDim) + 9] = float.NaN;     // position 66, head 2
        }

        Half[] k = HeadMajor(kf, kvHeads, headDim, kvLen), v = HeadMajor(vf, kvHeads, headDim, kvLen);
        float[] fp = new float[tokens * heads * kvLen], fo = new float[q.Length], p = new float[fp.Length], o = new float[q.Length];
        Attention.Forward(q, kf, vf, fp, fo, tokens, start, heads, kvHeads, headDim, 0.1f);
        AttentionHalf.Forward(q, k, v, default, p, o, tokens, start, heads, kvHeads, headDim, kvLen, 0.1f);
        Assert.Equal(fp, p);
        Assert.Equal(fo, o);
        Assert.Equal(special, float.IsNaN(o[0]) && float.IsNaN(o[(2 * headDim) + 9]));

        // The in-register products alone against widening first (their naive twin).
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated || !System.Runtime.Intrinsics.X86.Avx512BW.IsSupported)
        {
            return;
        }

        float[] wide = new float[kvLen * headDim], w = Rand.Floats(rng, kvLen), expected = Rand.Floats(rng, headDim), actual = (float[])expected.Clone();
        fixed (Half* ph = v)
        fixed (float* pq = q, pw = wide, pwt = w, pe = expected, pa = actual)
        {
            var bits = (ushort*)ph + (kvLen * headDim); // KV head 1: finite
            Assert.True(HalfConvert.AllFinite(bits, kvLen * headDim));
            Assert.Equal(!special, HalfConvert.AllFinite((ushort*)ph + (((2 * kvLen) + 66) * headDim), headDim));
            HalfConvert.Widen(bits, pw, kvLen * headDim);
            for (int j = 0; j + 4 <= kvLen; j += 4)
            {
                var e = HeadVectors.Dot4(pq, pw + (j * headDim), pw + ((j + 1) * headDim), pw + ((j + 2) * headDim), pw + ((j + 3) * headDim), headDim);
                var a = HeadVectors.Dot4Half(pq, bits + (j * headDim), bits + ((j + 1) * headDim), bits + ((j + 2) * headDim), bits + ((j + 3) * headDim), headDim);
                Assert.Equal(e, a);
            }

            HeadVectors.WeightedSumAdd(pwt, kvLen, pw, headDim, pe, headDim);
            HeadVectors.WeightedSumAddHalf(pwt, kvLen, bits, headDim, pa, headDim);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Half_cache_differs_from_an_F32_cache_by_F16_rounding_only()
    {
        // Keys and values rounded to F16 (relative error ≤ 2⁻¹¹ each) move scores of |q|·|k| ≈ 8 by a few 1e-3 and the
        // outputs (convex mixes of values in [-1, 1]) by no more than 4e-3.
        const int tokens = 1, start = 300, heads = 4, kvHeads = 4, headDim = 64;
        var rng = new Random(12);
        int kvLen = start + tokens;
        float[] q = Rand.Floats(rng, tokens * heads * headDim), k = Rand.Floats(rng, kvLen * kvHeads * headDim), v = Rand.Floats(rng, k.Length);
        float[] ep = new float[tokens * heads * kvLen], eo = new float[q.Length], p = new float[ep.Length], o = new float[q.Length];
        Attention.ForwardNaive(q, k, v, default, ep, eo, tokens, start, heads, kvHeads, headDim, 0.125f);
        AttentionHalf.Forward(q, HeadMajor(k, kvHeads, headDim, kvLen), HeadMajor(v, kvHeads, headDim, kvLen), default, p, o, tokens, start, heads, kvHeads, headDim, kvLen, 0.125f);
        Rand.Close(ep, p, 4e-3, 1e-6, "probs");
        Rand.Close(eo, o, 0, 4e-3, "output");
        Assert.NotEqual(eo, o); // the rounding is real: this test would pass vacuously on an F32 cache
    }

    [Fact]
    public void Half_cache_attention_rejects_a_short_cache()
    {
        float[] q = new float[64], p = new float[2], o = new float[64];
        Assert.Throws<ArgumentOutOfRangeException>(() => AttentionHalf.Forward(q, new Half[64], new Half[128], default, p, o, 1, 1, 1, 1, 64, 2, 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => AttentionHalf.Forward(q, new Half[128], new Half[128], default, p, o, 1, 1, 1, 1, 64, 1, 1f)); // capacity below start + tokens
    }

    /// <summary>x rounded to F16 and back (values the half cache holds exactly).</summary>
    private static float[] Rounded(float[] x)
    {
        var h = new Half[x.Length];
        HalfConvert.FromSingle(x, h);
        var f = new float[h.Length];
        HalfConvert.ToSingleNaive(h, f);
        return f;
    }

    /// <summary>A position-major cache x [positions, kvHeads, headDim] as F16, head-major [kvHeads, capacity, headDim];
    /// positions past x's hold NaN.</summary>
    private static Half[] HeadMajor(float[] x, int kvHeads, int headDim, int capacity)
    {
        int positions = x.Length / (kvHeads * headDim);
        var h = new Half[kvHeads * capacity * headDim];
        h.AsSpan().Fill(Half.NaN);
        for (int j = 0; j < positions; j++)
        {
            for (int kvh = 0; kvh < kvHeads; kvh++)
            {
                for (int d = 0; d < headDim; d++)
                {
                    h[(((kvh * capacity) + j) * headDim) + d] = (Half)x[(((j * kvHeads) + kvh) * headDim) + d];
                }
            }
        }

        return h;
    }
}
