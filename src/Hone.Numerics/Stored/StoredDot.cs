using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>
/// A stored row decoded to float32 (the matrix-matrix path of <see cref="StoredMatMul"/>, and
/// <see cref="StoredRows.Dequantize"/>). BF16 widens to float32 by a 16-bit shift (.NET 10 exposes no AVX-512 BF16
/// intrinsic); Q8_0 and Q4_0 widen each block's integers to float32 and multiply them by the block's scale.
/// </summary>
internal static unsafe class StoredDot
{
    /// <summary>The 512-bit paths need AVX-512F's byte-to-int32 conversions.</summary>
    private static bool Wide(SimdLevel level) => level == SimdLevel.Vector512 && Avx512F.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Scale(byte* block) => StoredRows.HalfToSingle(Unsafe.ReadUnaligned<ushort>(block));

    /// <summary>16 signed bytes at <paramref name="q"/> as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Q8Half(byte* q) => Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)q)));

    /// <summary>The low and high nibbles of the 16 bytes at <paramref name="q"/>, minus 8, as floats (values 0..15 and 16..31).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float> Low, Vector512<float> High) Q4Wide(byte* q)
    {
        var raw = Vector128.Load(q);
        var eight = Vector512.Create(8);
        var lo = Avx512F.ConvertToVector512Int32(raw & Vector128.Create((byte)0x0F)) - eight;
        var hi = Avx512F.ConvertToVector512Int32(Vector128.ShiftRightLogical(raw, 4)) - eight;
        return (Avx512F.ConvertToVector512Single(lo), Avx512F.ConvertToVector512Single(hi));
    }

    /// <summary>Decodes one row of k values into dst [k] (exact: every stored value is a float32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Dequantize(byte* w, float* dst, int k, StoredType type, SimdLevel level)
    {
        int p = 0;
        switch (type)
        {
            case StoredType.BF16:
                var u = (ushort*)w;
                if (level == SimdLevel.Vector512)
                {
                    for (; p + 32 <= k; p += 32)
                    {
                        var (lo, hi) = Vector512.Widen(Vector512.Load(u + p));
                        Vector512.ShiftLeft(lo, 16).AsSingle().Store(dst + p);
                        Vector512.ShiftLeft(hi, 16).AsSingle().Store(dst + p + 16);
                    }
                }

                for (; p < k; p++)
                {
                    dst[p] = StoredRows.BF16ToSingle(u[p]);
                }

                return;
            case StoredType.Q4_K:
                StoredQ4K.Dequantize(w, dst, k, level);
                return;
            case StoredType.Q4_KSplit:
                StoredQ4KSplit.Dequantize(w, dst, k, level);
                return;
            default:
                var (so, ss, qo, qs) = StoredRows.Layout(type, k);
                bool q4 = StoredRows.IsQ4(type);
                for (int b = 0; p < k; b++, p += StoredRows.BlockValues)
                {
                    float d = Scale(w + so + (b * ss));
                    byte* q = w + qo + (b * qs);
                    if (Wide(level))
                    {
                        var dv = Vector512.Create(d);
                        if (q4)
                        {
                            var (lo, hi) = Q4Wide(q);
                            (lo * dv).Store(dst + p);
                            (hi * dv).Store(dst + p + 16);
                        }
                        else
                        {
                            (Q8Half(q) * dv).Store(dst + p);
                            (Q8Half(q + 16) * dv).Store(dst + p + 16);
                        }

                        continue;
                    }

                    for (int j = 0; j < 16; j++)
                    {
                        dst[p + j] = d * (q4 ? (q[j] & 0x0F) - 8 : (sbyte)q[j]);
                        dst[p + j + 16] = d * (q4 ? (q[j] >> 4) - 8 : (sbyte)q[j + 16]);
                    }
                }

                return;
        }
    }
}
