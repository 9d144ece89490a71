using Hone.Numerics;

namespace Hone.Models.Llama;

/// <summary>
/// A weight matrix [rows, cols] kept in the type its file stores (<see cref="StoredType"/>: BF16, Q8_0, Q4_0, Q4_K), read
/// directly by <see cref="StoredMatMul"/> instead of being expanded to float32. Bytes are the GGUF row layout, held in
/// <see cref="NativeBytes"/> (huge pages: a decode step streams them at memory bandwidth).
/// </summary>
public sealed class StoredMatrix
{
    private readonly NativeBytes _block;
    private readonly long _offset;
    private readonly int _length;

    /// <summary>A [rows, cols] matrix of <paramref name="type"/> holding a copy of <paramref name="bytes"/>.</summary>
    public StoredMatrix(StoredType type, int rows, int cols, ReadOnlySpan<byte> bytes)
        : this(type, rows, cols, CheckedCopy(type, rows, cols, bytes), 0)
    {
    }

    /// <summary>A [rows, cols] matrix of <paramref name="type"/> over the bytes of <paramref name="block"/> from
    /// <paramref name="offset"/> on (<see cref="NativeBytes.Carve"/>d for it: the block is shared, not copied).</summary>
    public StoredMatrix(StoredType type, int rows, int cols, NativeBytes block, long offset)
    {
        ArgumentNullException.ThrowIfNull(block);
        int length = checked((int)Need(type, rows, cols));
        _ = block.Slice(offset, length); // in range
        (Type, Rows, Cols, _block, _offset, _length) = (type, rows, cols, block, offset, length);
    }

    /// <summary>The stored type.</summary>
    public StoredType Type { get; }

    /// <summary>Rows (outputs).</summary>
    public int Rows { get; }

    /// <summary>Columns (inputs); a row holds this many values.</summary>
    public int Cols { get; }

    /// <summary>The stored bytes, row after row (the interleaved types, Q4_0x16, Q8_0x16 and Q4_Kx16: group after group of 16 rows; valid
    /// while this matrix is reachable).</summary>
    public ReadOnlySpan<byte> Bytes => _block.Slice(_offset, _length);

    /// <summary>Bytes of one row.</summary>
    public int RowBytes => StoredRows.RowBytes(Type, Cols);

    /// <summary>Row <paramref name="index"/> decoded to float32 into <paramref name="dst"/> [cols] (an embedding lookup).</summary>
    public void DecodeRow(int index, Span<float> dst)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Rows);
        if (StoredInterleaved.Is(Type))
        {
            StoredInterleaved.DequantizeRow(Type, Bytes, Cols, index, dst[..Cols]); // rows interleaved by 16: no contiguous slice
            return;
        }

        StoredRows.Dequantize(Type, Bytes.Slice(index * RowBytes, RowBytes), dst[..Cols]);
    }

    /// <summary>Bytes of a [rows, cols] matrix of <paramref name="type"/>.</summary>
    public static long Need(StoredType type, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        return (long)StoredRows.RowBytes(type, cols) * rows;
    }

    private static NativeBytes CheckedCopy(StoredType type, int rows, int cols, ReadOnlySpan<byte> bytes)
    {
        long need = Need(type, rows, cols);
        if (bytes.Length != need)
        {
            throw new ArgumentException($"A {type} matrix [{rows}, {cols}] needs {need} bytes; got {bytes.Length}.", nameof(bytes));
        }

        return NativeBytes.CopyOf(bytes);
    }
}

/// <summary>The stored-type matrices of one decoder layer; a null entry is held as float32 in <see cref="LlamaLayerWeights"/>.</summary>
public sealed record StoredLayer(
    StoredMatrix? Wq, StoredMatrix? Wk, StoredMatrix? Wv, StoredMatrix? Wo, StoredMatrix? WGate, StoredMatrix? WUp, StoredMatrix? WDown);
