using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>
/// The decode (matrix-vector) kernels of <see cref="StoredMatMul"/> for Q8_0 and Q4_0 weights, as llama.cpp runs them:
/// the activation vector is quantised once per call to blocks of 32 signed bytes with a float32 scale
/// (<see cref="Quantize"/>: d = max|x| / 127, q = round-to-even(x / d)), and each weight block meets it in an integer dot
/// product (AVX-VNNI <c>vpdpbusd</c>, else AVX2 <c>vpmaddubsw</c> + <c>vpmaddwd</c>) whose eight int32 lane sums are
/// converted and scaled by d_x and d_w (two broadcast memory operands). Each row is read front to back, one row at a
/// time: a single forward stream is what the hardware prefetchers follow from memory. Q8_0 multiplies |w| (unsigned) by
/// x carrying w's sign, which is exact for every byte, −128 included; Q4_0 multiplies its unsigned nibbles by x and
/// subtracts Σq_x (kept per block) in each of the eight lanes. Integer lane sums are exact; only their float scaling and
/// accumulation differ in order from the naive twin
/// (<see cref="StoredMatMulNaive.XWtInt8"/>).
/// </summary>
internal static unsafe class StoredInt8Dot
{
    /// <summary>Whether the hardware runs the vector path (AVX2; AVX-VNNI when present).</summary>
    internal static bool Vectorised(SimdLevel level) => level >= SimdLevel.Vector256 && Avx2.IsSupported;

    /// <summary>
    /// Quantises x [k] (k a multiple of 32) to q [k] signed bytes, d [k/32] block scales and s [k/32] block sums of q.
    /// Bit-identical at every level (max, one division, one reciprocal, products rounded to even).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Quantize(float* x, int k, sbyte* q, float* d, int* s, SimdLevel level)
    {
        for (int b = 0, p = 0; p < k; b++, p += StoredRows.BlockValues)
        {
            float* xb = x + p;
            if (level == SimdLevel.Vector512 && Avx512F.IsSupported)
            {
                var v0 = Vector512.Load(xb);
                var v1 = Vector512.Load(xb + 16);
                float amax = MaxAcross(Vector512.Max(Vector512.Abs(v0), Vector512.Abs(v1)));
                float scale = amax / 127f, inverse = scale != 0 ? 1f / scale : 0f;
                var iv = Vector512.Create(inverse);
                var i0 = Avx512F.ConvertToVector512Int32(v0 * iv);
                var i1 = Avx512F.ConvertToVector512Int32(v1 * iv);
                Avx512F.ConvertToVector128SByte(i0).Store(q + p);
                Avx512F.ConvertToVector128SByte(i1).Store(q + p + 16);
                d[b] = scale;
                s[b] = Vector512.Sum(i0 + i1);
                continue;
            }

            float m = 0;
            for (int j = 0; j < StoredRows.BlockValues; j++)
            {
                m = MathF.Max(m, MathF.Abs(xb[j]));
            }

            float dd = m / 127f, id = dd != 0 ? 1f / dd : 0f;
            int sum = 0;
            for (int j = 0; j < StoredRows.BlockValues; j++)
            {
                int v = (int)MathF.Round(xb[j] * id, MidpointRounding.ToEven);
                q[p + j] = (sbyte)v;
                sum += v;
            }

            d[b] = dd;
            s[b] = sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxAcross(Vector512<float> v)
    {
        var m256 = Vector256.Max(v.GetLower(), v.GetUpper());
        var m128 = Vector128.Max(m256.GetLower(), m256.GetUpper());
        m128 = Vector128.Max(m128, Vector128.Shuffle(m128, Vector128.Create(2, 3, 0, 1)));
        m128 = Vector128.Max(m128, Vector128.Shuffle(m128, Vector128.Create(1, 0, 3, 2)));
        return m128.ToScalar();
    }

    /// <summary>Every half as a float (256 KiB, as ggml's table): a block's scale is one load. A matrix's scales share a
    /// few exponents, so the lines they touch stay in L1.</summary>
    private static readonly float* HalfTable = BuildHalfTable();

    private static float* BuildHalfTable()
    {
        var table = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (int i = 0; i < 65536; i++)
        {
            table[i] = StoredRows.HalfToSingle((ushort)i);
        }

        return table;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Scale(float* table, byte* block) => table[Unsafe.ReadUnaligned<ushort>(block)];

    /// <summary>Σ_b (Σ_j w_bj·q_bj)·d_wb·d_b over one stored row of k values (Q8_0 or Q4_0) against a quantised vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot(byte* w, sbyte* q, float* d, int* s, int k, StoredType type, SimdLevel level)
        => type == StoredType.Q8_0 ? DotQ8(w, q, d, k / StoredRows.BlockValues, level) : DotQ4(w, q, d, s, k / StoredRows.BlockValues, level);

    /// <summary>Eight int32 partial sums of 32 unsigned × signed byte products (pairs of four).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> DotBytes(Vector256<byte> u, Vector256<sbyte> v, Vector256<short> ones)
    {
        if (AvxVnni.IsSupported)
        {
            return AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, u, v);
        }

        // |u·v| ≤ 255·128 per product would overflow a pair; here u ≤ 128 (|w|) or 15 (nibbles), v ≥ −127: pairs fit.
        return Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, v), ones);
    }

    /// <summary>acc + (eight lane sums of one Q8_0 block at blk against 32 bytes of x at q) · d_x · d_w, lane by lane.
    /// The two scales come straight from memory as broadcast operands: no scalar multiply, no shuffle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q8Block(byte* blk, sbyte* q, float* dx, float* table, Vector256<short> ones, Vector256<float> acc)
    {
        var wv = Vector256.Load((sbyte*)(blk + 2));
        var f = Vector256.ConvertToSingle(DotBytes(Avx2.Abs(wv), Avx2.Sign(Vector256.Load(q), wv), ones)) * Vector256.Create(*dx);
        return Vector256.FusedMultiplyAdd(f, Vector256.Create(Scale(table, blk)), acc);
    }

    /// <summary>As <see cref="Q8Block"/> for a Q4_0 block: nibbles · x, minus the block's Σq_x in each of the eight
    /// lanes (8 · Σq_x in all: the −8 offset of the nibbles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q4Block(
        byte* blk, sbyte* q, float* dx, int* sx, float* table, Vector256<uint> shifts, Vector256<byte> low, Vector256<short> ones,
        Vector256<float> acc)
    {
        var sums = DotBytes(Nibbles(blk + 2, shifts, low), Vector256.Load(q), ones) - Vector256.Create(*sx);
        var f = Vector256.ConvertToSingle(sums) * Vector256.Create(*dx);
        return Vector256.FusedMultiplyAdd(f, Vector256.Create(Scale(table, blk)), acc);
    }

    /// <summary>One Q8_0 row, front to back, four blocks per pass into four accumulators (the FMA latency would
    /// otherwise bound the loop).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ8(byte* w, sbyte* q, float* d, int blocks, SimdLevel level)
    {
        float* table = HalfTable; // read once: inside the loop the class-initialisation check would spill the accumulators
        if (Vectorised(level))
        {
            const int B = StoredRows.Q8_0BlockBytes;
            var ones = Vector256.Create((short)1);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            byte* end = w + ((long)(blocks & ~3) * B);
            for (; w < end; w += 4 * B, q += 128, d += 4)
            {
                a0 = Q8Block(w, q, d, table, ones, a0);
                a1 = Q8Block(w + B, q + 32, d + 1, table, ones, a1);
                a2 = Q8Block(w + (2 * B), q + 64, d + 2, table, ones, a2);
                a3 = Q8Block(w + (3 * B), q + 96, d + 3, table, ones, a3);
            }

            for (int b = blocks & 3; b > 0; b--, w += B, q += 32, d++)
            {
                a0 = Q8Block(w, q, d, table, ones, a0);
            }

            return Vector256.Sum((a0 + a1) + (a2 + a3));
        }

        float r = 0;
        for (int b = 0; b < blocks; b++)
        {
            byte* blk = w + (b * StoredRows.Q8_0BlockBytes);
            sbyte* qb = q + (b * 32);
            int sum = 0;
            for (int j = 0; j < 32; j++)
            {
                sum += (sbyte)blk[2 + j] * qb[j];
            }

            r = MathF.FusedMultiplyAdd(sum, Scale(table, blk) * d[b], r);
        }

        return r;
    }

    /// <summary>One Q4_0 row, as <see cref="DotQ8"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ4(byte* w, sbyte* q, float* d, int* s, int blocks, SimdLevel level)
    {
        float* table = HalfTable;
        if (Vectorised(level))
        {
            const int B = StoredRows.Q4_0BlockBytes;
            var low = Vector256.Create((byte)0x0F);
            var shifts = Vector256.Create(0u, 0, 0, 0, 4, 4, 4, 4);
            var ones = Vector256.Create((short)1);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            byte* end = w + ((long)(blocks & ~3) * B);
            for (; w < end; w += 4 * B, q += 128, d += 4, s += 4)
            {
                a0 = Q4Block(w, q, d, s, table, shifts, low, ones, a0);
                a1 = Q4Block(w + B, q + 32, d + 1, s + 1, table, shifts, low, ones, a1);
                a2 = Q4Block(w + (2 * B), q + 64, d + 2, s + 2, table, shifts, low, ones, a2);
                a3 = Q4Block(w + (3 * B), q + 96, d + 3, s + 3, table, shifts, low, ones, a3);
            }

            for (int b = blocks & 3; b > 0; b--, w += B, q += 32, d++, s++)
            {
                a0 = Q4Block(w, q, d, s, table, shifts, low, ones, a0);
            }

            return Vector256.Sum((a0 + a1) + (a2 + a3));
        }

        float r = 0;
        for (int b = 0; b < blocks; b++)
        {
            byte* blk = w + (b * StoredRows.Q4_0BlockBytes);
            sbyte* qb = q + (b * 32);
            int sum = 0;
            for (int j = 0; j < 16; j++)
            {
                sum += (((blk[2 + j] & 0x0F) - 8) * qb[j]) + (((blk[2 + j] >> 4) - 8) * qb[j + 16]);
            }

            r = MathF.FusedMultiplyAdd(sum, Scale(table, blk) * d[b], r);
        }

        return r;
    }

    /// <summary>The 32 nibbles of a Q4_0 block's 16 bytes in value order (low nibbles, then high), as unsigned bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Nibbles(byte* q, Vector256<uint> shifts, Vector256<byte> low)
    {
        // The 16 bytes in both halves (one broadcast load), the upper half shifted right by 4 (shifts: 0 × 4, 4 × 4), both
        // masked. The caller holds shifts in a register: as a constant here it would be loaded again for every block.
        var both = Avx2.BroadcastVector128ToVector256(q).AsUInt32();
        return Avx2.ShiftRightLogicalVariable(both, shifts).AsByte() & low;
    }
}
