using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>
/// Packing of bfloat16 weight panels for the float32 micro-kernel of <see cref="MatMulPacked"/>: the same layout as
/// <see cref="PanelPacking"/> (NR columns, kc rows of NR floats, zero-padded), each value widened in registers
/// (the bf16 bits shifted into the float's upper half, exact). A panel packed from bf16 equals the panel packed from
/// the float32 values the bf16 stands for, so the products that follow are bit-identical.
/// </summary>
internal static unsafe class BF16Packing
{
    private const int NR = MatMulPacked.NR;

    /// <summary>
    /// Packs rows [k0, k0 + kc) of panel <paramref name="panel"/> of B into dst (kc × NR floats), where B is w [k, n]
    /// (bf16 bits), or wᵀ for w [n, k] when <paramref name="transposed"/>.
    /// </summary>
    public static void Pack(ushort* w, int k, int n, bool transposed, int panel, int k0, int kc, float* dst)
    {
        int c0 = panel * NR;
        int cols = Math.Min(NR, n - c0);
        if (!transposed)
        {
            for (int p = 0; p < kc; p++)
            {
                Widen(w + ((long)(k0 + p) * n) + c0, dst + ((long)p * NR), cols);
                if (cols < NR)
                {
                    new Span<float>(dst + ((long)p * NR) + cols, NR - cols).Clear();
                }
            }

            return;
        }

        // w is [n, k]: panel column j is weight row c0 + j. Sixteen rows × sixteen values are widened into a block,
        // then transposed into the panel (each write fills a line).
        float* block = stackalloc float[16 * 16];
        for (int j0 = 0; j0 < NR; j0 += 16)
        {
            int width = Math.Clamp(cols - j0, 0, 16);
            ushort* src = w + ((long)(c0 + j0) * k) + k0;
            float* d = dst + j0;
            int p = 0;
            if (width == 16 && Avx512F.IsSupported)
            {
                for (; p + 16 <= kc; p += 16)
                {
                    for (int j = 0; j < 16; j++)
                    {
                        Widen16(src + ((long)j * k) + p, block + (j * 16));
                    }

                    PanelPacking.Transpose16x16(block, 16, d, NR);
                    d += 16 * NR;
                }
            }

            for (; p < kc; p++)
            {
                int j = 0;
                for (; j < width; j++)
                {
                    d[j] = ToSingle(src[((long)j * k) + p]);
                }

                for (; j < 16; j++)
                {
                    d[j] = 0;
                }

                d += NR;
            }
        }
    }

    /// <summary>dst[0..count) = the floats of src[0..count) (bf16 bits).</summary>
    internal static void Widen(ushort* src, float* dst, int count)
    {
        int i = 0;
        if (Avx512F.IsSupported)
        {
            for (; i + 16 <= count; i += 16)
            {
                Widen16(src + i, dst + i);
            }
        }
        else if (Avx2.IsSupported)
        {
            for (; i + 8 <= count; i += 8)
            {
                var v = Avx2.ConvertToVector256Int32(Vector128.Load(src + i));
                Avx2.ShiftLeftLogical(v, 16).AsSingle().Store(dst + i);
            }
        }

        for (; i < count; i++)
        {
            dst[i] = ToSingle(src[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Widen16(ushort* src, float* dst)
    {
        var v = Avx512F.ConvertToVector512UInt32(Vector256.Load(src));
        Avx512F.ShiftLeftLogical(v, 16).AsSingle().Store(dst);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);
}
