namespace Hone.Formats.Safetensors;

/// <summary>One tensor of a safetensors file.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Dtype">Element type.</param>
/// <param name="Shape">Dimensions, row-major (last one contiguous).</param>
/// <param name="Begin">Start of the data, relative to the byte buffer after the header.</param>
/// <param name="End">End (exclusive) of the data, relative to the byte buffer.</param>
public sealed record SafetensorsTensorInfo(string Name, SafetensorsDtype Dtype, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>Product of the dimensions (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes of data.</summary>
    public long ByteSize => End - Begin;
}
