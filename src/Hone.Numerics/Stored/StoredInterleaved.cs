namespace Hone.Numerics;

/// <summary>
/// What the layouts with 16 rows interleaved share (<see cref="StoredQ4x16"/>, <see cref="StoredQ8x16"/>,
/// <see cref="StoredQ4Kx16"/>): which types they are, which matrices they hold, and each row given back in the row layout
/// it was built from (Q4_0 and Q8_0: GGUF's; Q4_K: <see cref="StoredQ4KSplit"/>'s), for the twins, the prompt path's
/// panels and embedding lookups.
/// </summary>
public static unsafe class StoredInterleaved
{
    /// <summary>Rows per group.</summary>
    public const int Rows = 16;

    /// <summary>Whether <paramref name="type"/> is an interleaved layout.</summary>
    public static bool Is(StoredType type) => type is StoredType.Q4_0x16 or StoredType.Q8_0x16 or StoredType.Q4_Kx16;

    /// <summary>The row layout an interleaved type is built from and gives its rows back in.</summary>
    public static StoredType RowType(StoredType type) => type switch
    {
        StoredType.Q4_0x16 => StoredType.Q4_0,
        StoredType.Q8_0x16 => StoredType.Q8_0,
        StoredType.Q4_Kx16 => StoredType.Q4_KSplit,
        _ => throw new ArgumentException($"{type} is not an interleaved layout.", nameof(type)),
    };

    /// <summary>Whether a [n, k] matrix can be held as <paramref name="type"/> (n a multiple of 16; k as the type needs).</summary>
    public static bool Fits(StoredType type, int n, int k) => n > 0 && n % Rows == 0 && StoredRows.Fits(type, k);

    /// <summary>The rows (n) of <paramref name="length"/> bytes of a [n, k] matrix of <paramref name="type"/>, which
    /// <paramref name="into"/> bytes must match.</summary>
    internal static int Check(StoredType type, int length, int into, int k)
    {
        int rowBytes = StoredRows.RowBytes(type, k);
        if (length % rowBytes != 0 || into != length || !Fits(type, length / rowBytes, k))
        {
            throw new ArgumentException($"{length} bytes are not a matrix of {RowType(type)} rows of {k} values ({rowBytes} bytes each) that {type} can hold (rows a multiple of {Rows}), or {into} bytes do not hold it.", nameof(length));
        }

        return length / rowBytes;
    }

    /// <summary>The rows of an interleaved matrix in its row layout (<see cref="RowType"/>): the inverse of its
    /// interleaving. Shapes: matrix [n·RowBytes(type, k)] bytes; returns as many.</summary>
    public static byte[] Deinterleave(StoredType type, ReadOnlySpan<byte> matrix, int k)
    {
        var rows = new byte[matrix.Length];
        int n = Check(type, matrix.Length, rows.Length, k), rowBytes = StoredRows.RowBytes(type, k);
        fixed (byte* m = matrix)
        fixed (byte* r = rows)
        {
            for (int j = 0; j < n; j++)
            {
                RowTo(type, m, k, j, r + ((long)j * rowBytes));
            }
        }

        return rows;
    }

    /// <summary>Row <paramref name="j"/> of an interleaved matrix in its row layout: dst [RowBytes(type, k)].</summary>
    internal static void RowTo(StoredType type, byte* matrix, int k, int j, byte* dst)
    {
        switch (type)
        {
            case StoredType.Q4_0x16: StoredQ4x16.RowToGguf(matrix, k, j, dst); break;
            case StoredType.Q8_0x16: StoredQ8x16.RowToGguf(matrix, k, j, dst); break;
            default: StoredQ4Kx16.RowToSplit(matrix, k, j, dst); break;
        }
    }

    /// <summary>Row <paramref name="j"/> of an interleaved matrix decoded to float32 into dst [k], equal bit for bit to
    /// its row layout's decoding; <paramref name="scratch"/> holds RowBytes(type, k) bytes.</summary>
    internal static void DequantizeRow(StoredType type, byte* matrix, int k, int j, byte* scratch, float* dst, SimdLevel level)
    {
        if (type == StoredType.Q4_Kx16)
        {
            StoredQ4Kx16.DequantizeRow(matrix, k, j, scratch, dst, level);
            return;
        }

        RowTo(type, matrix, k, j, scratch);
        StoredDot.Dequantize(scratch, dst, k, RowType(type), level);
    }

    /// <summary>Row <paramref name="j"/> of an interleaved matrix [n, k] decoded to float32 into dst [k] (an embedding
    /// lookup).</summary>
    public static void DequantizeRow(StoredType type, ReadOnlySpan<byte> matrix, int k, int j, Span<float> dst)
    {
        int rowBytes = StoredRows.RowBytes(type, k);
        ArgumentOutOfRangeException.ThrowIfNegative(j);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((long)j, matrix.Length / rowBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(dst.Length, k);
        var scratch = new byte[rowBytes];
        fixed (byte* m = matrix)
        fixed (byte* s = scratch)
        fixed (float* d = dst)
        {
            DequantizeRow(type, m, k, j, s, d, Simd.Best);
        }
    }
}
