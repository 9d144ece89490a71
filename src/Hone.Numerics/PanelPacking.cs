using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>Packing of weight panels for the matmul micro-kernel: NR columns, kc rows of NR floats, zero-padded.</summary>
internal static unsafe class PanelPacking
{
    private const int NR = MatMulPacked.NR;

    /// <summary>
    /// Packs rows [k0, k0 + kc) of panel <paramref name="panel"/> of B into dst (kc × NR floats), where B is w [k, n],
    /// or wᵀ for w [n, k] when <paramref name="transposed"/>.
    /// </summary>
    public static void Pack(float* w, int k, int n, bool transposed, int panel, int k0, int kc, float* dst)
    {
        int c0 = panel * NR;
        int cols = Math.Min(NR, n - c0);
        if (!transposed)
        {
            for (int p = 0; p < kc; p++)
            {
                float* src = w + ((long)(k0 + p) * n) + c0;
                float* d = dst + ((long)p * NR);
                new ReadOnlySpan<float>(src, cols).CopyTo(new Span<float>(d, cols));
                if (cols < NR)
                {
                    new Span<float>(d + cols, NR - cols).Clear();
                }
            }

            return;
        }

        // w is [n, k]: panel column j is weight row c0 + j. Sixteen rows at a time, so each write fills a line.
        for (int j0 = 0; j0 < NR; j0 += 16)
        {
            int width = Math.Clamp(cols - j0, 0, 16);
            float* src = w + ((long)(c0 + j0) * k) + k0;
            float* d = dst + j0;
            int p = 0;
            if (width == 16 && Avx512F.IsSupported)
            {
                for (; p + 16 <= kc; p += 16)
                {
                    Transpose16x16(src + p, k, d, NR);
                    d += 16 * NR;
                }
            }

            for (; p < kc; p++)
            {
                int j = 0;
                for (; j < width; j++)
                {
                    d[j] = src[((long)j * k) + p];
                }

                for (; j < 16; j++)
                {
                    d[j] = 0;
                }

                d += NR;
            }
        }
    }

    /// <summary>dst[i * ldd + j] = src[j * lds + i] for a 16×16 block, with AVX-512 shuffles.</summary>
    internal static void Transpose16x16(float* src, long lds, float* dst, long ldd)
    {
        Vector512<float> r0 = Vector512.Load(src + (0L * lds));
        Vector512<float> r1 = Vector512.Load(src + (1L * lds));
        Vector512<float> r2 = Vector512.Load(src + (2L * lds));
        Vector512<float> r3 = Vector512.Load(src + (3L * lds));
        Vector512<float> r4 = Vector512.Load(src + (4L * lds));
        Vector512<float> r5 = Vector512.Load(src + (5L * lds));
        Vector512<float> r6 = Vector512.Load(src + (6L * lds));
        Vector512<float> r7 = Vector512.Load(src + (7L * lds));
        Vector512<float> r8 = Vector512.Load(src + (8L * lds));
        Vector512<float> r9 = Vector512.Load(src + (9L * lds));
        Vector512<float> r10 = Vector512.Load(src + (10L * lds));
        Vector512<float> r11 = Vector512.Load(src + (11L * lds));
        Vector512<float> r12 = Vector512.Load(src + (12L * lds));
        Vector512<float> r13 = Vector512.Load(src + (13L * lds));
        Vector512<float> r14 = Vector512.Load(src + (14L * lds));
        Vector512<float> r15 = Vector512.Load(src + (15L * lds));

        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1);
        Vector512<float> t1 = Avx512F.UnpackHigh(r0, r1);
        Vector512<float> t2 = Avx512F.UnpackLow(r2, r3);
        Vector512<float> t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5);
        Vector512<float> t5 = Avx512F.UnpackHigh(r4, r5);
        Vector512<float> t6 = Avx512F.UnpackLow(r6, r7);
        Vector512<float> t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9);
        Vector512<float> t9 = Avx512F.UnpackHigh(r8, r9);
        Vector512<float> t10 = Avx512F.UnpackLow(r10, r11);
        Vector512<float> t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13);
        Vector512<float> t13 = Avx512F.UnpackHigh(r12, r13);
        Vector512<float> t14 = Avx512F.UnpackLow(r14, r15);
        Vector512<float> t15 = Avx512F.UnpackHigh(r14, r15);

        r0 = Avx512F.UnpackLow(t0.AsDouble(), t2.AsDouble()).AsSingle();
        r1 = Avx512F.UnpackHigh(t0.AsDouble(), t2.AsDouble()).AsSingle();
        r2 = Avx512F.UnpackLow(t1.AsDouble(), t3.AsDouble()).AsSingle();
        r3 = Avx512F.UnpackHigh(t1.AsDouble(), t3.AsDouble()).AsSingle();
        r4 = Avx512F.UnpackLow(t4.AsDouble(), t6.AsDouble()).AsSingle();
        r5 = Avx512F.UnpackHigh(t4.AsDouble(), t6.AsDouble()).AsSingle();
        r6 = Avx512F.UnpackLow(t5.AsDouble(), t7.AsDouble()).AsSingle();
        r7 = Avx512F.UnpackHigh(t5.AsDouble(), t7.AsDouble()).AsSingle();
        r8 = Avx512F.UnpackLow(t8.AsDouble(), t10.AsDouble()).AsSingle();
        r9 = Avx512F.UnpackHigh(t8.AsDouble(), t10.AsDouble()).AsSingle();
        r10 = Avx512F.UnpackLow(t9.AsDouble(), t11.AsDouble()).AsSingle();
        r11 = Avx512F.UnpackHigh(t9.AsDouble(), t11.AsDouble()).AsSingle();
        r12 = Avx512F.UnpackLow(t12.AsDouble(), t14.AsDouble()).AsSingle();
        r13 = Avx512F.UnpackHigh(t12.AsDouble(), t14.AsDouble()).AsSingle();
        r14 = Avx512F.UnpackLow(t13.AsDouble(), t15.AsDouble()).AsSingle();
        r15 = Avx512F.UnpackHigh(t13.AsDouble(), t15.AsDouble()).AsSingle();

        t0 = Avx512F.Shuffle4x128(r0, r4, 0x88);
        t1 = Avx512F.Shuffle4x128(r1, r5, 0x88);
        t2 = Avx512F.Shuffle4x128(r2, r6, 0x88);
        t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
        t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD);
        t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD);
        t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD);
        t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        t8 = Avx512F.Shuffle4x128(r8, r12, 0x88);
        t9 = Avx512F.Shuffle4x128(r9, r13, 0x88);
        t10 = Avx512F.Shuffle4x128(r10, r14, 0x88);
        t11 = Avx512F.Shuffle4x128(r11, r15, 0x88);
        t12 = Avx512F.Shuffle4x128(r8, r12, 0xDD);
        t13 = Avx512F.Shuffle4x128(r9, r13, 0xDD);
        t14 = Avx512F.Shuffle4x128(r10, r14, 0xDD);
        t15 = Avx512F.Shuffle4x128(r11, r15, 0xDD);

        Avx512F.Shuffle4x128(t0, t8, 0x88).Store(dst + (0L * ldd));
        Avx512F.Shuffle4x128(t1, t9, 0x88).Store(dst + (1L * ldd));
        Avx512F.Shuffle4x128(t2, t10, 0x88).Store(dst + (2L * ldd));
        Avx512F.Shuffle4x128(t3, t11, 0x88).Store(dst + (3L * ldd));
        Avx512F.Shuffle4x128(t4, t12, 0x88).Store(dst + (4L * ldd));
        Avx512F.Shuffle4x128(t5, t13, 0x88).Store(dst + (5L * ldd));
        Avx512F.Shuffle4x128(t6, t14, 0x88).Store(dst + (6L * ldd));
        Avx512F.Shuffle4x128(t7, t15, 0x88).Store(dst + (7L * ldd));
        Avx512F.Shuffle4x128(t0, t8, 0xDD).Store(dst + (8L * ldd));
        Avx512F.Shuffle4x128(t1, t9, 0xDD).Store(dst + (9L * ldd));
        Avx512F.Shuffle4x128(t2, t10, 0xDD).Store(dst + (10L * ldd));
        Avx512F.Shuffle4x128(t3, t11, 0xDD).Store(dst + (11L * ldd));
        Avx512F.Shuffle4x128(t4, t12, 0xDD).Store(dst + (12L * ldd));
        Avx512F.Shuffle4x128(t5, t13, 0xDD).Store(dst + (13L * ldd));
        Avx512F.Shuffle4x128(t6, t14, 0xDD).Store(dst + (14L * ldd));
        Avx512F.Shuffle4x128(t7, t15, 0xDD).Store(dst + (15L * ldd));
    }
}
