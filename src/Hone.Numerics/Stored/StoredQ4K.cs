using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>
/// The kernels of <see cref="StoredType.Q4_K"/> rows (ggml's block_q4_K: super-blocks of 256 values in 144 bytes; half d
/// and dmin, twelve bytes of 6-bit scales and mins for eight sub-blocks of 32, 128 bytes of nibbles, each 32 bytes two
/// sub-blocks: low nibbles the first, high nibbles the second; value = d·scale_j·q − dmin·min_j).
/// Decoding to float32 (<see cref="Dequantize"/>: the scalar reference <see cref="Value"/>, bit for bit) serves the
/// matrix-matrix path and embedding rows. The decode (matrix-vector) path runs as llama.cpp's does: x quantised once per
/// call to llama.cpp's q8_K (<see cref="Quantize"/>: per 256 values d = max/−127 with max the value of largest magnitude,
/// q = round-to-even(x/d), kept with the sums of q over each sub-block of 32), then per super-block the exact integers
/// Σ_j scale_j·Σ q4·q8 and Σ_j min_j·Σ q8, scaled by d_w·d_x and dmin_w·d_x. The vector path takes two sub-blocks per
/// 512-bit step (AVX-512BW <c>vpmaddubsw</c>, then <c>vpmaddwd</c> by the sub-blocks' scales); AVX2 one per 256-bit step.
/// Where AVX-512BW runs, the model loader repacks Q4_K rows to <see cref="StoredQ4KSplit"/>, whose kernel does about a
/// third of this one's work per super-block; this layout serves the other machines. The twin is
/// <see cref="StoredQ4KNaive.XWtQ8K"/>.
/// </summary>
internal static unsafe class StoredQ4K
{
    /// <summary>Values per super-block.</summary>
    public const int SuperValues = 256;

    /// <summary>Bytes per super-block.</summary>
    public const int SuperBytes = 144;

    /// <summary>Sub-blocks (of 32 values) per super-block.</summary>
    public const int SubBlocks = 8;

    /// <summary>All eight scales (bytes 0..7) and all eight mins of a super-block's 12 packed bytes, at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong Scales, ulong Mins) Unpack(byte* s)
    {
        uint u0 = Unsafe.ReadUnaligned<uint>(s), u1 = Unsafe.ReadUnaligned<uint>(s + 4), u2 = Unsafe.ReadUnaligned<uint>(s + 8);
        uint scLow = u0 & 0x3F3F3F3F, mLow = u1 & 0x3F3F3F3F;
        uint scHigh = (u2 & 0x0F0F0F0F) | (((u0 >> 6) & 0x03030303) << 4);
        uint mHigh = ((u2 >> 4) & 0x0F0F0F0F) | (((u1 >> 6) & 0x03030303) << 4);
        return (scLow | ((ulong)scHigh << 32), mLow | ((ulong)mHigh << 32));
    }

    /// <summary>Value <paramref name="index"/> of a Q4_K row (the scalar reference): (d·scale)·q − dmin·min.</summary>
    internal static float Value(ReadOnlySpan<byte> row, int index)
    {
        int b = index / SuperValues * SuperBytes, i = index % SuperValues, j = i / 32, c = i / 64, l = i % 32;
        fixed (byte* blk = row[b..])
        {
            var (sc, m) = StoredQ4KNaive.ScaleMin(j, new ReadOnlySpan<byte>(blk + 4, 12));
            float d = Half(blk), dmin = Half(blk + 2);
            int q = blk[16 + (32 * c) + l];
            q = j % 2 == 0 ? q & 0x0F : q >> 4;
            return ((d * sc) * q) - (dmin * m);
        }
    }

    /// <summary>Decodes one row of k values (k a multiple of 256) into dst [k], equal bit for bit to <see cref="Value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Dequantize(byte* w, float* dst, int k, SimdLevel level)
    {
        bool wide = level == SimdLevel.Vector512 && Avx512F.IsSupported;
        for (int p = 0; p < k; p += SuperValues, w += SuperBytes)
        {
            float d = Half(w), dmin = Half(w + 2);
            for (int j = 0; j < SubBlocks; j++)
            {
                var (sc, m) = StoredQ4KNaive.ScaleMin(j, new ReadOnlySpan<byte>(w + 4, 12));
                float dj = d * sc, mj = dmin * m;
                byte* q = w + 16 + (32 * (j / 2));
                float* y = dst + p + (32 * j);
                int shift = 4 * (j % 2);
                if (wide)
                {
                    var dv = Vector512.Create(dj);
                    var mv = Vector512.Create(mj);
                    var mask = Vector128.Create((byte)0x0F);
                    var q0 = Vector128.ShiftRightLogical(Vector128.Load(q).AsUInt16(), shift).AsByte() & mask;
                    var q1 = Vector128.ShiftRightLogical(Vector128.Load(q + 16).AsUInt16(), shift).AsByte() & mask;
                    ((Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(q0)) * dv) - mv).Store(y);
                    ((Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(q1)) * dv) - mv).Store(y + 16);
                    continue;
                }

                for (int l = 0; l < 32; l++)
                {
                    y[l] = (dj * ((q[l] >> shift) & 0x0F)) - mj;
                }
            }
        }
    }

    /// <summary>
    /// Quantises x [k] (k a multiple of 256) to llama.cpp's q8_K: q [k] signed bytes, d [k/256] scales (d = max/−127 with
    /// max the value of largest magnitude, the first such; 0 and zeros for an all-zero block; q = min(127,
    /// round-to-even(x·(−127/max)))), and s [k/32] sums of q over each sub-block of 32. The 512-bit path does the same
    /// operations per value, sixteen at a time (equal bit for bit to <see cref="StoredQ4KNaive.QuantizeSuper"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Quantize(float* x, int k, sbyte* q, float* d, short* s, SimdLevel level)
    {
        bool wide = level == SimdLevel.Vector512 && Avx512BW.IsSupported;
        for (int b = 0; b < k / SuperValues; b++, x += SuperValues, q += SuperValues)
        {
            if (wide)
            {
                d[b] = QuantizeSuper512(x, q, s + (b * SubBlocks));
                continue;
            }

            d[b] = StoredQ4KNaive.QuantizeSuper(new ReadOnlySpan<float>(x, SuperValues), new Span<sbyte>(q, SuperValues));
            for (int j = 0; j < SubBlocks; j++)
            {
                int sum = 0;
                for (int l = 0; l < 32; l++)
                {
                    sum += q[(32 * j) + l];
                }

                s[(b * SubBlocks) + j] = (short)sum;
            }
        }
    }

    /// <summary>One super-block of <see cref="Quantize"/>, sixteen values at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float QuantizeSuper512(float* x, sbyte* q, short* s)
    {
        var amax = Vector512<float>.Zero;
        for (int p = 0; p < SuperValues; p += 16)
        {
            amax = Avx512F.Max(Vector512.Abs(Vector512.Load(x + p)), amax); // a NaN lane keeps amax, as the scalar '>' does
        }

        float top = Max(amax);
        if (top == 0)
        {
            new Span<sbyte>(q, SuperValues).Clear();
            new Span<short>(s, SubBlocks).Clear();
            return 0;
        }

        // The first value whose magnitude is the largest (its sign decides the scale's).
        var target = Vector512.Create(top);
        int at = 0;
        while (!Vector512.EqualsAny(Vector512.Abs(Vector512.Load(x + at)), target))
        {
            at += 16;
        }

        at += BitOperations.TrailingZeroCount(Vector512.Equals(Vector512.Abs(Vector512.Load(x + at)), target).ExtractMostSignificantBits());
        float iscale = -127f / x[at];
        var scale = Vector512.Create(iscale);
        var cap = Vector512.Create(127);
        for (int j = 0; j < SubBlocks; j++)
        {
            var a = Vector512.Min(Vector512.ConvertToInt32(Vector512.Round(Vector512.Load(x + (32 * j)) * scale)), cap);
            var c = Vector512.Min(Vector512.ConvertToInt32(Vector512.Round(Vector512.Load(x + (32 * j) + 16) * scale)), cap);
            Avx512F.ConvertToVector128SByte(a).Store(q + (32 * j));
            Avx512F.ConvertToVector128SByte(c).Store(q + (32 * j) + 16);
            s[j] = (short)Vector512.Sum(a + c);
        }

        return 1 / iscale;
    }

    /// <summary>The largest lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Max(Vector512<float> v)
    {
        var h = Vector256.Max(v.GetLower(), v.GetUpper());
        var f = Vector128.Max(h.GetLower(), h.GetUpper());
        f = Vector128.Max(f, Vector128.Shuffle(f, Vector128.Create(2, 3, 0, 1)));
        return MathF.Max(f.GetElement(0), f.GetElement(1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Half(byte* p) => StoredRows.HalfToSingle(Unsafe.ReadUnaligned<ushort>(p));

    /// <summary>Whether <paramref name="level"/> runs the 512-bit path.</summary>
    private static bool Wide(SimdLevel level) => level == SimdLevel.Vector512 && Avx512BW.IsSupported;

    /// <summary>Σ over the super-blocks of one Q4_K row of k values against x quantised by <see cref="Quantize"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot(byte* w, sbyte* q, float* d, short* s, int k, SimdLevel level)
    {
        int supers = k / SuperValues;
        if (Wide(level))
        {
            return Dot512(w, q, d, s, supers);
        }

        if (level >= SimdLevel.Vector256 && Avx2.IsSupported)
        {
            return Dot256(w, q, d, s, supers);
        }

        float r = 0;
        for (int b = 0; b < supers; b++, w += SuperBytes, q += SuperValues, s += SubBlocks)
        {
            int sumi = 0, summ = 0;
            for (int j = 0; j < SubBlocks; j++)
            {
                var (sc, m) = StoredQ4KNaive.ScaleMin(j, new ReadOnlySpan<byte>(w + 4, 12));
                byte* nib = w + 16 + (32 * (j / 2));
                int shift = 4 * (j % 2), dot = 0;
                for (int l = 0; l < 32; l++)
                {
                    dot += ((nib[l] >> shift) & 0x0F) * q[(32 * j) + l];
                }

                sumi += sc * dot;
                summ += m * s[j];
            }

            r = MathF.FusedMultiplyAdd(Half(w) * d[b], sumi, r);
            r = MathF.FusedMultiplyAdd(-Half(w + 2) * d[b], summ, r);
        }

        return r;
    }

    /// <summary>Σ_j min_j·s_j of one super-block: the eight mins (bytes) times the eight sub-block sums of q, exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MinSum(ulong mins, short* s)
    {
        var m = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(mins).AsByte());
        return Vector128.Sum(Sse2.MultiplyAddAdjacent(m, Vector128.Load(s)));
    }

    /// <summary>Two sub-blocks per step: the 32 bytes of nibbles as 64 unsigned bytes (low nibbles, then high), against
    /// 64 bytes of q; pairs summed to 16-bit (≤ 2·15·127), then pairs of those times the sub-blocks' scales to 32-bit.
    /// The integer sum of a super-block is exact; one conversion and one FMA per super-block, the mins in a scalar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot512(byte* w, sbyte* q, float* d, short* s, int supers)
    {
        var low = Vector256.Create((byte)0x0F);
        var i0 = Vector512.Create((short)0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        var two = Vector512.Create((short)2);
        Vector512<float> acc = default;
        float mins = 0;
        for (int b = 0; b < supers; b++, w += SuperBytes, q += SuperValues, s += SubBlocks)
        {
            var (sc, mn) = Unpack(w + 4);
            var scales = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(sc).AsByte()).ToVector256Unsafe().ToVector512Unsafe();
            Vector512<int> sum = default;
            var idx = i0;
            for (int c = 0; c < 4; c++, idx += two)
            {
                var raw = Vector256.Load(w + 16 + (32 * c));
                var nibbles = Vector512.Create(raw & low, Vector256.ShiftRightLogical(raw.AsUInt16(), 4).AsByte() & low);
                var pairs = Avx512BW.MultiplyAddAdjacent(nibbles, Vector512.Load(q + (64 * c)));
                sum += Avx512BW.MultiplyAddAdjacent(pairs, Avx512BW.PermuteVar32x16(scales, idx));
            }

            float dx = d[b];
            acc = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(sum), Vector512.Create(Half(w) * dx), acc);
            mins = MathF.FusedMultiplyAdd(Half(w + 2) * dx, MinSum(mn, s), mins);
        }

        return Vector512.Sum(acc) - mins;
    }

    /// <summary>As <see cref="Dot512"/>, one sub-block per 256-bit step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot256(byte* w, sbyte* q, float* d, short* s, int supers)
    {
        var low = Vector256.Create((byte)0x0F);
        Vector256<float> acc = default;
        float mins = 0;
        for (int b = 0; b < supers; b++, w += SuperBytes, q += SuperValues, s += SubBlocks)
        {
            var (sc, mn) = Unpack(w + 4);
            Vector256<int> sum = default;
            for (int c = 0; c < 4; c++)
            {
                var raw = Vector256.Load(w + 16 + (32 * c));
                var lo = Avx2.MultiplyAddAdjacent(raw & low, Vector256.Load(q + (64 * c)));
                var hi = Avx2.MultiplyAddAdjacent(Vector256.ShiftRightLogical(raw.AsUInt16(), 4).AsByte() & low, Vector256.Load(q + (64 * c) + 32));
                sum += Avx2.MultiplyAddAdjacent(lo, Vector256.Create((short)(byte)(sc >> (16 * c))));
                sum += Avx2.MultiplyAddAdjacent(hi, Vector256.Create((short)(byte)(sc >> ((16 * c) + 8))));
            }

            float dx = d[b];
            acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), Vector256.Create(Half(w) * dx), acc);
            mins = MathF.FusedMultiplyAdd(Half(w + 2) * dx, MinSum(mn, s), mins);
        }

        return Vector256.Sum(acc) - mins;
    }
}
