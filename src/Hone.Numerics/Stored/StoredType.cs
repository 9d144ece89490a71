using System.Runtime.CompilerServices;

namespace Hone.Numerics;

/// <summary>
/// Weight encodings the stored-type kernels (<see cref="StoredMatMul"/>) read without expanding them to float32 first.
/// Byte layouts are GGUF's (ggml's): little-endian, one row after another.
/// </summary>
public enum StoredType
{
    /// <summary>bfloat16: the upper 16 bits of a float32; 2 bytes per value.</summary>
    BF16,

    /// <summary>Blocks of 32 values: an IEEE half scale d, then 32 signed bytes q; value = d·q (34 bytes per block).</summary>
    Q8_0,

    /// <summary>Blocks of 32 values: an IEEE half scale d, then 16 bytes whose low nibbles are values 0..15 and high
    /// nibbles values 16..31; value = d·(nibble − 8) (18 bytes per block).</summary>
    Q4_0,

    /// <summary>ggml's k-quant block_q4_K: super-blocks of 256 values in 144 bytes (half d and dmin, 6-bit scales and
    /// mins of eight sub-blocks of 32, nibbles); value = d·scale·q − dmin·min (<see cref="StoredQ4K"/>).</summary>
    Q4_K,

    /// <summary>Q8_0 repacked per row (<see cref="StoredSplit"/>): the row's block scales first, then its quants, 32
    /// per block; as many bytes as Q8_0. Not a GGUF layout: the decode kernels read it whole vectors at a time.</summary>
    Q8_0Split,

    /// <summary>Q4_0 repacked per row as <see cref="Q8_0Split"/>: the row's scales, then its blocks' 16 nibble bytes.</summary>
    Q4_0Split,

    /// <summary>Q4_K repacked per row for the decode kernel (<see cref="StoredQ4KSplit"/>): the super-blocks' half d and
    /// dmin, their 6-bit scales and mins decoded to bytes, then their nibbles reordered; 148 bytes per 256 values
    /// (Q4_K: 144). Not a GGUF layout.</summary>
    Q4_KSplit,

    /// <summary>Q4_0 with 16 rows interleaved block by block (<see cref="StoredQ4x16"/>); as many bytes as Q4_0. Not a
    /// row layout: a matrix of it has a multiple of 16 rows, and its rows are read through <see cref="StoredQ4x16"/>.</summary>
    Q4_0x16,

    /// <summary>Q4_K in the split layout's bytes with 16 rows interleaved (<see cref="StoredQ4Kx16"/>); 148 bytes per 256
    /// values. Not a row layout: a matrix of it has a multiple of 16 rows, read through <see cref="StoredQ4Kx16"/>.</summary>
    Q4_Kx16,

    /// <summary>Q8_0 with 16 rows interleaved block by block, quants stored + 128 (<see cref="StoredQ8x16"/>); as many
    /// bytes as Q8_0. Not a row layout: a matrix of it has a multiple of 16 rows, read through <see cref="StoredQ8x16"/>.</summary>
    Q8_0x16,
}

/// <summary>Geometry of <see cref="StoredType"/> rows and the scalar decoding every kernel shares.</summary>
public static class StoredRows
{
    /// <summary>Values per quantisation block (Q8_0, Q4_0).</summary>
    public const int BlockValues = 32;

    /// <summary>Bytes of one Q8_0 block.</summary>
    public const int Q8_0BlockBytes = 34;

    /// <summary>Bytes of one Q4_0 block.</summary>
    public const int Q4_0BlockBytes = 18;

    /// <summary>Whether a row of <paramref name="k"/> values can be held as <paramref name="type"/> (blocks need k % 32 == 0,
    /// Q4_K super-blocks k % 256 == 0).</summary>
    public static bool Fits(StoredType type, int k) => k > 0 && type switch
    {
        StoredType.BF16 => true,
        StoredType.Q4_K or StoredType.Q4_KSplit or StoredType.Q4_Kx16 => k % StoredQ4K.SuperValues == 0,
        StoredType.Q4_0x16 or StoredType.Q8_0x16 => k % (2 * BlockValues) == 0,
        _ => k % BlockValues == 0,
    };

    /// <summary>Bytes of one row of <paramref name="k"/> values (<see cref="StoredType.Q4_0x16"/>: a sixteenth of a group).</summary>
    /// <exception cref="ArgumentException">k is not a positive length the type can hold.</exception>
    public static int RowBytes(StoredType type, int k)
    {
        if (!Fits(type, k))
        {
            string multiple = type switch { StoredType.BF16 => "", StoredType.Q4_K or StoredType.Q4_KSplit or StoredType.Q4_Kx16 => " that is a multiple of 256", StoredType.Q4_0x16 or StoredType.Q8_0x16 => " that is a multiple of 64", _ => " that is a multiple of 32" };
            throw new ArgumentException($"{type} rows need a positive length{multiple}; got {k}.", nameof(k));
        }

        return type switch
        {
            StoredType.BF16 => checked(2 * k),
            StoredType.Q8_0 or StoredType.Q8_0Split or StoredType.Q8_0x16 => k / BlockValues * Q8_0BlockBytes,
            StoredType.Q4_0 or StoredType.Q4_0Split or StoredType.Q4_0x16 => k / BlockValues * Q4_0BlockBytes,
            StoredType.Q4_K => k / StoredQ4K.SuperValues * StoredQ4K.SuperBytes,
            StoredType.Q4_KSplit or StoredType.Q4_Kx16 => k / StoredQ4K.SuperValues * StoredQ4KSplit.SuperBytes,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
    }

    /// <summary>An IEEE half (bits) as a float: exact for every bit pattern, with no branch to a call (the kernels keep
    /// their vector accumulators in registers), and no arithmetic on a subnormal float. Normal halves move exponent and
    /// mantissa to the float's place and add 112 to the exponent (the biases' difference; infinities and NaN 112 more,
    /// to the all-ones exponent); subnormal halves (and zero) are their 10-bit integer times 2^−24, a product of normal
    /// floats. (A Q4_K super-block's d and dmin are often half subnormals: scaling their bits as a subnormal float
    /// instead cost a microcode assist of a hundred cycles or more per conversion.)</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HalfToSingle(ushort bits)
    {
        uint mag = bits & 0x7FFFu;
        uint normal = (mag << 13) + (112u << 23) + (mag >= 0x7C00u ? 112u << 23 : 0u);
        uint small = BitConverter.SingleToUInt32Bits((int)mag * (1f / 16777216f));
        return BitConverter.UInt32BitsToSingle((mag < 0x400u ? small : normal) | ((uint)(bits & 0x8000) << 16));
    }

    /// <summary>bfloat16 bits as a float (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BF16ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Value <paramref name="index"/> of a row (scalar decoding, the reference every fast path is held to).
    /// <paramref name="row"/> is one whole row: the split layouts find their quants after nb = k/32 scales.</summary>
    public static float Value(StoredType type, ReadOnlySpan<byte> row, int index) => type switch
    {
        StoredType.BF16 => BF16ToSingle((ushort)(row[2 * index] | (row[(2 * index) + 1] << 8))),
        StoredType.Q4_K => StoredQ4K.Value(row, index),
        StoredType.Q4_KSplit => StoredQ4KSplit.Value(row, index),
        _ => BlockScale(type, row, index / BlockValues) * Quant(type, row, index),
    };

    /// <summary>Whether <paramref name="type"/> holds 4-bit quants (Q4_0, Q4_0Split).</summary>
    internal static bool IsQ4(StoredType type) => type is StoredType.Q4_0 or StoredType.Q4_0Split;

    /// <summary>Where a block type keeps block b's scale and quants in a row of k values: scale at
    /// ScaleOffset + b·ScaleStride, quants at QuantOffset + b·QuantStride (GGUF: interleaved blocks; split: scales first).</summary>
    internal static (int ScaleOffset, int ScaleStride, int QuantOffset, int QuantStride) Layout(StoredType type, int k) => type switch
    {
        StoredType.Q8_0 => (0, Q8_0BlockBytes, 2, Q8_0BlockBytes),
        StoredType.Q4_0 => (0, Q4_0BlockBytes, 2, Q4_0BlockBytes),
        StoredType.Q8_0Split => (0, 2, 2 * (k / BlockValues), BlockValues),
        StoredType.Q4_0Split => (0, 2, 2 * (k / BlockValues), BlockValues / 2),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a block type"),
    };

    /// <summary>The scale of block <paramref name="block"/> of a block-type row.</summary>
    internal static float BlockScale(StoredType type, ReadOnlySpan<byte> row, int block)
    {
        var (so, ss, _, _) = Layout(type, row.Length / (IsQ4(type) ? Q4_0BlockBytes : Q8_0BlockBytes) * BlockValues);
        int b = so + (block * ss);
        return HalfToSingle((ushort)(row[b] | (row[b + 1] << 8)));
    }

    /// <summary>The integer of value <paramref name="index"/> of a block-type row (Q4: nibble − 8).</summary>
    internal static int Quant(StoredType type, ReadOnlySpan<byte> row, int index)
    {
        var (_, _, qo, qs) = Layout(type, row.Length / (IsQ4(type) ? Q4_0BlockBytes : Q8_0BlockBytes) * BlockValues);
        int b = qo + (index / BlockValues * qs), j = index % BlockValues;
        return !IsQ4(type) ? (sbyte)row[b + j] : (j < 16 ? row[b + j] & 0x0F : row[b + j - 16] >> 4) - 8;
    }

    /// <summary>Decodes a whole row of <paramref name="dst"/>.Length values into float32.
    /// Shapes: row [RowBytes(type, k)] bytes, dst [k].</summary>
    public static unsafe void Dequantize(StoredType type, ReadOnlySpan<byte> row, Span<float> dst)
    {
        int k = dst.Length;
        if (row.Length < RowBytes(type, k))
        {
            throw new ArgumentException($"{type} row of {k} values needs {RowBytes(type, k)} bytes; got {row.Length}.", nameof(row));
        }

        fixed (byte* w = row)
        fixed (float* d = dst)
        {
            StoredDot.Dequantize(w, d, k, type, Simd.Best);
        }
    }
}
