using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>
/// Q4_0 matrices repacked at load with 16 rows interleaved (<see cref="StoredType.Q4_0x16"/>), as llama.cpp's repacked
/// q4_0 layouts: a decode step reads every weight of a group of 16 rows in one forward stream, x's loads serve the 16
/// rows at once and the 16 results fill one vector, so no row pays a horizontal sum, a call or a scale conversion of its
/// own (stored-kernels, one thread, 134M shapes: 2–3× the per-row split kernel of <see cref="StoredSplit"/>, and at the
/// memory's rate from memory). Same bytes as GGUF's Q4_0. A matrix of n rows (n a multiple of 16) and k values a row (k a
/// multiple of 64) is n/16 groups of nb·288 bytes (nb = k/32); group g holds rows 16g..16g+15, each pair of blocks
/// (2p, 2p + 1) in 576 bytes: the 16 rows' half scales of block 2p (32 bytes), those of block 2p + 1, then the quants of
/// block 2p and of block 2p + 1, 256 bytes each: four 64-byte chunks c whose 4-byte lane r holds GGUF nibble bytes
/// 4c..4c+3 of row r's block (low nibbles values 4c..4c+3, high nibbles 16 + 4c..16 + 4c + 3). Against x quantised to
/// int8 blocks (<see cref="StoredInt8Dot.Quantize"/>), each chunk's nibbles meet four bytes of x broadcast to every lane
/// in <c>vpmaddubsw</c>; the block's eight products add up in 16 bits (8·2·15·127 &lt; 2^15) and one <c>vpmaddwd</c>
/// gives the 16 rows' exact Σ nibble·q, from which 8·Σq is taken. The float scaling and its order (even and odd blocks
/// in two sums) differ from the twin (<see cref="StoredMatMulNaive.XWtInt8"/>, which reads the GGUF rows
/// <see cref="StoredInterleaved.Deinterleave"/> gives back) only by rounding.
/// </summary>
public static unsafe class StoredQ4x16
{
    private const int Rows = StoredInterleaved.Rows;

    /// <summary>Bytes of one block of the 16 rows of a group (their scales and quants).</summary>
    private const int GroupBlockBytes = Rows * StoredRows.Q4_0BlockBytes;

    /// <summary>Whether the interleaved kernel runs vectorised here (AVX-512BW); elsewhere the GGUF layout is faster.</summary>
    public static bool Pays => Vector512.IsHardwareAccelerated && Avx512BW.IsSupported;

    /// <summary>Where the scale of block b of row r (0 ≤ r &lt; 16) lies in its group.</summary>
    private static int ScaleAt(int r, int b) => ((b / 2) * 2 * GroupBlockBytes) + ((b % 2) * 2 * Rows) + (2 * r);

    /// <summary>Where GGUF nibble byte i (0 ≤ i &lt; 16) of block b of row r lies in its group.</summary>
    private static int QuantAt(int r, int b, int i) => ((b / 2) * 2 * GroupBlockBytes) + (4 * Rows) + ((b % 2) * 256) + (64 * (i / 4)) + (4 * r) + (i % 4);

    /// <summary>Interleaves GGUF Q4_0 rows (n whole rows of k values, n and k as <see cref="StoredInterleaved.Fits"/>) into
    /// <paramref name="into"/>. Shapes: rows [n·RowBytes(Q4_0, k)] bytes; into as many (overwritten).</summary>
    public static void Interleave(ReadOnlySpan<byte> rows, int k, Span<byte> into)
    {
        int rowBytes = StoredRows.RowBytes(StoredType.Q4_0, k), nb = k / StoredRows.BlockValues;
        int n = StoredInterleaved.Check(StoredType.Q4_0x16, rows.Length, into.Length, k);
        for (int j = 0; j < n; j++)
        {
            int group = j / Rows * nb * GroupBlockBytes, r = j % Rows;
            for (int b = 0; b < nb; b++)
            {
                var block = rows.Slice((j * rowBytes) + (b * StoredRows.Q4_0BlockBytes), StoredRows.Q4_0BlockBytes);
                into[group + ScaleAt(r, b)] = block[0];
                into[group + ScaleAt(r, b) + 1] = block[1];
                for (int i = 0; i < 16; i++)
                {
                    into[group + QuantAt(r, b, i)] = block[2 + i];
                }
            }
        }
    }

    /// <summary>Row <paramref name="j"/> of an interleaved matrix as its GGUF Q4_0 bytes: dst [RowBytes(Q4_0, k)].</summary>
    internal static void RowToGguf(byte* matrix, int k, int j, byte* dst)
    {
        int nb = k / StoredRows.BlockValues, r = j % Rows;
        byte* group = matrix + ((long)(j / Rows) * nb * GroupBlockBytes);
        for (int b = 0; b < nb; b++, dst += StoredRows.Q4_0BlockBytes)
        {
            dst[0] = group[ScaleAt(r, b)];
            dst[1] = group[ScaleAt(r, b) + 1];
            for (int c = 0; c < 4; c++)
            {
                // Nibble bytes 4c..4c+3: one 4-byte lane of chunk c.
                Unsafe.WriteUnaligned(dst + 2 + (4 * c), Unsafe.ReadUnaligned<uint>(group + QuantAt(r, b, 4 * c)));
            }
        }
    }

    /// <summary>
    /// y [16] = the 16 rows of the group at <paramref name="w"/> (nb·288 bytes) · x quantised by
    /// <see cref="StoredInt8Dot.Quantize"/> (q [k] signed bytes, d [k/32] block scales, s [k/32] block sums of q).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Dot(byte* w, sbyte* q, float* d, int* s, int k, float* y, SimdLevel level)
    {
        int nb = k / StoredRows.BlockValues;
        if (level != SimdLevel.Vector512 || !Avx512BW.IsSupported)
        {
            Scalar(w, q, d, s, nb, y);
            return;
        }

        var low = Vector512.Create((byte)0x0F);
        var ones = Vector512.Create((short)1);
        Vector512<float> even = default, odd = default;
        for (int b = 0; b < nb; b += 2, w += 2 * GroupBlockBytes, q += 2 * StoredRows.BlockValues)
        {
            StreamPrefetch.Lines9(w);
            // The pair's 32 half scales in one load (Widen32: the short way when all are normal).
            var (h0, h1) = HalfConvert.Widen32(Vector512.Load((ushort*)w));
            var i0 = Block(w + (4 * Rows), q, low, ones) - Vector512.Create(8 * s[b]);
            var i1 = Block(w + (4 * Rows) + 256, q + StoredRows.BlockValues, low, ones) - Vector512.Create(8 * s[b + 1]);
            even = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(i0), h0 * Vector512.Create(d[b]), even);
            odd = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(i1), h1 * Vector512.Create(d[b + 1]), odd);
        }

        (even + odd).Store(y);
    }

    /// <summary>Σ nibble·q over one block of the 16 rows (256 bytes at w) against x's block q [32]: lane r, row r.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Block(byte* w, sbyte* q, Vector512<byte> low, Vector512<short> ones)
    {
        var r0 = Vector512.Load(w);
        var r1 = Vector512.Load(w + 64);
        var r2 = Vector512.Load(w + 128);
        var r3 = Vector512.Load(w + 192);
        var p = Avx512BW.MultiplyAddAdjacent(r0 & low, X4(q))
            + Avx512BW.MultiplyAddAdjacent(Vector512.ShiftRightLogical(r0.AsUInt16(), 4).AsByte() & low, X4(q + 16))
            + Avx512BW.MultiplyAddAdjacent(r1 & low, X4(q + 4))
            + Avx512BW.MultiplyAddAdjacent(Vector512.ShiftRightLogical(r1.AsUInt16(), 4).AsByte() & low, X4(q + 20))
            + Avx512BW.MultiplyAddAdjacent(r2 & low, X4(q + 8))
            + Avx512BW.MultiplyAddAdjacent(Vector512.ShiftRightLogical(r2.AsUInt16(), 4).AsByte() & low, X4(q + 24))
            + Avx512BW.MultiplyAddAdjacent(r3 & low, X4(q + 12))
            + Avx512BW.MultiplyAddAdjacent(Vector512.ShiftRightLogical(r3.AsUInt16(), 4).AsByte() & low, X4(q + 28));
        return Avx512BW.MultiplyAddAdjacent(p, ones);
    }

    /// <summary>Four bytes of x in every 32-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<sbyte> X4(sbyte* q) => Vector512.Create(Unsafe.ReadUnaligned<int>(q)).AsSByte();

    /// <summary>The scalar path: per row, blocks in order, one float sum.</summary>
    private static void Scalar(byte* w, sbyte* q, float* d, int* s, int nb, float* y)
    {
        for (int r = 0; r < Rows; r++)
        {
            float sum = 0;
            for (int b = 0; b < nb; b++)
            {
                int dot = 0;
                for (int i = 0; i < 16; i++)
                {
                    int nib = w[QuantAt(r, b, i)];
                    dot += ((nib & 0x0F) * q[(32 * b) + i]) + ((nib >> 4) * q[(32 * b) + 16 + i]);
                }

                dot -= 8 * s[b];
                sum = MathF.FusedMultiplyAdd(dot, StoredRows.HalfToSingle(Unsafe.ReadUnaligned<ushort>(w + ScaleAt(r, b))) * d[b], sum);
            }

            y[r] = sum;
        }
    }
}
