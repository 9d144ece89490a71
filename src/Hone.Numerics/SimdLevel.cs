using System.Runtime.Intrinsics;

namespace Hone.Numerics;

/// <summary>The instruction width a hand-written kernel uses; the best one available is chosen at run time.</summary>
internal enum SimdLevel
{
    /// <summary>Plain scalar code (with fused multiply-add), the fallback everywhere.</summary>
    Scalar,

    /// <summary>256-bit vectors (AVX2/FMA, NEON pairs).</summary>
    Vector256,

    /// <summary>512-bit vectors (AVX-512).</summary>
    Vector512,
}

/// <summary>Run-time selection of <see cref="SimdLevel"/>.</summary>
internal static class Simd
{
    /// <summary>The widest level the hardware accelerates.</summary>
    public static readonly SimdLevel Best =
        Vector512.IsHardwareAccelerated ? SimdLevel.Vector512
        : Vector256.IsHardwareAccelerated ? SimdLevel.Vector256
        : SimdLevel.Scalar;

    /// <summary><paramref name="requested"/>, lowered to what the hardware accelerates.</summary>
    public static SimdLevel Clamp(SimdLevel requested) => requested <= Best ? requested : Best;
}
