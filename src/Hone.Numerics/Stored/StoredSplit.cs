using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>
/// Q8_0 and Q4_0 rows repacked for the decode kernels (<see cref="StoredType.Q8_0Split"/>, <see cref="StoredType.Q4_0Split"/>):
/// each row holds its nb = k/32 half scales first, then its blocks' quants back to back (Q8_0: 32 signed bytes a block;
/// Q4_0: the block's 16 nibble bytes as GGUF has them). Same bytes as the GGUF row, so a repacked model is no larger.
/// With the quants contiguous, one 512-bit load holds two Q8_0 blocks or four Q4_0 blocks, and the decode dot product
/// (x quantised once per call to int8 blocks, as <see cref="StoredInt8Dot"/>) needs about a quarter of the instructions
/// of the GGUF layout's: Q8_0 widens 32 quants to int16 and meets x widened once per call in <c>vpmaddwd</c>; Q4_0 masks
/// and shifts 64 bytes into 128 nibbles and meets x rearranged once per call (each 128-bit lane: one block's 16 low or
/// 16 high values) in <c>vpmaddubsw</c> + <c>vpmaddwd</c>, the −8 offset subtracted as an integer per block. Each block's
/// integer dot product is exact; the float scaling and the order of accumulation differ from the naive twin
/// (<see cref="StoredMatMulNaive.XWtInt8"/>, which reads either layout) only by rounding. Measured (stored-kernels,
/// one thread, 134M shapes): Q4_0 split 1.2–1.65× the GGUF kernel; Q8_0 split no faster (one block per vector, as the
/// GGUF kernel's 256-bit one), so the loader repacks Q4_0 only.
/// </summary>
public static unsafe class StoredSplit
{
    /// <summary>Whether the split layout's kernels run vectorised here (AVX-512BW); elsewhere the GGUF layout is faster.</summary>
    public static bool Pays => Vector512.IsHardwareAccelerated && Avx512BW.IsSupported;

    /// <summary>The split variant of a GGUF block type (Q8_0, Q4_0).</summary>
    public static StoredType Of(StoredType type) => type switch
    {
        StoredType.Q8_0 => StoredType.Q8_0Split,
        StoredType.Q4_0 => StoredType.Q4_0Split,
        _ => throw new ArgumentException($"{type} has no split layout.", nameof(type)),
    };

    /// <summary>Whether <paramref name="type"/> is a split layout.</summary>
    internal static bool Is(StoredType type) => type is StoredType.Q8_0Split or StoredType.Q4_0Split;

    /// <summary>Repacks <paramref name="rows"/> (whole GGUF rows of k values of <paramref name="type"/>) in place into the
    /// split layout; returns the split type. Shapes: rows [n·RowBytes(type, k)] bytes.</summary>
    public static StoredType Repack(StoredType type, Span<byte> rows, int k)
    {
        var split = Of(type);
        int rowBytes = StoredRows.RowBytes(type, k), nb = k / StoredRows.BlockValues, quant = (rowBytes / nb) - 2;
        if (rows.Length % rowBytes != 0)
        {
            throw new ArgumentException($"{rows.Length} bytes are not whole {type} rows of {k} values ({rowBytes} bytes each).", nameof(rows));
        }

        var copy = new byte[rowBytes];
        for (int r = 0; r < rows.Length; r += rowBytes)
        {
            var row = rows.Slice(r, rowBytes);
            row.CopyTo(copy);
            for (int b = 0; b < nb; b++)
            {
                int at = b * (quant + 2);
                row[2 * b] = copy[at];
                row[(2 * b) + 1] = copy[at + 1];
                copy.AsSpan(at + 2, quant).CopyTo(row[((2 * nb) + (b * quant))..]);
            }
        }

        return split;
    }

    /// <summary>Bytes per row of x that <see cref="Prepare"/> may write beyond the int8 blocks: Q8_0 x widened to int16
    /// (2k); Q4_0 x rearranged (k), then the groups' offsets (16 bytes a block: k/2).</summary>
    internal static long ExtraBytes(int k) => 2L * k;

    /// <summary>x's int8 blocks q [k] (and block sums s [k/32]) laid out for the split kernel of <paramref name="type"/>:
    /// extra [ExtraBytes(k)] bytes.</summary>
    internal static void Prepare(StoredType type, sbyte* q, int* s, int k, byte* extra)
    {
        if (type == StoredType.Q8_0Split)
        {
            var x16 = (short*)extra;
            for (int p = 0; p < k; p++)
            {
                x16[p] = q[p];
            }

            return;
        }

        // Q4_0: groups of four blocks as [four × 16 low values | four × 16 high values] (the lanes of a 64-byte load of
        // their nibbles), then per group 16 ints: 8·Σq of block b in lane 4b (the −8 offset), zero in the others.
        int nb = k / StoredRows.BlockValues, groups = nb / 4;
        var arranged = (sbyte*)extra;
        var offsets = (int*)(extra + k);
        for (int g = 0; g < groups; g++)
        {
            for (int b = 0; b < 4; b++)
            {
                for (int j = 0; j < 16; j++)
                {
                    arranged[(128 * g) + (16 * b) + j] = q[(128 * g) + (32 * b) + j];
                    arranged[(128 * g) + 64 + (16 * b) + j] = q[(128 * g) + (32 * b) + 16 + j];
                }

                int* o = offsets + (16 * g) + (4 * b);
                (o[0], o[1], o[2], o[3]) = (8 * s[(4 * g) + b], 0, 0, 0);
            }
        }
    }

    /// <summary>Σ_b (Σ_j w_bj·q_bj)·d_wb·d_b over one split row of k values against x prepared by <see cref="Prepare"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot(byte* w, StoredType type, sbyte* q, float* d, int* s, byte* extra, int k, SimdLevel level)
    {
        int nb = k / StoredRows.BlockValues;
        var scales = (ushort*)w;
        byte* quants = w + (2 * nb);
        bool q4 = type == StoredType.Q4_0Split;
        if (level != SimdLevel.Vector512 || !Avx512BW.IsSupported || nb < 2)
        {
            return Tail(scales, quants, q4, q, d, s, 0, nb);
        }

        // Sixteen blocks at a time: their scales combined in one register, from which each block's is permuted (a
        // store and reloads through memory would stall on store-to-load forwarding in every row).
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var step = Vector512.Create(q4 ? 4 : 1);
        for (int b = 0; b < nb; b += 16)
        {
            int count = Math.Min(16, nb - b);
            var c = Combine(scales + b, d + b, count);
            if (q4)
            {
                byte* wq = quants + (16 * b);
                var xq = (sbyte*)extra + (32 * b);
                int* o = (int*)(extra + k) + (4 * b);
                if (count == 16)
                {
                    a0 = Q4Group(wq, xq, o, Avx512F.PermuteVar16x32(c, Spread), a0);
                    a1 = Q4Group(wq + 64, xq + 128, o + 16, Avx512F.PermuteVar16x32(c, Spread + Vector512.Create(4)), a1);
                    a2 = Q4Group(wq + 128, xq + 256, o + 32, Avx512F.PermuteVar16x32(c, Spread + Vector512.Create(8)), a2);
                    a3 = Q4Group(wq + 192, xq + 384, o + 48, Avx512F.PermuteVar16x32(c, Spread + Vector512.Create(12)), a3);
                    continue;
                }

                var at = Spread;
                for (int g = 0; g < count / 4; g++, at += step)
                {
                    a0 = Q4Group(wq + (64 * g), xq + (128 * g), o + (16 * g), Avx512F.PermuteVar16x32(c, at), a0);
                }

                continue;
            }

            byte* w8 = quants + (32 * b);
            short* x16 = (short*)extra + (32 * b);
            if (count == 16)
            {
                for (int j = 0; j < 16; j += 4)
                {
                    a0 = Q8Block(w8 + (32 * j), x16 + (32 * j), Avx512F.PermuteVar16x32(c, Vector512.Create(j)), a0);
                    a1 = Q8Block(w8 + (32 * j) + 32, x16 + (32 * j) + 32, Avx512F.PermuteVar16x32(c, Vector512.Create(j + 1)), a1);
                    a2 = Q8Block(w8 + (32 * j) + 64, x16 + (32 * j) + 64, Avx512F.PermuteVar16x32(c, Vector512.Create(j + 2)), a2);
                    a3 = Q8Block(w8 + (32 * j) + 96, x16 + (32 * j) + 96, Avx512F.PermuteVar16x32(c, Vector512.Create(j + 3)), a3);
                }

                continue;
            }

            var lane = Vector512<int>.Zero;
            for (int j = 0; j < count; j++, lane += step)
            {
                a0 = Q8Block(w8 + (32 * j), x16 + (32 * j), Avx512F.PermuteVar16x32(c, lane), a0);
            }
        }

        var sum = (a0 + a1) + (a2 + a3);
        float r = Vector256.Sum(sum.GetLower() + sum.GetUpper());
        int tail = q4 ? nb & ~3 : nb;
        return tail == nb ? r : r + Tail(scales, quants, q4, q, d, s, tail, nb);
    }

    /// <summary>Lane i of a Q4_0 group takes the scale of block i/4.</summary>
    private static Vector512<int> Spread => Vector512.Create(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);

    /// <summary>The half scales h [count ≤ 16] as floats × d [count] (<see cref="HalfConvert.Widen16(Vector512{uint})"/>: exactly <see cref="StoredRows.HalfToSingle"/>),
    /// zero past count. h and d are read 16 values wide (the row's quants follow its scales; x's block scales are
    /// followed by more scratch); lanes past count are zeroed before any arithmetic: left as read they are often
    /// subnormal floats, which cost the multiplier a microcode assist of a hundred cycles or more.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Combine(ushort* h, float* d, int count)
    {
        var live = Vector512.LessThan(Vector512<uint>.Indices, Vector512.Create((uint)count));
        var bits = Avx512F.ConvertToVector512Int32(Vector256.Load((short*)h)).AsUInt32() & live;
        return HalfConvert.Widen16(bits) * (Vector512.Load(d).AsUInt32() & live).AsSingle();
    }

    /// <summary>acc + one Q8_0 block (32 quants at w against x as int16) · its scale c (in every lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Q8Block(byte* w, short* x, Vector512<float> c, Vector512<float> acc)
    {
        var ints = Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)w)), Vector512.Load(x));
        return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(ints), c, acc);
    }

    /// <summary>Four Q4_0 blocks: each 128-bit lane of the 64 nibble bytes is one block, its low nibbles values 0..15 and
    /// its high nibbles 16..31, against x's matching lanes; four int32 partial sums per block (minus 8·Σq in the first),
    /// scaled by the block's scale (c: spread over its lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Q4Group(byte* w, sbyte* x, int* o, Vector512<float> c, Vector512<float> acc)
    {
        var low = Vector512.Create((byte)0x0F);
        var raw = Vector512.Load(w);
        var lo = raw & low;
        var hi = Vector512.ShiftRightLogical(raw.AsUInt16(), 4).AsByte() & low;
        var pairs = Avx512BW.MultiplyAddAdjacent(lo, Vector512.Load(x)) + Avx512BW.MultiplyAddAdjacent(hi, Vector512.Load(x + 64));
        var ints = Avx512BW.MultiplyAddAdjacent(pairs, Vector512.Create((short)1)) - Vector512.Load(o);
        return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(ints), c, acc);
    }

    /// <summary>Blocks [b0, b1) one by one in scalar code, against x's int8 blocks q in natural order.</summary>
    private static float Tail(ushort* scales, byte* quants, bool q4, sbyte* q, float* d, int* s, int b0, int b1)
    {
        float r = 0;
        for (int b = b0; b < b1; b++)
        {
            sbyte* qb = q + (32 * b);
            int sum = 0;
            if (q4)
            {
                byte* blk = quants + (16 * b);
                for (int j = 0; j < 16; j++)
                {
                    sum += ((blk[j] & 0x0F) * qb[j]) + ((blk[j] >> 4) * qb[j + 16]);
                }

                sum -= 8 * s[b];
            }
            else
            {
                var blk = (sbyte*)quants + (32 * b);
                for (int j = 0; j < 32; j++)
                {
                    sum += blk[j] * qb[j];
                }
            }

            r = MathF.FusedMultiplyAdd(sum, StoredRows.HalfToSingle(scales[b]) * d[b], r);
        }

        return r;
    }
}
