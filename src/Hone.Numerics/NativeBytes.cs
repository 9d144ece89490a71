namespace Hone.Numerics;

/// <summary>
/// One block of native bytes for weights read at memory bandwidth (the stored-type matrices of a model, carved from it
/// at 64-byte offsets): from <see cref="NativeBlock"/>, so a block of 2 MiB or more lies on transparent huge pages where
/// Linux offers them. A decode step streams every weight once; from 4 KiB pages (a GC byte array, or a matrix under
/// 2 MiB allocated alone) the same stream needs 512 times the TLB entries. Freed by the finalizer once unreachable (the
/// GC is told of the native bytes it holds), so matrices can be shared by several models like the arrays they replace;
/// a span taken from the block is valid while the block is reachable.
/// </summary>
public sealed unsafe class NativeBytes
{
    /// <summary>Alignment of the block and of each <see cref="Carve"/>d part.</summary>
    public const int Alignment = Arena.Alignment;

    private readonly NativeBlock.Handle _handle;

    /// <summary>Allocates <paramref name="length"/> zeroed bytes, 64-byte aligned.</summary>
    public NativeBytes(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _handle = NativeBlock.Allocate((nuint)Math.Max(length, 1), Alignment);
        GC.AddMemoryPressure(Math.Max(length, 1));
    }

    /// <summary>Bytes held.</summary>
    public long Length { get; }

    /// <summary>Bytes used by <see cref="Carve"/> so far.</summary>
    public long Used { get; private set; }

    /// <summary>Bytes a block needs to carve parts of these lengths (each rounded up to 64 bytes).</summary>
    public static long BytesFor(IEnumerable<long> lengths)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        long total = 0;
        foreach (long length in lengths)
        {
            total = checked(total + RoundUp(length));
        }

        return total;
    }

    /// <summary>A copy of <paramref name="source"/> in a block of its own.</summary>
    public static NativeBytes CopyOf(ReadOnlySpan<byte> source)
    {
        var bytes = new NativeBytes(source.Length);
        source.CopyTo(bytes.Slice(bytes.Carve(source.Length), source.Length));
        return bytes;
    }

    /// <summary>Reserves the next <paramref name="length"/> bytes (at a 64-byte offset) and returns their offset.</summary>
    /// <exception cref="InvalidOperationException">The block has no room left.</exception>
    public long Carve(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        long offset = Used;
        if (offset + length > Length)
        {
            throw new InvalidOperationException($"NativeBytes full: {length} bytes asked, {Length - offset} of {Length} left. Size it with NativeBytes.BytesFor.");
        }

        Used = Math.Min(Length, offset + RoundUp(length));
        return offset;
    }

    /// <summary>Bytes [offset, offset + length) of the block (valid while this object is reachable).</summary>
    public Span<byte> Slice(long offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + length, Length, nameof(length));
        return new Span<byte>((byte*)_handle.Pointer + offset, length);
    }

    /// <summary>Frees the block.</summary>
    ~NativeBytes()
    {
        NativeBlock.Free(_handle);
        GC.RemoveMemoryPressure(Math.Max(Length, 1));
    }

    private static long RoundUp(long length) => (length + Alignment - 1) / Alignment * Alignment;
}
