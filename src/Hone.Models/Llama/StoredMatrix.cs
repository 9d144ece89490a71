using Hone.Numerics;

namespace Hone.Models.Llama;

/// <summary>
/// A weight matrix [rows, cols] kept in the type its file stores (<see cref="StoredType"/>: BF16, Q8_0, Q4_0, Q4_K), read
/// directly by <see cref="StoredMatMul"/> instead of being expanded to float32. Bytes are the GGUF row layout.
/// </summary>
public sealed class StoredMatrix
{
    /// <summary>Wraps <paramref name="bytes"/> (taken over, not copied) as a [rows, cols] matrix of <paramref name="type"/>.</summary>
    public StoredMatrix(StoredType type, int rows, int cols, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        long need = (long)StoredRows.RowBytes(type, cols) * rows;
        if (bytes.LongLength != need)
        {
            throw new ArgumentException($"A {type} matrix [{rows}, {cols}] needs {need} bytes; got {bytes.LongLength}.", nameof(bytes));
        }

        (Type, Rows, Cols, Bytes) = (type, rows, cols, bytes);
    }

    /// <summary>The stored type.</summary>
    public StoredType Type { get; }

    /// <summary>Rows (outputs).</summary>
    public int Rows { get; }

    /// <summary>Columns (inputs); a row holds this many values.</summary>
    public int Cols { get; }

    /// <summary>The stored bytes, row after row.</summary>
    public byte[] Bytes { get; }

    /// <summary>Bytes of one row.</summary>
    public int RowBytes => StoredRows.RowBytes(Type, Cols);

    /// <summary>Row <paramref name="index"/> decoded to float32 into <paramref name="dst"/> [cols] (an embedding lookup).</summary>
    public void DecodeRow(int index, Span<float> dst)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Rows);
        StoredRows.Dequantize(Type, Bytes.AsSpan(index * RowBytes, RowBytes), dst[..Cols]);
    }
}

/// <summary>The stored-type matrices of one decoder layer; a null entry is held as float32 in <see cref="LlamaLayerWeights"/>.</summary>
public sealed record StoredLayer(
    StoredMatrix? Wq, StoredMatrix? Wk, StoredMatrix? Wv, StoredMatrix? Wo, StoredMatrix? WGate, StoredMatrix? WUp, StoredMatrix? WDown);
