using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Hone.Formats.Gguf;

namespace Hone.Formats.Safetensors;

/// <summary>Conversions between safetensors float dtypes and F32.</summary>
public static class SafetensorsConvert
{
    /// <summary>Converts <paramref name="src"/> of <paramref name="dtype"/> (F32, F16, BF16, F64) to <paramref name="dst"/>.</summary>
    public static void ToF32(SafetensorsDtype dtype, ReadOnlySpan<byte> src, Span<float> dst, string path = "", string tensor = "")
    {
        if ((long)dst.Length * SafetensorsDtypes.Size(dtype) != src.Length) throw new ArgumentException("size mismatch", nameof(dst));
        switch (dtype)
        {
            case SafetensorsDtype.F32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(src).CopyTo(dst);
                else for (var i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case SafetensorsDtype.F16:
                for (var i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]);
                break;
            case SafetensorsDtype.BF16:
                for (var i = 0; i < dst.Length; i++) dst[i] = GgufDequantize.BF16ToF32(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]));
                break;
            case SafetensorsDtype.F64:
                for (var i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
                break;
            default:
                throw new SafetensorsFormatException($"{path}: tensor '{tensor}' is {dtype}, which is not a floating-point type Hone loads as F32") { FilePath = path, TensorName = tensor };
        }
    }

    /// <summary>Encodes F32 values as <paramref name="dtype"/> (F32, F16, BF16; BF16 rounds to nearest even).</summary>
    public static byte[] FromF32(SafetensorsDtype dtype, ReadOnlySpan<float> values)
    {
        var dst = new byte[checked(values.Length * SafetensorsDtypes.Size(dtype))];
        switch (dtype)
        {
            case SafetensorsDtype.F32:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(dst.AsSpan(4 * i), values[i]);
                break;
            case SafetensorsDtype.F16:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(dst.AsSpan(2 * i), (Half)values[i]);
                break;
            case SafetensorsDtype.BF16:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(dst.AsSpan(2 * i), GgufQuantize.F32ToBF16(values[i]));
                break;
            default:
                throw new ArgumentException($"cannot encode F32 values as {dtype}", nameof(dtype));
        }
        return dst;
    }
}
