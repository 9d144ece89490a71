using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>
/// Q4_K matrices with 16 rows interleaved (<see cref="StoredType.Q4_Kx16"/>), built from the split layout
/// (<see cref="StoredQ4KSplit"/>: scales and mins decoded to bytes) as <see cref="StoredQ4x16"/> is from Q4_0: a decode
/// step reads a group of 16 rows in one forward stream, x's loads serve all 16 and the 16 results fill one vector (no
/// per-row call, horizontal sum or scale conversion: at k = 768 a split row has only three super-blocks to spread those
/// over). 148 bytes per 256 values, as the split layout. A matrix of n rows (a multiple of 16) and k values a row (a
/// multiple of 256) is n/16 groups; each super-block b of a group takes 2368 bytes: the 16 rows' (d, dmin) halves
/// (4 bytes a row: lane r of a 64-byte load), their eight 6-bit scales (16 bytes per sub-block t: byte r is row r's),
/// their mins (32 bytes per pair of sub-blocks: row r's two at 2r), then per sub-block t 256 nibble bytes: four 64-byte
/// chunks c whose 4-byte lane r holds values 4c..4c+3 of row r's sub-block in its low nibbles and 16 + 4c..16 + 4c + 3
/// in its high ones. Against x quantised to llama.cpp's q8_K (<see cref="StoredQ4K.Quantize"/>: q in natural order),
/// each chunk meets four bytes of x broadcast to every lane in <c>vpmaddubsw</c>; a sub-block's eight products add up
/// in 16 bits (8·2·15·128 &lt; 2^15), one <c>vpmaddwd</c> by the rows' scales gives Σ scale·Σ q4·q8, one per pair of
/// sub-blocks the mins' Σ min·Σ q8. The integer sums are the twin's (<see cref="StoredQ4KNaive.XWtQ8K"/>); the float
/// scaling and its order differ only by rounding.
/// </summary>
public static unsafe class StoredQ4Kx16
{
    private const int Rows = StoredInterleaved.Rows;

    /// <summary>Bytes of one super-block of the 16 rows of a group.</summary>
    private const int SuperGroupBytes = Rows * StoredQ4KSplit.SuperBytes;

    /// <summary>How far ahead the decode kernel prefetches: two super-blocks of the group (4.6 KiB). One super-block ahead
    /// (as before) or none lost to the stream from memory (stored-kernels from memory, one thread, q4_kx: none 15-18 GB/s,
    /// one 20-26, two 27-31, four 25-35 and unsteady, on a loaded 2-core host; <c>prefetchnta</c> instead decoded the
    /// 134M Llama 15% slower). Q4_0x16 and BF16 prefetch by <see cref="StreamPrefetch"/>.</summary>
    private const long PrefetchAhead = 2L * SuperGroupBytes;

    private const int ScalesAt = 4 * Rows, MinsAt = ScalesAt + (8 * Rows), NibblesAt = MinsAt + (8 * Rows);

    /// <summary>Whether the interleaved kernel runs vectorised here (AVX-512BW).</summary>
    public static bool Pays => Vector512.IsHardwareAccelerated && Avx512BW.IsSupported;

    /// <summary>Offset in a split row of B super-blocks of the byte holding value l of sub-block t of super-block b, and
    /// the nibble's shift (<see cref="StoredQ4KSplit"/>'s order).</summary>
    private static (int At, int Shift) SplitNibble(int supers, int b, int t, int l)
        => ((20 * supers) + (128 * b) + (64 * (l / 16)) + (8 * t) + (l % 8), 4 * ((l / 8) % 2));

    /// <summary>Offset in a group's super-block of the byte holding value l of sub-block t of row r, and its shift.</summary>
    private static (int At, int Shift) GroupNibble(int r, int t, int l)
        => (NibblesAt + (256 * t) + (64 * ((l % 16) / 4)) + (4 * r) + (l % 4), 4 * (l / 16));

    /// <summary>Interleaves split Q4_K rows (<see cref="StoredQ4KSplit.Repack(ReadOnlySpan{byte}, int)"/>; n whole rows of
    /// k values, n and k as <see cref="StoredInterleaved.Fits"/>) into <paramref name="into"/> [as many bytes] (overwritten).</summary>
    public static void Interleave(ReadOnlySpan<byte> split, int k, Span<byte> into)
    {
        int rowBytes = StoredRows.RowBytes(StoredType.Q4_KSplit, k), supers = k / StoredQ4K.SuperValues;
        int n = StoredInterleaved.Check(StoredType.Q4_Kx16, split.Length, into.Length, k);
        into.Clear();
        for (int j = 0; j < n; j++)
        {
            var row = split.Slice(j * rowBytes, rowBytes);
            int r = j % Rows;
            for (int b = 0; b < supers; b++)
            {
                var to = into.Slice(((j / Rows) * supers * SuperGroupBytes) + (b * SuperGroupBytes), SuperGroupBytes);
                row.Slice(4 * b, 4).CopyTo(to[(4 * r)..]);
                for (int t = 0; t < 8; t++)
                {
                    to[ScalesAt + (16 * t) + r] = row[(4 * supers) + (8 * b) + t];
                    to[MinsAt + (32 * (t / 2)) + (2 * r) + (t % 2)] = row[(12 * supers) + (8 * b) + t];
                    for (int l = 0; l < 32; l++)
                    {
                        var (from, fs) = SplitNibble(supers, b, t, l);
                        var (at, s) = GroupNibble(r, t, l);
                        to[at] |= (byte)(((row[from] >> fs) & 0x0F) << s);
                    }
                }
            }
        }
    }

    /// <summary>Row <paramref name="j"/> of an interleaved matrix as its split bytes: dst [RowBytes(Q4_KSplit, k)].</summary>
    internal static void RowToSplit(byte* matrix, int k, int j, byte* dst)
    {
        int supers = k / StoredQ4K.SuperValues, r = j % Rows;
        byte* group = matrix + ((long)(j / Rows) * supers * SuperGroupBytes);
        new Span<byte>(dst, supers * StoredQ4KSplit.SuperBytes).Clear();
        for (int b = 0; b < supers; b++)
        {
            byte* from = group + (b * SuperGroupBytes);
            Unsafe.WriteUnaligned(dst + (4 * b), Unsafe.ReadUnaligned<uint>(from + (4 * r)));
            for (int t = 0; t < 8; t++)
            {
                dst[(4 * supers) + (8 * b) + t] = from[ScalesAt + (16 * t) + r];
                dst[(12 * supers) + (8 * b) + t] = from[MinsAt + (32 * (t / 2)) + (2 * r) + (t % 2)];
                for (int l = 0; l < 32; l++)
                {
                    var (at, s) = GroupNibble(r, t, l);
                    var (to, ts) = SplitNibble(supers, b, t, l);
                    dst[to] |= (byte)(((from[at] >> s) & 0x0F) << ts);
                }
            }
        }
    }

    /// <summary>Row <paramref name="j"/> decoded to float32 into dst [k], equal bit for bit to its split row's decoding;
    /// <paramref name="scratch"/> holds RowBytes(Q4_KSplit, k) bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DequantizeRow(byte* matrix, int k, int j, byte* scratch, float* dst, SimdLevel level)
    {
        if (level != SimdLevel.Vector512 || !Avx512F.IsSupported)
        {
            RowToSplit(matrix, k, j, scratch);
            StoredQ4KSplit.Dequantize(scratch, dst, k, level);
            return;
        }

        // Straight from the group: a sub-block's 16 nibble bytes are four 4-byte lanes (low nibbles values 0..15, high
        // 16..31), each value (d·scale)·q − dmin·min as the split layout's decoding computes it.
        int supers = k / StoredQ4K.SuperValues, r = j % Rows;
        byte* w = matrix + ((long)(j / Rows) * supers * SuperGroupBytes);
        var low = Vector128.Create((byte)0x0F);
        for (int b = 0; b < supers; b++, w += SuperGroupBytes, dst += StoredQ4K.SuperValues)
        {
            float d = StoredRows.HalfToSingle(Unsafe.ReadUnaligned<ushort>(w + (4 * r)));
            float dmin = StoredRows.HalfToSingle(Unsafe.ReadUnaligned<ushort>(w + (4 * r) + 2));
            for (int t = 0; t < 8; t++)
            {
                var dv = Vector512.Create(d * w[ScalesAt + (16 * t) + r]);
                var mv = Vector512.Create(dmin * w[MinsAt + (32 * (t / 2)) + (2 * r) + (t % 2)]);
                byte* nib = w + NibblesAt + (256 * t) + (4 * r);
                var raw = Vector128.Create(
                    Unsafe.ReadUnaligned<uint>(nib), Unsafe.ReadUnaligned<uint>(nib + 64), Unsafe.ReadUnaligned<uint>(nib + 128), Unsafe.ReadUnaligned<uint>(nib + 192)).AsByte();
                var lo = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(raw & low));
                var hi = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.ShiftRightLogical(raw, 4)));
                ((lo * dv) - mv).Store(dst + (32 * t));
                ((hi * dv) - mv).Store(dst + (32 * t) + 16);
            }
        }
    }

    /// <summary>
    /// y [16] = the 16 rows of the group at <paramref name="w"/> · x quantised by <see cref="StoredQ4K.Quantize"/>
    /// (q [k], d [k/256], s [k/32] sums of q per sub-block).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Dot(byte* w, sbyte* q, float* d, short* s, int k, float* y, SimdLevel level)
    {
        int supers = k / StoredQ4K.SuperValues;
        if (level != SimdLevel.Vector512 || !Avx512BW.IsSupported)
        {
            Scalar(w, q, d, s, k, y);
            return;
        }

        var low = Vector512.Create((byte)0x0F);
        Vector512<float> acc = default, accm = default;
        for (int b = 0; b < supers; b++, w += SuperGroupBytes, q += StoredQ4K.SuperValues, s += 8)
        {
            // Read in address order (the halves, the scales' lines, the mins, then the nibbles), the super-block two
            // ahead prefetched a line for every line read (PrefetchAhead).
            // The header's five lines (NibblesAt = 320 bytes), unrolled: a loop cost as many instructions again.
            byte* ahead = w + PrefetchAhead;
            Sse.Prefetch0(ahead);
            Sse.Prefetch0(ahead + 64);
            Sse.Prefetch0(ahead + 128);
            Sse.Prefetch0(ahead + 192);
            Sse.Prefetch0(ahead + 256);

            var halves = Vector512.Load((uint*)w);
            var scales0 = Vector512.Load(w + ScalesAt);
            var scales1 = Vector512.Load(w + ScalesAt + 64);
            Vector512<int> sumi = default, summ = default;
            for (int u = 0; u < 4; u++)
            {
                var m = Avx512BW.ConvertToVector512Int16(Vector256.Load(w + MinsAt + (32 * u)));
                summ += Avx512BW.MultiplyAddAdjacent(m, Vector512.Create(Unsafe.ReadUnaligned<int>(s + (2 * u))).AsInt16());
            }

            byte* nib = w + NibblesAt;
            sumi += SubBlock(nib, q, low, scales0.GetLower().GetLower());
            sumi += SubBlock(nib + 256, q + 32, low, scales0.GetLower().GetUpper());
            sumi += SubBlock(nib + 512, q + 64, low, scales0.GetUpper().GetLower());
            sumi += SubBlock(nib + 768, q + 96, low, scales0.GetUpper().GetUpper());
            sumi += SubBlock(nib + 1024, q + 128, low, scales1.GetLower().GetLower());
            sumi += SubBlock(nib + 1280, q + 160, low, scales1.GetLower().GetUpper());
            sumi += SubBlock(nib + 1536, q + 192, low, scales1.GetUpper().GetLower());
            sumi += SubBlock(nib + 1792, q + 224, low, scales1.GetUpper().GetUpper());
            var dx = Vector512.Create(d[b]);
            acc = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(sumi), HalfConvert.Widen16(halves) * dx, acc);
            accm = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(summ), HalfConvert.Widen16(halves >> 16) * dx, accm);
        }

        (acc - accm).Store(y);
    }

    /// <summary>Σ scale·Σ q4·q8 of one sub-block of the 16 rows (256 nibble bytes at nib) against x's 32 values at x;
    /// sc: the 16 rows' scales.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> SubBlock(byte* nib, sbyte* x, Vector512<byte> low, Vector128<byte> sc)
    {
        Sse.Prefetch0(nib + PrefetchAhead);
        Sse.Prefetch0(nib + PrefetchAhead + 64);
        Sse.Prefetch0(nib + PrefetchAhead + 128);
        Sse.Prefetch0(nib + PrefetchAhead + 192);
        var r0 = Vector512.Load(nib);
        var r1 = Vector512.Load(nib + 64);
        var r2 = Vector512.Load(nib + 128);
        var r3 = Vector512.Load(nib + 192);
        var p = Avx512BW.MultiplyAddAdjacent(r0 & low, X4(x))
            + Avx512BW.MultiplyAddAdjacent(Vector512.ShiftRightLogical(r0.AsUInt16(), 4).AsByte() & low, X4(x + 16))
            + Avx512BW.MultiplyAddAdjacent(r1 & low, X4(x + 4))
            + Avx512BW.MultiplyAddAdjacent(Vector512.ShiftRightLogical(r1.AsUInt16(), 4).AsByte() & low, X4(x + 20))
            + Avx512BW.MultiplyAddAdjacent(r2 & low, X4(x + 8))
            + Avx512BW.MultiplyAddAdjacent(Vector512.ShiftRightLogical(r2.AsUInt16(), 4).AsByte() & low, X4(x + 24))
            + Avx512BW.MultiplyAddAdjacent(r3 & low, X4(x + 12))
            + Avx512BW.MultiplyAddAdjacent(Vector512.ShiftRightLogical(r3.AsUInt16(), 4).AsByte() & low, X4(x + 28));
        var s = Avx512F.ConvertToVector512Int32(sc).AsUInt32();
        return Avx512BW.MultiplyAddAdjacent(p, (s | (s << 16)).AsInt16());
    }

    /// <summary>Four bytes of x in every 32-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<sbyte> X4(sbyte* q) => Vector512.Create(Unsafe.ReadUnaligned<int>(q)).AsSByte();

    /// <summary>The scalar path: each row gathered back to its split bytes and taken by the split layout's scalar dot.</summary>
    private static void Scalar(byte* w, sbyte* q, float* d, short* s, int k, float* y)
    {
        int rowBytes = StoredRows.RowBytes(StoredType.Q4_KSplit, k);
        Span<byte> row = rowBytes <= 16384 ? stackalloc byte[rowBytes] : new byte[rowBytes];
        fixed (byte* r = row)
        {
            for (int j = 0; j < Rows; j++)
            {
                RowToSplit(w, k, j, r);
                y[j] = StoredQ4KSplit.Dot(r, q, d, s, null, k, SimdLevel.Scalar);
            }
        }
    }
}
