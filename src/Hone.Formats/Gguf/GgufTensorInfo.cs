namespace Hone.Formats.Gguf;

/// <summary>One tensor of a GGUF file.</summary>
/// <param name="Name">Tensor name, e.g. <c>blk.0.attn_q.weight</c>.</param>
/// <param name="Shape">Dimensions in ggml order: <c>ne0</c> (the contiguous one) first.</param>
/// <param name="Type">Element type.</param>
/// <param name="Offset">Offset of the data relative to the start of the file's data section.</param>
/// <param name="ElementCount">Product of the dimensions.</param>
/// <param name="ByteSize">Bytes the data occupies (unpadded).</param>
public sealed record GgufTensorInfo(string Name, IReadOnlyList<long> Shape, GgmlType Type, ulong Offset, long ElementCount, long ByteSize);
