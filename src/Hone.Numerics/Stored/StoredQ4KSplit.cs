using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>
/// Q4_K rows repacked at load for the decode kernel (<see cref="StoredType.Q4_KSplit"/>): a row of B = k/256 super-blocks
/// holds B pairs of half (d, dmin) (4B bytes), then B × 8 scale bytes, B × 8 min bytes (the 6-bit values decoded once),
/// then B × 128 nibble bytes: 148 bytes per 256 values (4.625 bits per weight; GGUF's Q4_K: 144, 4.5). Each super-block's
/// nibbles are two 64-byte groups L = 0, 1 whose 8-byte lane t (byte 8t + u) holds value 16L + u of sub-block t in its
/// low nibble and value 16L + 8 + u in its high nibble. Every 8-byte lane of every load thus belongs to one sub-block,
/// the same one in all four 64-value halves of a super-block: their <c>vpmaddubsw</c> products against x (quantised to
/// llama.cpp's q8_K and laid out to match once per call, <see cref="Prepare"/>) add up in 16 bits (4·2·15·127 &lt; 2^15),
/// and one <c>vpmaddwd</c> by the eight scales spread over the lanes gives the super-block's exact Σ_j scale_j·Σ q4·q8.
/// The mins term Σ_j min_j·Σ q8 takes one <c>vpmaddwd</c> per four super-blocks; d·d_x and dmin·d_x are formed sixteen
/// at a time. The integer sums are those of the twin <see cref="StoredQ4KNaive.XWtQ8K"/> (which reads the GGUF bytes the
/// rows were repacked from); the float scaling and its order differ only by rounding.
/// </summary>
public static unsafe class StoredQ4KSplit
{
    /// <summary>Bytes per super-block of the split layout.</summary>
    public const int SuperBytes = 148;

    /// <summary>Bytes of x's extra preparation per row of k values: the rearranged q8 (k), then d_x twice per super-block
    /// (2·k/256 floats) and 16 floats of padding that the kernel's 16-wide loads may touch; rounded up to 64 bytes, so
    /// every row's rearranged q8 starts on a cache line.</summary>
    internal static long ExtraBytes(int k) => (k + (4L * ((2 * (k / StoredQ4K.SuperValues)) + 16)) + 63) & ~63L;

    /// <summary>Repacks GGUF Q4_K rows (whole rows of k values) into a new array in the split layout.
    /// Shapes: rows [n·RowBytes(Q4_K, k)] bytes; returns [n·RowBytes(Q4_KSplit, k)] bytes.</summary>
    public static byte[] Repack(ReadOnlySpan<byte> rows, int k)
    {
        int src = StoredRows.RowBytes(StoredType.Q4_K, k), dst = StoredRows.RowBytes(StoredType.Q4_KSplit, k), supers = k / StoredQ4K.SuperValues;
        if (rows.Length % src != 0)
        {
            throw new ArgumentException($"{rows.Length} bytes are not whole Q4_K rows of {k} values ({src} bytes each).", nameof(rows));
        }

        var result = new byte[rows.Length / src * dst];
        Repack(rows, k, result);
        return result;
    }

    /// <summary>Repacks GGUF Q4_K rows (whole rows of k values) into <paramref name="into"/> in the split layout.
    /// Shapes: rows [n·RowBytes(Q4_K, k)] bytes; into [n·RowBytes(Q4_KSplit, k)] bytes (overwritten).</summary>
    public static void Repack(ReadOnlySpan<byte> rows, int k, Span<byte> into)
    {
        int src = StoredRows.RowBytes(StoredType.Q4_K, k), dst = StoredRows.RowBytes(StoredType.Q4_KSplit, k), supers = k / StoredQ4K.SuperValues;
        if (rows.Length % src != 0 || into.Length != rows.Length / src * dst)
        {
            throw new ArgumentException($"{rows.Length} bytes are not whole Q4_K rows of {k} values ({src} bytes each) for {into.Length} split bytes.", nameof(rows));
        }

        into.Clear();
        for (int r = 0; r < rows.Length / src; r++)
        {
            var from = rows.Slice(r * src, src);
            var to = into.Slice(r * dst, dst);
            for (int b = 0; b < supers; b++)
            {
                var block = from.Slice(b * StoredQ4K.SuperBytes, StoredQ4K.SuperBytes);
                block[..4].CopyTo(to[(4 * b)..]);
                for (int t = 0; t < 8; t++)
                {
                    var (sc, m) = StoredQ4KNaive.ScaleMin(t, block.Slice(4, 12));
                    to[(4 * supers) + (8 * b) + t] = (byte)sc;
                    to[(12 * supers) + (8 * b) + t] = (byte)m;
                    for (int l = 0; l < 32; l++)
                    {
                        int q = block[16 + (32 * (t / 2)) + l];
                        q = t % 2 == 0 ? q & 0x0F : q >> 4;
                        int at = (20 * supers) + (128 * b) + NibbleByte(t, l);
                        to[at] |= (byte)(((l / 8) % 2) == 0 ? q : q << 4);
                    }
                }
            }
        }
    }

    /// <summary>Offset within a super-block's 128 nibble bytes of value l of sub-block t (its nibble: (l/8) mod 2).</summary>
    private static int NibbleByte(int t, int l) => (64 * (l / 16)) + (8 * t) + (l % 8);

    /// <summary>Value <paramref name="index"/> of a split row (the scalar reference): (d·scale)·q − dmin·min, as GGUF's.</summary>
    internal static float Value(ReadOnlySpan<byte> row, int index)
    {
        int supers = row.Length / SuperBytes, b = index / StoredQ4K.SuperValues, i = index % StoredQ4K.SuperValues, t = i / 32, l = i % 32;
        float d = StoredRows.HalfToSingle((ushort)(row[4 * b] | (row[(4 * b) + 1] << 8)));
        float dmin = StoredRows.HalfToSingle((ushort)(row[(4 * b) + 2] | (row[(4 * b) + 3] << 8)));
        int sc = row[(4 * supers) + (8 * b) + t], m = row[(12 * supers) + (8 * b) + t];
        int q = row[(20 * supers) + (128 * b) + NibbleByte(t, l)];
        q = ((l / 8) % 2) == 0 ? q & 0x0F : q >> 4;
        return ((d * sc) * q) - (dmin * m);
    }

    /// <summary>Decodes one split row of k values into dst [k], equal bit for bit to <see cref="Value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Dequantize(byte* w, float* dst, int k, SimdLevel level)
    {
        int supers = k / StoredQ4K.SuperValues;
        bool wide = level == SimdLevel.Vector512 && Avx512F.IsSupported;
        var low = Vector128.Create((byte)0x0F);
        for (int b = 0; b < supers; b++)
        {
            float d = StoredRows.HalfToSingle(Unsafe.ReadUnaligned<ushort>(w + (4 * b)));
            float dmin = StoredRows.HalfToSingle(Unsafe.ReadUnaligned<ushort>(w + (4 * b) + 2));
            byte* nib = w + (20 * supers) + (128 * b);
            for (int t = 0; t < 8; t++)
            {
                float dj = d * w[(4 * supers) + (8 * b) + t], mj = dmin * w[(12 * supers) + (8 * b) + t];
                float* y = dst + (256 * b) + (32 * t);
                if (wide)
                {
                    var dv = Vector512.Create(dj);
                    var mv = Vector512.Create(mj);
                    for (int half = 0; half < 2; half++)
                    {
                        // Eight bytes: their low nibbles values 16·half + 0..7, their high nibbles + 8..15.
                        var raw = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(nib + (64 * half) + (8 * t))).AsByte();
                        var both = Sse2.UnpackLow((raw & low).AsUInt64(), (Vector128.ShiftRightLogical(raw.AsUInt16(), 4).AsByte() & low).AsUInt64()).AsByte();
                        ((Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(both)) * dv) - mv).Store(y + (16 * half));
                    }

                    continue;
                }

                for (int l = 0; l < 32; l++)
                {
                    int q = nib[NibbleByte(t, l)];
                    y[l] = (dj * (((l / 8) % 2) == 0 ? q & 0x0F : q >> 4)) - mj;
                }
            }
        }
    }

    /// <summary>x's q8_K blocks (q [k] in natural order, d [k/256]) laid out for <see cref="Dot"/>: extra [ExtraBytes(k)]
    /// bytes: per super-block four 64-byte groups (L, h) whose 8-byte lane t holds values 16L + 8h + 0..7 of sub-block t;
    /// then d_x twice per super-block (the lanes of d and dmin), zero-padded.</summary>
    internal static void Prepare(sbyte* q, float* d, int k, byte* extra)
    {
        int supers = k / StoredQ4K.SuperValues;
        var src = (ulong*)q;
        var dst = (ulong*)extra;
        for (int b = 0; b < supers; b++, src += 32, dst += 32)
        {
            for (int v = 0; v < 4; v++)
            {
                for (int t = 0; t < 8; t++)
                {
                    dst[(8 * v) + t] = src[(4 * t) + v];
                }
            }
        }

        var dd = (float*)(extra + k);
        for (int b = 0; b < supers; b++)
        {
            dd[2 * b] = dd[(2 * b) + 1] = d[b];
        }

        new Span<float>(dd + (2 * supers), 16).Clear();
    }

    /// <summary>Σ over the super-blocks of one split row of k values against x quantised by <see cref="StoredQ4K.Quantize"/>
    /// (q [k], d [k/256], s [k/32] sums of q per sub-block) and prepared by <see cref="Prepare"/> (extra).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot(byte* w, sbyte* q, float* d, short* s, byte* extra, int k, SimdLevel level)
    {
        int supers = k / StoredQ4K.SuperValues;
        if (level == SimdLevel.Vector512 && Avx512BW.IsSupported)
        {
            return Dot512(w, (sbyte*)extra, (float*)(extra + k), s, supers);
        }

        byte* scales = w + (4 * supers), mins = w + (12 * supers), nibbles = w + (20 * supers);
        float r = 0;
        for (int b = 0; b < supers; b++)
        {
            int sumi = 0, summ = 0;
            for (int t = 0; t < 8; t++)
            {
                int dot = 0;
                for (int l = 0; l < 32; l++)
                {
                    int nib = nibbles[(128 * b) + NibbleByte(t, l)];
                    dot += (((l / 8) % 2) == 0 ? nib & 0x0F : nib >> 4) * q[(256 * b) + (32 * t) + l];
                }

                sumi += scales[(8 * b) + t] * dot;
                summ += mins[(8 * b) + t] * s[(8 * b) + t];
            }

            float dw = StoredRows.HalfToSingle(Unsafe.ReadUnaligned<ushort>(w + (4 * b)));
            float dmin = StoredRows.HalfToSingle(Unsafe.ReadUnaligned<ushort>(w + (4 * b) + 2));
            r = MathF.FusedMultiplyAdd(dw * d[b], sumi, r);
            r = MathF.FusedMultiplyAdd(-dmin * d[b], summ, r);
        }

        return r;
    }

    /// <summary>Eight super-blocks at a time: their (d, dmin) halves as floats × d_x in one register (lane 2b: d·d_x, lane
    /// 2b + 1: dmin·d_x; lanes past the row zeroed: <see cref="HalfConvert.Widen16(Vector512{uint})"/>, exact, and safe for the
    /// subnormal halves d and dmin often are), each
    /// super-block's integer sum scaled by its lane, the mins of four super-blocks in one step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot512(byte* w, sbyte* x, float* dd, short* s, int supers)
    {
        byte* scales = w + (4 * supers), mins = w + (12 * supers), nibbles = w + (20 * supers);
        var low = Vector512.Create((byte)0x0F);
        var spread = Vector512.Create((short)0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7);
        var minLanes = Vector512.Create(1, 1, 1, 1, 3, 3, 3, 3, 5, 5, 5, 5, 7, 7, 7, 7);
        Vector512<float> acc = default, accm = default;
        for (int b0 = 0; b0 < supers; b0 += 8)
        {
            int count = Math.Min(8, supers - b0);
            var live = Vector512.LessThan(Vector512<uint>.Indices, Vector512.Create((uint)(2 * count)));
            var bits = Avx512F.ConvertToVector512Int32(Vector256.Load((short*)w + (2 * b0))).AsUInt32() & live;
            var c = HalfConvert.Widen16(bits) * (Vector512.Load(dd + (2 * b0)).AsUInt32() & live).AsSingle();
            for (int r = 0; r < count; r++)
            {
                int b = b0 + r;
                byte* n = nibbles + (128 * b);
                sbyte* xb = x + (256 * b);
                var raw0 = Vector512.Load(n);
                var raw1 = Vector512.Load(n + 64);
                var p = Avx512BW.MultiplyAddAdjacent(raw0 & low, Vector512.Load(xb))
                    + Avx512BW.MultiplyAddAdjacent(Vector512.ShiftRightLogical(raw0.AsUInt16(), 4).AsByte() & low, Vector512.Load(xb + 64))
                    + Avx512BW.MultiplyAddAdjacent(raw1 & low, Vector512.Load(xb + 128))
                    + Avx512BW.MultiplyAddAdjacent(Vector512.ShiftRightLogical(raw1.AsUInt16(), 4).AsByte() & low, Vector512.Load(xb + 192));
                var sc = Sse41.ConvertToVector128Int16(Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(scales + (8 * b))).AsByte());
                var ints = Avx512BW.MultiplyAddAdjacent(p, Avx512BW.PermuteVar32x16(sc.ToVector256Unsafe().ToVector512Unsafe(), spread));
                acc = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(ints), Avx512F.PermuteVar16x32(c, Vector512.Create(2 * r)), acc);
            }

            // Σ_j min_j·s_j of four super-blocks (lanes 4i..4i+3: super-block b0 + r + i), each by its dmin·d_x. Mins and
            // sums read past the row's last super-block meet zeroed lanes of c (the row's nibbles follow its mins; x's
            // sums are followed by more scratch).
            for (int r = 0; r < count; r += 4)
            {
                var m = Avx512BW.ConvertToVector512Int16(Vector256.Load(mins + (8 * (b0 + r))));
                var ints = Avx512BW.MultiplyAddAdjacent(m, Vector512.Load(s + (8 * (b0 + r))));
                accm = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(ints), Avx512F.PermuteVar16x32(c, minLanes + Vector512.Create(2 * r)), accm);
            }
        }

        var diff = acc - accm;
        return Vector256.Sum(diff.GetLower() + diff.GetUpper());
    }
}
