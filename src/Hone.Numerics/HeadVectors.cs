using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>Short-vector dot and axpy for attention heads (64–128 floats), inlined to avoid per-call overhead;
/// Vector512, else Vector256, else scalar, always with fused multiply-adds.</summary>
internal static unsafe class HeadVectors
{
    /// <summary>Σ a[i]·b[i] for i &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* a, float* b, int n)
    {
        int i = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> s0 = Vector512<float>.Zero, s1 = Vector512<float>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), s1);
            }

            if (i + 16 <= n)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
                i += 16;
            }

            sum = Vector512.Sum(s0 + s1);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> s0 = Vector256<float>.Zero, s1 = Vector256<float>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), s1);
            }

            if (i + 8 <= n)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s0);
                i += 8;
            }

            sum = Vector256.Sum(s0 + s1);
        }

        for (; i < n; i++)
        {
            sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        }

        return sum;
    }

    /// <summary>
    /// Four dot products of q with rows b0..b3 (n a multiple of 16, AVX-512 only; see <see cref="CanDot4"/>): the
    /// four horizontal sums share one reduction tree, which a single <see cref="Dot"/> cannot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot4(float* q, float* b0, float* b1, float* b2, float* b3, int n)
        => Dot4<float, SingleRows>(q, b0, b1, b2, b3, n);

    /// <summary>Whether <see cref="Dot4"/> applies to rows of <paramref name="n"/> floats on this machine.</summary>
    public static bool CanDot4(int n) => Vector512.IsHardwareAccelerated && Sse3.IsSupported && n % 16 == 0;

    /// <summary>
    /// <see cref="Dot4"/> of q with rows b0..b3 held in F16 (none an infinity or NaN: <see cref="HalfConvert.AllFinite"/>),
    /// widened in registers as they are read: the widening is exact, so the result is <see cref="Dot4"/>'s on the
    /// widened rows, bit for bit (n a multiple of 16, AVX-512 only).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Dot4Half(float* q, ushort* b0, ushort* b1, ushort* b2, ushort* b3, int n)
        => Dot4<ushort, FiniteHalfRows>(q, b0, b1, b2, b3, n);

    /// <summary><see cref="Dot4"/> over rows read 16 floats at a time by <typeparamref name="TRows"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Dot4<T, TRows>(float* q, T* b0, T* b1, T* b2, T* b3, int n)
        where T : unmanaged
        where TRows : struct, IRows<T>
    {
        Vector512<float> s0 = Vector512<float>.Zero, s1 = Vector512<float>.Zero, s2 = Vector512<float>.Zero, s3 = Vector512<float>.Zero;
        for (int i = 0; i < n; i += 16)
        {
            Vector512<float> v = Vector512.Load(q + i);
            s0 = Vector512.FusedMultiplyAdd(v, TRows.Load16(b0 + i), s0);
            s1 = Vector512.FusedMultiplyAdd(v, TRows.Load16(b1 + i), s1);
            s2 = Vector512.FusedMultiplyAdd(v, TRows.Load16(b2 + i), s2);
            s3 = Vector512.FusedMultiplyAdd(v, TRows.Load16(b3 + i), s3);
        }

        Vector128<float> r0 = Fold(s0), r1 = Fold(s1), r2 = Fold(s2), r3 = Fold(s3);
        return Sse3.HorizontalAdd(Sse3.HorizontalAdd(r0, r1), Sse3.HorizontalAdd(r2, r3));
    }

    /// <summary>
    /// <see cref="WeightedSumAdd"/> over rows held in F16 (none an infinity or NaN: <see cref="HalfConvert.AllFinite"/>),
    /// widened in registers as they are read: the same FMA chains, so the same bits as widening first (n a multiple of
    /// 64, AVX-512 only).
    /// </summary>
    public static void WeightedSumAddHalf(float* w, int count, ushort* v, long stride, float* o, int n)
        => WeightedSumAdd64<ushort, FiniteHalfRows>(w, count, v, stride, o, n);

    /// <summary>The <see cref="WeightedSumAdd"/> of the first n - n % 64 floats of o over rows read by
    /// <typeparamref name="TRows"/> (AVX-512 only); returns how many it did.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WeightedSumAdd64<T, TRows>(float* w, int count, T* v, long stride, float* o, int n)
        where T : unmanaged
        where TRows : struct, IRows<T>
    {
        int i = 0;
        for (; i + 64 <= n; i += 64)
        {
            Vector512<float> a0 = Vector512.Load(o + i), a1 = Vector512.Load(o + i + 16), a2 = Vector512.Load(o + i + 32), a3 = Vector512.Load(o + i + 48);
            T* row = v + i;
            for (int j = 0; j < count; j++)
            {
                Vector512<float> wj = Vector512.Create(w[j]);
                a0 = Vector512.FusedMultiplyAdd(wj, TRows.Load16(row), a0);
                a1 = Vector512.FusedMultiplyAdd(wj, TRows.Load16(row + 16), a1);
                a2 = Vector512.FusedMultiplyAdd(wj, TRows.Load16(row + 32), a2);
                a3 = Vector512.FusedMultiplyAdd(wj, TRows.Load16(row + 48), a3);
                row += stride;
            }

            a0.Store(o + i);
            a1.Store(o + i + 16);
            a2.Store(o + i + 32);
            a3.Store(o + i + 48);
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fold(Vector512<float> v)
    {
        Vector256<float> h = v.GetLower() + v.GetUpper();
        return h.GetLower() + h.GetUpper();
    }

    /// <summary>
    /// o[i] = Σ_j w[j]·v[j·stride + i] for i &lt; n, j &lt; count: the same FMA chain in j order as repeated
    /// <see cref="Axpy"/> from zero (<see cref="WeightedSumAdd"/> onto a cleared o).
    /// </summary>
    public static void WeightedSum(float* w, int count, float* v, long stride, float* o, int n)
    {
        new Span<float>(o, n).Clear();
        WeightedSumAdd(w, count, v, stride, o, n);
    }

    /// <summary>
    /// o[i] += Σ_j w[j]·v[j·stride + i] for i &lt; n, j &lt; count: the same FMA chain in j order as repeated
    /// <see cref="Axpy"/>, but with the accumulators held in registers, 64 floats at a time (so a sum split over
    /// consecutive calls, as the half-precision cache's tiles do, gives the bits of one call).
    /// </summary>
    public static void WeightedSumAdd(float* w, int count, float* v, long stride, float* o, int n)
    {
        int i = Vector512.IsHardwareAccelerated ? WeightedSumAdd64<float, SingleRows>(w, count, v, stride, o, n) : 0;
        if (i < n)
        {
            for (int j = 0; j < count; j++)
            {
                Axpy(w[j], v + (j * stride) + i, o + i, n - i);
            }
        }
    }

    /// <summary>y[i] += alpha·x[i] for i &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy(float alpha, float* x, float* y, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> va = Vector512.Create(alpha);
            for (; i + 16 <= n; i += 16)
            {
                Vector512.FusedMultiplyAdd(va, Vector512.Load(x + i), Vector512.Load(y + i)).Store(y + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> va = Vector256.Create(alpha);
            for (; i + 8 <= n; i += 8)
            {
                Vector256.FusedMultiplyAdd(va, Vector256.Load(x + i), Vector256.Load(y + i)).Store(y + i);
            }
        }

        for (; i < n; i++)
        {
            y[i] = MathF.FusedMultiplyAdd(alpha, x[i], y[i]);
        }
    }

    /// <summary>How a kernel reads 16 floats of a row: as stored (<see cref="SingleRows"/>) or widened from F16 in
    /// registers (<see cref="FiniteHalfRows"/>); a struct type argument, so each kernel is compiled for its own.</summary>
    private interface IRows<T>
        where T : unmanaged
    {
        static abstract Vector512<float> Load16(T* p);
    }

    private readonly struct SingleRows : IRows<float>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load16(float* p) => Vector512.Load(p);
    }

    private readonly struct FiniteHalfRows : IRows<ushort>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load16(ushort* p) => HalfConvert.WidenFinite16(p);
    }
}
