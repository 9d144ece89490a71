using System.Buffers.Binary;

namespace Hone.Formats.Gguf;

/// <summary>Dequantisation of ggml tensor bytes to F32.</summary>
public static class GgufDequantize
{
    /// <summary>Types <see cref="ToF32"/> accepts.</summary>
    public static IReadOnlyList<GgmlType> Supported { get; } =
        [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.F64, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K];

    /// <summary>Whether <paramref name="type"/> can be dequantised.</summary>
    public static bool IsSupported(GgmlType type) => Supported.Contains(type);

    /// <summary>BF16 bits to float.</summary>
    public static float BF16ToF32(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>
    /// Dequantises <paramref name="src"/> (whole blocks of <paramref name="type"/>) into <paramref name="dst"/>.
    /// dst.Length elements are produced; src must hold exactly their bytes.
    /// </summary>
    public static void ToF32(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        var need = GgmlTypeInfo.ByteSize(type, dst.Length);
        if (src.Length != need) throw new ArgumentException($"{type}: {dst.Length} elements need {need} bytes, got {src.Length}", nameof(src));
        switch (type)
        {
            case GgmlType.F32:
                for (var i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case GgmlType.F64:
                for (var i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
                break;
            case GgmlType.F16:
                for (var i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]);
                break;
            case GgmlType.BF16:
                for (var i = 0; i < dst.Length; i++) dst[i] = BF16ToF32(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]));
                break;
            case GgmlType.Q8_0:
                for (int b = 0, o = 0; o < dst.Length; b += 34, o += 32)
                {
                    var d = (float)BinaryPrimitives.ReadHalfLittleEndian(src[b..]);
                    for (var j = 0; j < 32; j++) dst[o + j] = d * (sbyte)src[b + 2 + j];
                }
                break;
            case GgmlType.Q4_0:
                for (int b = 0, o = 0; o < dst.Length; b += 18, o += 32)
                {
                    var d = (float)BinaryPrimitives.ReadHalfLittleEndian(src[b..]);
                    for (var j = 0; j < 16; j++)
                    {
                        var q = src[b + 2 + j];
                        dst[o + j] = ((q & 0x0F) - 8) * d;
                        dst[o + j + 16] = ((q >> 4) - 8) * d;
                    }
                }
                break;
            case GgmlType.Q4_K:
                GgufQ4K.Dequantize(src, dst);
                break;
            default:
                throw new GgufUnsupportedTypeException($"ggml type {type} cannot be dequantised") { Type = type };
        }
    }
}
