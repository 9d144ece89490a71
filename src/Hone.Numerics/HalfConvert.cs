using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>
/// Conversions between float32 and IEEE half precision (F16: 1 sign, 5 exponent, 10 mantissa bits), the element type
/// of the inference KV cache. .NET 10 exposes no vcvtph2ps intrinsic, so the widening is done with integer vector
/// operations: the magnitude bits shifted into a float's place and scaled by 2¹¹² (exact for normal and subnormal
/// halves), infinities and NaNs patched with a compare, the sign or-ed back.
/// </summary>
public static unsafe class HalfConvert
{
    /// <summary>dst = f16(src), round to nearest even (overflow to ±∞). Shapes: src [n], dst [n].</summary>
    public static void FromSingle(ReadOnlySpan<float> src, Span<Half> dst)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dst.Length, src.Length, nameof(dst));
        TensorPrimitives.ConvertToHalf(src, dst[..src.Length]);
    }

    /// <summary>dst = the floats of src (exact). Shapes: src [n], dst [n].</summary>
    public static void ToSingle(ReadOnlySpan<Half> src, Span<float> dst)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dst.Length, src.Length, nameof(dst));
        fixed (Half* s = src)
        fixed (float* d = dst)
        {
            Widen((ushort*)s, d, src.Length);
        }
    }

    /// <summary>Naive twin of <see cref="ToSingle"/>: the scalar conversion of .NET's <see cref="Half"/>.</summary>
    public static void ToSingleNaive(ReadOnlySpan<Half> src, Span<float> dst)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dst.Length, src.Length, nameof(dst));
        for (int i = 0; i < src.Length; i++)
        {
            dst[i] = (float)src[i];
        }
    }

    /// <summary>dst[i] = float(src[i]) for i &lt; count (src holds F16 bits).</summary>
    internal static void Widen(ushort* src, float* dst, int count)
    {
        int i = 0;
        if (Avx512F.IsSupported)
        {
            // 32 halves at a time: when none is an infinity or NaN (exponent all ones: the KV cache of a sane model
            // holds none), the widening needs no patch (the same bits: the patch only ever changes those lanes).
            var exponent = Vector512.Create((ushort)0x7C00);
            for (; i + 32 <= count; i += 32)
            {
                if (Vector512.EqualsAny(Vector512.Load(src + i) & exponent, exponent))
                {
                    Widen16(src + i).Store(dst + i);
                    Widen16(src + i + 16).Store(dst + i + 16);
                    continue;
                }

                WidenFinite16(src + i).Store(dst + i);
                WidenFinite16(src + i + 16).Store(dst + i + 16);
            }

            for (; i + 16 <= count; i += 16)
            {
                Widen16(src + i).Store(dst + i);
            }
        }
        else if (Avx2.IsSupported)
        {
            for (; i + 8 <= count; i += 8)
            {
                Widen8(src + i).Store(dst + i);
            }
        }

        for (; i < count; i++)
        {
            dst[i] = (float)BitConverter.UInt16BitsToHalf(src[i]);
        }
    }

    /// <summary>Sixteen halves at src as floats (AVX-512 only). The halves are sign-extended, so one shift and mask
    /// leave the sign in place and the magnitude in a float's exponent and mantissa bits; the product by 2¹¹² keeps
    /// the sign; a product of 2¹⁶ or more can only come from an infinity or NaN, whose exponent is then set to all ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Widen16(ushort* src) => Widen16(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)src)).AsUInt32());

    /// <summary>Sixteen halves, already sign-extended to 32 bits (a lane of zero gives +0), as floats (AVX-512 only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Widen16(Vector512<uint> x)
    {
        Vector512<float> p = ((x << 13) & Vector512.Create(0x8FFFE000u)).AsSingle() * Vector512.Create(Scale);
        Vector512<float> special = Vector512.GreaterThanOrEqual(Vector512.Abs(p), Vector512.Create(65536f));
        return Vector512.ConditionalSelect(special, (p.AsUInt32() | Vector512.Create(0x7F800000u)).AsSingle(), p);
    }

    /// <summary>Sixteen halves at src, none an infinity or NaN, as floats (AVX-512 only): <see cref="Widen16(ushort*)"/>
    /// without the patch of those.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> WidenFinite16(ushort* src)
    {
        var x = Avx512F.ConvertToVector512Int32(Vector256.Load((short*)src)).AsUInt32();
        return ((x << 13) & Vector512.Create(0x8FFFE000u)).AsSingle() * Vector512.Create(Scale);
    }

    /// <summary>Eight halves at src as floats (AVX2 only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen8(ushort* src)
    {
        Vector256<uint> h = Avx2.ConvertToVector256Int32(Vector128.Load(src)).AsUInt32();
        Vector256<uint> mag = (h & Vector256.Create(0x7FFFu)) << 13;
        Vector256<uint> scaled = (mag.AsSingle() * Vector256.Create(Scale)).AsUInt32();
        Vector256<uint> special = Vector256.GreaterThanOrEqual(mag.AsInt32(), Vector256.Create((int)InfinityShifted)).AsUInt32();
        Vector256<uint> bits = Vector256.ConditionalSelect(special, mag | Vector256.Create(0x7F800000u), scaled);
        return (bits | ((h & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }

    /// <summary>2¹¹²: moves a half's exponent bias (15) to a float's (127).</summary>
    private static readonly float Scale = BitConverter.UInt32BitsToSingle(0x77800000u);

    /// <summary>The magnitude bits of +∞ (exponent all ones) after the shift by 13.</summary>
    private const uint InfinityShifted = 0x7C00u << 13;

    /// <summary>The F16 bits of a span of halves (a view, no copy).</summary>
    internal static ReadOnlySpan<ushort> Bits(ReadOnlySpan<Half> halves) => MemoryMarshal.Cast<Half, ushort>(halves);
}
