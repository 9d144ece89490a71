using System.Buffers.Binary;

namespace Hone.Formats.Gguf;

/// <summary>
/// Value checks of tensor data, as llama.cpp's <c>ggml_validate_row_data</c> does on load: every F16/BF16 value and
/// every Q8_0/Q4_0 block scale and Q4_K super-block d and dmin must be finite (a NaN or infinite scale poisons every
/// value of its block).
/// </summary>
public static class GgufValueCheck
{
    /// <summary>Byte offset (within <paramref name="data"/>) of the first non-finite value or block scale of a tensor of
    /// <paramref name="type"/>, or -1 when all are finite. Types without such encodings (F32, other quantisations) are
    /// not inspected.</summary>
    public static long FirstNonFinite(GgmlType type, ReadOnlySpan<byte> data)
    {
        switch (type)
        {
            case GgmlType.F16:
                return Scan(data, 2, 0x7C00);
            case GgmlType.BF16:
                return Scan(data, 2, 0x7F80);
            case GgmlType.Q8_0:
                return Scan(data, 34, 0x7C00);
            case GgmlType.Q4_0:
                return Scan(data, 18, 0x7C00);
            case GgmlType.Q4_K:
                return First(Scan(data, GgufQ4K.SuperBytes, 0x7C00), Scan(data, GgufQ4K.SuperBytes, 0x7C00, start: 2));
            default:
                return -1;
        }
    }

    /// <summary>The earlier of two offsets, -1 meaning none.</summary>
    private static long First(long a, long b) => a < 0 ? b : b < 0 ? a : Math.Min(a, b);

    /// <summary>Every <paramref name="stride"/> bytes, a 16-bit value whose exponent bits are <paramref name="exponentMask"/>
    /// all set is infinite or NaN (from byte <paramref name="start"/>).</summary>
    private static long Scan(ReadOnlySpan<byte> data, int stride, ushort exponentMask, int start = 0)
    {
        for (int i = start; i + 2 <= data.Length; i += stride)
        {
            if ((BinaryPrimitives.ReadUInt16LittleEndian(data[i..]) & exponentMask) == exponentMask)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Throws <see cref="GgufFormatException"/> naming the tensor, the file and the absolute byte offset of the
    /// first non-finite value or scale of <paramref name="tensor"/>.</summary>
    public static void Check(GgufFile file, GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(tensor);
        long at = FirstNonFinite(tensor.Type, file.GetTensorBytes(tensor));
        if (at >= 0)
        {
            long offset = file.DataOffset + (long)tensor.Offset + at;
            string what = tensor.Type switch
            {
                GgmlType.Q8_0 or GgmlType.Q4_0 => $"block {at / (tensor.Type == GgmlType.Q8_0 ? 34 : 18)} has a NaN or infinite scale",
                GgmlType.Q4_K => $"super-block {at / GgufQ4K.SuperBytes} has a NaN or infinite {(at % GgufQ4K.SuperBytes == 0 ? "scale d" : "min scale dmin")}",
                _ => $"value {at / 2} is NaN or infinite",
            };
            throw GgufFormatException.At(file.Path, offset, $"tensor '{tensor.Name}' ({tensor.Type}): {what}; the file is damaged or was written by a broken quantiser, so export or download it again");
        }
    }
}
