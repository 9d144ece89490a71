using System.Buffers.Binary;

namespace Hone.Formats.Gguf;

/// <summary>Conversion of F32 values to ggml tensor bytes, with llama.cpp's rounding rules.</summary>
public static class GgufQuantize
{
    /// <summary>Float to BF16 bits, round-to-nearest-even; NaN stays a quiet NaN (as ggml does).</summary>
    public static ushort F32ToBF16(float value)
    {
        var u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7fffffff) > 0x7f800000) return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }

    /// <summary>
    /// Encodes <paramref name="values"/> as <paramref name="type"/> (F32, F16, BF16, Q8_0, Q4_0 or Q4_K), with the rounding of
    /// ggml's reference quantisers (<c>quantize_row_q8_0_ref</c>: d = amax/127, q = roundf(x/d), half away from zero;
    /// <c>quantize_row_q4_0_ref</c>: d = max/−8 with max the value of largest magnitude, q = min(15, (int8)(x/d + 8.5))),
    /// <c>quantize_row_q4_K_ref</c>: <see cref="GgufQ4K.Quantize"/>), which <c>llama-quantize</c> writes; scales round to half to nearest even, as F16C does.
    /// </summary>
    public static byte[] FromF32(GgmlType type, ReadOnlySpan<float> values)
    {
        var dst = new byte[GgmlTypeInfo.ByteSize(type, values.Length)];
        switch (type)
        {
            case GgmlType.F32:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(dst.AsSpan(4 * i), values[i]);
                break;
            case GgmlType.F16:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(dst.AsSpan(2 * i), (Half)values[i]);
                break;
            case GgmlType.BF16:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(dst.AsSpan(2 * i), F32ToBF16(values[i]));
                break;
            case GgmlType.Q8_0:
                for (int o = 0, b = 0; o < values.Length; o += 32, b += 34)
                {
                    var block = values.Slice(o, 32);
                    var amax = 0f;
                    foreach (var v in block) amax = MathF.Max(amax, MathF.Abs(v));
                    var d = amax / 127f;
                    var id = d != 0 ? 1f / d : 0f;
                    BinaryPrimitives.WriteHalfLittleEndian(dst.AsSpan(b), (Half)d);
                    for (var j = 0; j < 32; j++) dst[b + 2 + j] = (byte)(sbyte)MathF.Round(block[j] * id, MidpointRounding.AwayFromZero);
                }
                break;
            case GgmlType.Q4_0:
                for (int o = 0, b = 0; o < values.Length; o += 32, b += 18)
                {
                    var block = values.Slice(o, 32);
                    float amax = 0f, max = 0f;
                    foreach (var v in block)
                    {
                        if (amax < MathF.Abs(v))
                        {
                            amax = MathF.Abs(v);
                            max = v;
                        }
                    }

                    var d = max / -8f;
                    var id = d != 0 ? 1f / d : 0f;
                    BinaryPrimitives.WriteHalfLittleEndian(dst.AsSpan(b), (Half)d);
                    for (var j = 0; j < 16; j++)
                    {
                        var lo = Math.Min(15, (int)(sbyte)(block[j] * id + 8.5f));
                        var hi = Math.Min(15, (int)(sbyte)(block[j + 16] * id + 8.5f));
                        dst[b + 2 + j] = (byte)(lo | (hi << 4));
                    }
                }
                break;
            case GgmlType.Q4_K:
                GgufQ4K.Quantize(values, dst);
                break;
            default:
                throw new GgufUnsupportedTypeException($"Hone cannot quantise to {type}; use F32, F16, BF16, Q8_0, Q4_0 or Q4_K") { Type = type };
        }
        return dst;
    }
}
