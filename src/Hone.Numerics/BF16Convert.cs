namespace Hone.Numerics;

/// <summary>Conversions between float32 and bfloat16 bits (the upper 16 bits of a float32).</summary>
public static unsafe class BF16Convert
{
    /// <summary>dst = bf16(src), round to nearest even; NaN stays a quiet NaN. Shapes: src [n], dst [n].</summary>
    public static void FromSingle(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dst.Length, src.Length, nameof(dst));
        for (int i = 0; i < src.Length; i++)
        {
            uint u = BitConverter.SingleToUInt32Bits(src[i]);
            dst[i] = (u & 0x7FFFFFFFu) > 0x7F800000u ? (ushort)((u >> 16) | 64) : (ushort)((u + 0x7FFFu + ((u >> 16) & 1)) >> 16);
        }
    }

    /// <summary>dst = the floats of src (exact). Shapes: src [n], dst [n].</summary>
    public static void ToSingle(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dst.Length, src.Length, nameof(dst));
        fixed (ushort* s = src)
        fixed (float* d = dst)
        {
            BF16Packing.Widen(s, d, src.Length);
        }
    }
}
