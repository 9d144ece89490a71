using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>
/// Conversions between float32 and IEEE half precision (F16: 1 sign, 5 exponent, 10 mantissa bits), the element type
/// of the inference KV cache (and of the Q4_0 and Q4_K block scales). .NET 10 exposes no vcvtph2ps intrinsic, so the
/// widening is done with integer vector operations: the magnitude bits shifted into a float's place and scaled by 2¹¹²
/// (exact for normal and subnormal halves), infinities and NaNs patched with a compare, the sign or-ed back; the
/// general <see cref="Widen16(Vector512{uint})"/> avoids subnormal arithmetic instead.
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

    /// <summary>True when none of the <paramref name="count"/> halves at src (a multiple of 16) is an infinity or NaN
    /// (AVX-512 only), so <see cref="WidenFinite16"/> widens them all exactly: the largest magnitude is below 0x7C00.</summary>
    internal static bool AllFinite(ushort* src, int count)
    {
        var magnitude = Vector512.Create((ushort)0x7FFF);
        var largest = Vector512<ushort>.Zero;
        int i = 0;
        for (; i + 32 <= count; i += 32)
        {
            largest = Vector512.Max(largest, Vector512.Load(src + i) & magnitude);
        }

        var largest256 = Vector256.Max(largest.GetLower(), largest.GetUpper());
        if (i < count)
        {
            largest256 = Vector256.Max(largest256, Vector256.Load(src + i) & Vector256.Create((ushort)0x7FFF));
        }

        return Vector256.LessThanAll(largest256, Vector256.Create((ushort)0x7C00));
    }

    /// <summary>Sixteen halves at src as floats (AVX-512 only), exactly: <see cref="Widen16(Vector512{uint})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Widen16(ushort* src) => Widen16(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)src)).AsUInt32());

    /// <summary>Sixteen halves (bits in the low 16 of each lane; the upper bits are ignored, so a sign extension may stay)
    /// as floats, exactly as <see cref="StoredRows.HalfToSingle"/> and, as it, with no arithmetic on a subnormal float
    /// (AVX-512 only). Normal halves move exponent and mantissa to the float's place and add 112 to the exponent
    /// (infinities and NaN 112 more, to the all-ones exponent); subnormal halves and zero are their 10-bit integer
    /// times 2⁻²⁴, a product of normal floats. (A Q4_K super-block's d and dmin are often half subnormals: scaling their
    /// bits as a subnormal float cost a microcode assist of a hundred cycles or more.)</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Widen16(Vector512<uint> bits)
    {
        var mag = bits & Vector512.Create(0x7FFFu);
        var normal = (mag << 13) + Vector512.Create(112u << 23) + (Vector512.GreaterThanOrEqual(mag, Vector512.Create(0x7C00u)) & Vector512.Create(112u << 23));
        var small = (Vector512.ConvertToSingle(mag.AsInt32()) * Vector512.Create(1f / 16777216f)).AsUInt32();
        var r = Vector512.ConditionalSelect(Vector512.LessThan(mag, Vector512.Create(0x400u)), small, normal);
        return (r | ((bits & Vector512.Create(0x8000u)) << 16)).AsSingle();
    }

    /// <summary>32 halves (a pair of interleaved blocks' scales, one 64-byte load) as two vectors of 16 floats, exactly
    /// (AVX-512 only). When all are normal (magnitudes 0x0400..0x7BFF: minus 0x0400, below 0x7800 unsigned; the rule in
    /// a weight's scales) by the shift, mask and one multiply of <see cref="WidenFinite16(Vector256{ushort})"/>, with no
    /// arithmetic on a subnormal float; otherwise (a zero, subnormal, infinite or NaN among them) by the general
    /// <see cref="Widen16(Vector512{uint})"/>. The same floats either way, at half the instructions in the rule (with the
    /// stream prefetch unrolled, the Q4_0x16 decode kernel went from 59-62 to 69-79 GB/s in cache: stored-kernels, one
    /// thread, old and new alternated on a loaded 2-core Zen 5; Q8_0x16 level to +4%).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector512<float> Low, Vector512<float> High) Widen32(Vector512<ushort> halves)
    {
        if (Vector512.LessThanAll((halves & Vector512.Create((ushort)0x7FFF)) - Vector512.Create((ushort)0x0400), Vector512.Create((ushort)0x7800)))
        {
            return (WidenFinite16(halves.GetLower()), WidenFinite16(halves.GetUpper()));
        }

        return (Widen16(Avx512F.ConvertToVector512Int32(halves.GetLower().AsInt16()).AsUInt32()),
            Widen16(Avx512F.ConvertToVector512Int32(halves.GetUpper().AsInt16()).AsUInt32()));
    }

    /// <summary>Sixteen halves at src, none an infinity or NaN, as floats (AVX-512 only): <see cref="Widen16(ushort*)"/>
    /// without the patch of those.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> WidenFinite16(ushort* src) => WidenFinite16(Vector256.Load(src));

    /// <summary>Sixteen halves, none an infinity or NaN, as floats (AVX-512 only), exactly; no arithmetic on a subnormal
    /// float when none is subnormal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> WidenFinite16(Vector256<ushort> halves)
    {
        var x = Avx512F.ConvertToVector512Int32(halves.AsInt16()).AsUInt32();
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

    /// <summary>2¹¹² (bits 0x77800000): moves a half's exponent bias (15) to a float's (127). A constant, not a static
    /// field: kernels marked AggressiveOptimization are compiled once, before the class is known to be initialised, and
    /// a static field's initialisation check there is a call across which every vector register is spilled.</summary>
    private const float Scale = 5.192296858534828e33f;

    /// <summary>The magnitude bits of +∞ (exponent all ones) after the shift by 13.</summary>
    private const uint InfinityShifted = 0x7C00u << 13;

    /// <summary>The F16 bits of a span of halves (a view, no copy).</summary>
    internal static ReadOnlySpan<ushort> Bits(ReadOnlySpan<Half> halves) => MemoryMarshal.Cast<Half, ushort>(halves);
}
