using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>
/// Row kernels of <see cref="StoredMatMul"/>: a float32 vector against one stored row (decode), and a stored row
/// decoded to float32 (the matrix-matrix path). BF16 widens to float32 by a 16-bit shift (.NET 10 exposes no
/// AVX-512 BF16 dot-product intrinsic); Q8_0 and Q4_0 widen each block's integers to float32, multiply-add them with x,
/// and scale the block's sum once. Each result comes from a fixed sequence of operations for a given k and level.
/// </summary>
internal static unsafe class StoredDot
{
    /// <summary>The 512-bit paths need AVX-512F's byte-to-int32 conversions.</summary>
    private static bool Wide(SimdLevel level) => level == SimdLevel.Vector512 && Avx512F.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Scale(byte* block) => StoredRows.HalfToSingle(Unsafe.ReadUnaligned<ushort>(block));

    /// <summary>dot(x, row) over k values. Shapes: x [k] floats, w one row of k values of <paramref name="type"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot(float* x, byte* w, int k, StoredType type, SimdLevel level) => type switch
    {
        StoredType.BF16 => DotBF16(x, (ushort*)w, k, level),
        StoredType.Q8_0 => DotQ8(x, w, k, level),
        _ => DotQ4(x, w, k, level),
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotBF16(float* x, ushort* w, int k, SimdLevel level)
    {
        int p = 0;
        float r = 0;
        if (level == SimdLevel.Vector512)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; p + 64 <= k; p += 64)
            {
                var (l0, h0) = Vector512.Widen(Vector512.Load(w + p));
                var (l1, h1) = Vector512.Widen(Vector512.Load(w + p + 32));
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.ShiftLeft(l0, 16).AsSingle(), a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p + 16), Vector512.ShiftLeft(h0, 16).AsSingle(), a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p + 32), Vector512.ShiftLeft(l1, 16).AsSingle(), a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p + 48), Vector512.ShiftLeft(h1, 16).AsSingle(), a3);
            }

            for (; p + 32 <= k; p += 32)
            {
                var (l0, h0) = Vector512.Widen(Vector512.Load(w + p));
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.ShiftLeft(l0, 16).AsSingle(), a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p + 16), Vector512.ShiftLeft(h0, 16).AsSingle(), a1);
            }

            r = Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        else if (level == SimdLevel.Vector256)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; p + 32 <= k; p += 32)
            {
                var (l0, h0) = Vector256.Widen(Vector256.Load(w + p));
                var (l1, h1) = Vector256.Widen(Vector256.Load(w + p + 16));
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p), Vector256.ShiftLeft(l0, 16).AsSingle(), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p + 8), Vector256.ShiftLeft(h0, 16).AsSingle(), a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p + 16), Vector256.ShiftLeft(l1, 16).AsSingle(), a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p + 24), Vector256.ShiftLeft(h1, 16).AsSingle(), a3);
            }

            r = Vector256.Sum((a0 + a1) + (a2 + a3));
        }

        for (; p < k; p++)
        {
            r = MathF.FusedMultiplyAdd(x[p], StoredRows.BF16ToSingle(w[p]), r);
        }

        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ8(float* x, byte* w, int k, SimdLevel level)
    {
        int blocks = k / StoredRows.BlockValues;
        if (Wide(level))
        {
            Vector512<float> a0 = default, a1 = default;
            int b = 0;
            for (; b + 2 <= blocks; b += 2)
            {
                byte* q = w + (b * StoredRows.Q8_0BlockBytes);
                float* xb = x + (b * StoredRows.BlockValues);
                var t0 = Vector512.Load(xb) * Q8Half(q + 2);
                t0 = Vector512.FusedMultiplyAdd(Vector512.Load(xb + 16), Q8Half(q + 18), t0);
                a0 = Vector512.FusedMultiplyAdd(t0, Vector512.Create(Scale(q)), a0);
                q += StoredRows.Q8_0BlockBytes;
                var t1 = Vector512.Load(xb + 32) * Q8Half(q + 2);
                t1 = Vector512.FusedMultiplyAdd(Vector512.Load(xb + 48), Q8Half(q + 18), t1);
                a1 = Vector512.FusedMultiplyAdd(t1, Vector512.Create(Scale(q)), a1);
            }

            for (; b < blocks; b++)
            {
                byte* q = w + (b * StoredRows.Q8_0BlockBytes);
                float* xb = x + (b * StoredRows.BlockValues);
                var t0 = Vector512.Load(xb) * Q8Half(q + 2);
                t0 = Vector512.FusedMultiplyAdd(Vector512.Load(xb + 16), Q8Half(q + 18), t0);
                a0 = Vector512.FusedMultiplyAdd(t0, Vector512.Create(Scale(q)), a0);
            }

            return Vector512.Sum(a0 + a1);
        }

        if (level == SimdLevel.Vector256)
        {
            Vector256<float> acc = default;
            for (int b = 0; b < blocks; b++)
            {
                byte* q = w + (b * StoredRows.Q8_0BlockBytes);
                float* xb = x + (b * StoredRows.BlockValues);
                var (s0, s1) = Vector256.Widen(Vector256.Load((sbyte*)(q + 2)));
                var (i0, i1) = Vector256.Widen(s0);
                var (i2, i3) = Vector256.Widen(s1);
                var t = Vector256.Load(xb) * Vector256.ConvertToSingle(i0);
                t = Vector256.FusedMultiplyAdd(Vector256.Load(xb + 8), Vector256.ConvertToSingle(i1), t);
                t = Vector256.FusedMultiplyAdd(Vector256.Load(xb + 16), Vector256.ConvertToSingle(i2), t);
                t = Vector256.FusedMultiplyAdd(Vector256.Load(xb + 24), Vector256.ConvertToSingle(i3), t);
                acc = Vector256.FusedMultiplyAdd(t, Vector256.Create(Scale(q)), acc);
            }

            return Vector256.Sum(acc);
        }

        float r = 0;
        for (int b = 0; b < blocks; b++)
        {
            byte* q = w + (b * StoredRows.Q8_0BlockBytes);
            float* xb = x + (b * StoredRows.BlockValues);
            float s = 0;
            for (int j = 0; j < StoredRows.BlockValues; j++)
            {
                s = MathF.FusedMultiplyAdd(xb[j], (sbyte)q[2 + j], s);
            }

            r = MathF.FusedMultiplyAdd(s, Scale(q), r);
        }

        return r;
    }

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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float DotQ4(float* x, byte* w, int k, SimdLevel level)
    {
        int blocks = k / StoredRows.BlockValues;
        if (Wide(level))
        {
            Vector512<float> a0 = default, a1 = default;
            int b = 0;
            for (; b + 2 <= blocks; b += 2)
            {
                byte* q = w + (b * StoredRows.Q4_0BlockBytes);
                float* xb = x + (b * StoredRows.BlockValues);
                var (l0, h0) = Q4Wide(q + 2);
                var t0 = Vector512.FusedMultiplyAdd(Vector512.Load(xb + 16), h0, Vector512.Load(xb) * l0);
                a0 = Vector512.FusedMultiplyAdd(t0, Vector512.Create(Scale(q)), a0);
                q += StoredRows.Q4_0BlockBytes;
                var (l1, h1) = Q4Wide(q + 2);
                var t1 = Vector512.FusedMultiplyAdd(Vector512.Load(xb + 48), h1, Vector512.Load(xb + 32) * l1);
                a1 = Vector512.FusedMultiplyAdd(t1, Vector512.Create(Scale(q)), a1);
            }

            for (; b < blocks; b++)
            {
                byte* q = w + (b * StoredRows.Q4_0BlockBytes);
                float* xb = x + (b * StoredRows.BlockValues);
                var (l0, h0) = Q4Wide(q + 2);
                var t0 = Vector512.FusedMultiplyAdd(Vector512.Load(xb + 16), h0, Vector512.Load(xb) * l0);
                a0 = Vector512.FusedMultiplyAdd(t0, Vector512.Create(Scale(q)), a0);
            }

            return Vector512.Sum(a0 + a1);
        }

        float r = 0;
        for (int b = 0; b < blocks; b++)
        {
            byte* q = w + (b * StoredRows.Q4_0BlockBytes);
            float* xb = x + (b * StoredRows.BlockValues);
            float s = 0;
            for (int j = 0; j < 16; j++)
            {
                s = MathF.FusedMultiplyAdd(xb[j], (q[2 + j] & 0x0F) - 8, s);
                s = MathF.FusedMultiplyAdd(xb[j + 16], (q[2 + j] >> 4) - 8, s);
            }

            r = MathF.FusedMultiplyAdd(s, Scale(q), r);
        }

        return r;
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
            case StoredType.Q8_0:
                for (int b = 0; p < k; b++, p += StoredRows.BlockValues)
                {
                    byte* q = w + (b * StoredRows.Q8_0BlockBytes);
                    float d = Scale(q);
                    if (Wide(level))
                    {
                        var dv = Vector512.Create(d);
                        (Q8Half(q + 2) * dv).Store(dst + p);
                        (Q8Half(q + 18) * dv).Store(dst + p + 16);
                        continue;
                    }

                    for (int j = 0; j < StoredRows.BlockValues; j++)
                    {
                        dst[p + j] = d * (sbyte)q[2 + j];
                    }
                }

                return;
            default:
                for (int b = 0; p < k; b++, p += StoredRows.BlockValues)
                {
                    byte* q = w + (b * StoredRows.Q4_0BlockBytes);
                    float d = Scale(q);
                    if (Wide(level))
                    {
                        var dv = Vector512.Create(d);
                        var (lo, hi) = Q4Wide(q + 2);
                        (lo * dv).Store(dst + p);
                        (hi * dv).Store(dst + p + 16);
                        continue;
                    }

                    for (int j = 0; j < 16; j++)
                    {
                        dst[p + j] = d * ((q[2 + j] & 0x0F) - 8);
                        dst[p + j + 16] = d * ((q[2 + j] >> 4) - 8);
                    }
                }

                return;
        }
    }
}
