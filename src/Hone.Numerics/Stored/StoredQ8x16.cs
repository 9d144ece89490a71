using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>
/// Q8_0 matrices repacked at load with 16 rows interleaved (<see cref="StoredType.Q8_0x16"/>), as
/// <see cref="StoredQ4x16"/> does Q4_0: one forward stream per group of 16 rows, x's loads shared by the 16, one vector
/// of results (stored-kernels-like timing, one thread, 134M shapes: 1.5–2× the GGUF layout's row kernel). Same bytes as
/// GGUF's Q8_0. A matrix of n rows (a multiple of 16) and k values a row (a multiple of 64) is n/16 groups of nb·544
/// bytes (nb = k/32); each pair of blocks (2p, 2p + 1) takes 1088 bytes: the 16 rows' half scales of block 2p (32 bytes),
/// those of block 2p + 1, then the quants of block 2p and of block 2p + 1, 512 bytes each: eight 64-byte chunks c whose
/// 4-byte lane r holds values 4c..4c+3 of row r, each stored + 128 (as an unsigned byte: q XOR 0x80). Against x quantised
/// to int8 blocks (<see cref="StoredInt8Dot.Quantize"/>), each half chunk (eight rows) meets four bytes of x broadcast to
/// every lane in AVX-VNNI's <c>vpdpbusd</c> (unsigned × signed bytes, four products a lane summed in 32 bits, exact), and
/// 128·Σq per block is taken off. The float scaling and its order differ from the twin
/// (<see cref="StoredMatMulNaive.XWtInt8"/>, which reads the GGUF rows <see cref="StoredInterleaved.Deinterleave"/> gives back) only by
/// rounding.
/// </summary>
public static unsafe class StoredQ8x16
{
    private const int Rows = StoredInterleaved.Rows;

    /// <summary>Bytes of one block of the 16 rows of a group (their scales and quants).</summary>
    private const int GroupBlockBytes = Rows * StoredRows.Q8_0BlockBytes;

    /// <summary>Whether the interleaved kernel runs vectorised here (AVX-512 for the scales, AVX-VNNI for the dot
    /// products).</summary>
    public static bool Pays => Vector512.IsHardwareAccelerated && Avx512BW.IsSupported && AvxVnni.IsSupported;

    /// <summary>Where the scale of block b of row r (0 ≤ r &lt; 16) lies in its group.</summary>
    private static int ScaleAt(int r, int b) => ((b / 2) * 2 * GroupBlockBytes) + ((b % 2) * 2 * Rows) + (2 * r);

    /// <summary>Where value i (0 ≤ i &lt; 32) of block b of row r lies in its group.</summary>
    private static int QuantAt(int r, int b, int i) => ((b / 2) * 2 * GroupBlockBytes) + (4 * Rows) + ((b % 2) * 512) + (64 * (i / 4)) + (4 * r) + (i % 4);

    /// <summary>Interleaves GGUF Q8_0 rows (n whole rows of k values, n and k as <see cref="StoredInterleaved.Fits"/>) into
    /// <paramref name="into"/>. Shapes: rows [n·RowBytes(Q8_0, k)] bytes; into as many (overwritten).</summary>
    public static void Interleave(ReadOnlySpan<byte> rows, int k, Span<byte> into)
    {
        int rowBytes = StoredRows.RowBytes(StoredType.Q8_0, k), nb = k / StoredRows.BlockValues;
        int n = StoredInterleaved.Check(StoredType.Q8_0x16, rows.Length, into.Length, k);
        for (int j = 0; j < n; j++)
        {
            int group = j / Rows * nb * GroupBlockBytes, r = j % Rows;
            for (int b = 0; b < nb; b++)
            {
                var block = rows.Slice((j * rowBytes) + (b * StoredRows.Q8_0BlockBytes), StoredRows.Q8_0BlockBytes);
                into[group + ScaleAt(r, b)] = block[0];
                into[group + ScaleAt(r, b) + 1] = block[1];
                for (int i = 0; i < 32; i++)
                {
                    into[group + QuantAt(r, b, i)] = (byte)(block[2 + i] ^ 0x80);
                }
            }
        }
    }

    /// <summary>Row <paramref name="j"/> of an interleaved matrix as its GGUF Q8_0 bytes: dst [RowBytes(Q8_0, k)].</summary>
    internal static void RowToGguf(byte* matrix, int k, int j, byte* dst)
    {
        int nb = k / StoredRows.BlockValues, r = j % Rows;
        byte* group = matrix + ((long)(j / Rows) * nb * GroupBlockBytes);
        for (int b = 0; b < nb; b++, dst += StoredRows.Q8_0BlockBytes)
        {
            dst[0] = group[ScaleAt(r, b)];
            dst[1] = group[ScaleAt(r, b) + 1];
            for (int c = 0; c < 8; c++)
            {
                // Values 4c..4c+3: one 4-byte lane of chunk c, unbiased.
                Unsafe.WriteUnaligned(dst + 2 + (4 * c), Unsafe.ReadUnaligned<uint>(group + QuantAt(r, b, 4 * c)) ^ 0x80808080u);
            }
        }
    }

    /// <summary>
    /// y [16] = the 16 rows of the group at <paramref name="w"/> (nb·544 bytes) · x quantised by
    /// <see cref="StoredInt8Dot.Quantize"/> (q [k] signed bytes, d [k/32] block scales, s [k/32] block sums of q).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Dot(byte* w, sbyte* q, float* d, int* s, int k, float* y, SimdLevel level)
    {
        int nb = k / StoredRows.BlockValues;
        if (level != SimdLevel.Vector512 || !Avx512F.IsSupported || !AvxVnni.IsSupported)
        {
            Scalar(w, q, d, nb, y);
            return;
        }

        Vector256<float> low = default, high = default;
        for (int b = 0; b < nb; b += 2, w += 2 * GroupBlockBytes, q += 2 * StoredRows.BlockValues)
        {
            // The pair's 32 half scales in one load, (Widen32: the short way when all are normal).
            var (h0, h1) = HalfConvert.Widen32(Vector512.Load((ushort*)w));
            (low, high) = Block(w + (4 * Rows), q, s[b], h0 * Vector512.Create(d[b]), low, high);
            (low, high) = Block(w + (4 * Rows) + 512, q + StoredRows.BlockValues, s[b + 1], h1 * Vector512.Create(d[b + 1]), low, high);
        }

        low.Store(y);
        high.Store(y + 8);
    }

    /// <summary>One block of the 16 rows (512 bytes at w) against x's block q [32] with Σq = sum: rows 0..7 onto low,
    /// 8..15 onto high, each by its scale × d_x (c).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Low, Vector256<float> High) Block(
        byte* w, sbyte* q, int sum, Vector512<float> c, Vector256<float> low, Vector256<float> high)
    {
        // Two sums per half, over alternate chunks: four independent chains of four vpdpbusd each.
        Vector256<int> a0 = default, a1 = default, b0 = default, b1 = default;
        for (int j = 0; j < 8; j += 2, w += 128)
        {
            var x0 = Vector256.Create(Unsafe.ReadUnaligned<int>(q + (4 * j))).AsSByte();
            var x1 = Vector256.Create(Unsafe.ReadUnaligned<int>(q + (4 * j) + 4)).AsSByte();
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, Vector256.Load(w), x0);
            b0 = AvxVnni.MultiplyWideningAndAdd(b0, Vector256.Load(w + 32), x0);
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, Vector256.Load(w + 64), x1);
            b1 = AvxVnni.MultiplyWideningAndAdd(b1, Vector256.Load(w + 96), x1);
        }

        var offset = Vector256.Create(128 * sum);
        low = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(a0 + a1 - offset), c.GetLower(), low);
        high = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(b0 + b1 - offset), c.GetUpper(), high);
        return (low, high);
    }

    /// <summary>The scalar path: per row, blocks in order, one float sum.</summary>
    private static void Scalar(byte* w, sbyte* q, float* d, int nb, float* y)
    {
        for (int r = 0; r < Rows; r++)
        {
            float sum = 0;
            for (int b = 0; b < nb; b++)
            {
                int dot = 0;
                for (int i = 0; i < 32; i++)
                {
                    dot += (sbyte)(w[QuantAt(r, b, i)] ^ 0x80) * q[(32 * b) + i];
                }

                sum = MathF.FusedMultiplyAdd(dot, StoredRows.HalfToSingle(Unsafe.ReadUnaligned<ushort>(w + ScaleAt(r, b))) * d[b], sum);
            }

            y[r] = sum;
        }
    }
}
