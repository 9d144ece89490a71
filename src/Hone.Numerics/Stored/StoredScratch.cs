using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Hone.Numerics;

/// <summary>
/// The decode rows of x prepared once per <see cref="StoredMatMul"/> call for the stored type's row kernel: Q8_0 and
/// Q4_0 quantised to int8 blocks (<see cref="StoredInt8Dot.Quantize"/>); BF16 with each 32 values split into their 16 even
/// and 16 odd positions (<see cref="DotBF16"/>). Native buffers that only grow; steady-state calls allocate nothing.
/// </summary>
internal sealed unsafe class StoredScratch
{
    private void* _buffer;
    private nuint _bytes;
    private float* _x;
    private sbyte* _q;
    private float* _d;
    private int* _s;
    private byte* _extra;
    private int _k;

    ~StoredScratch() => NativeMemory.AlignedFree(_buffer);

    /// <summary>count buffers of floats floats each, 64-byte aligned.</summary>
    public static float*[] Allocate(int count, int floats)
    {
        var result = new float*[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 64);
        }

        return result;
    }

    /// <summary>Frees buffers from <see cref="Allocate"/>.</summary>
    public static void Free(float*[] buffers)
    {
        foreach (var p in buffers)
        {
            NativeMemory.AlignedFree(p);
        }
    }

    /// <summary>Prepares rows x [m, k] for <see cref="Dot"/>.</summary>
    public void Prepare(float* x, int m, int k, StoredType type, SimdLevel level)
    {
        _k = k;
        if (type == StoredType.BF16)
        {
            _x = (float*)Reserve((nuint)m * (nuint)k * sizeof(float));
            for (int i = 0; i < m; i++)
            {
                SplitEvenOdd(x + ((long)i * k), _x + ((long)i * k), k);
            }

            return;
        }

        int blocks = m * (k / StoredRows.BlockValues);
        bool split = StoredSplit.Is(type);
        long extra = split ? StoredSplit.ExtraBytes(k) : type == StoredType.Q4_KSplit ? StoredQ4KSplit.ExtraBytes(k) : 0;
        byte* p = (byte*)Reserve((nuint)(((long)m * k) + ((long)blocks * 8) + (m * extra) + 64));
        _q = (sbyte*)p;
        _d = (float*)(p + ((long)m * k));
        _s = (int*)(_d + blocks);
        // After d and s: at least 64 more bytes, which the split kernels' vector loads of d and s may touch; 64-byte
        // aligned (k is a multiple of 32 and extra of 64 where a kernel loads it a vector at a time).
        _extra = (byte*)(((nint)(_s + blocks) + 63) & ~(nint)63);
        for (int i = 0; i < m; i++)
        {
            long b = (long)i * (k / StoredRows.BlockValues);
            if (type is StoredType.Q4_K or StoredType.Q4_KSplit or StoredType.Q4_Kx16)
            {
                // llama.cpp's q8_K: a scale per 256 values (fewer than the 32-value blocks reserved), sums per 32 as shorts.
                float* dx = _d + ((long)i * (k / StoredQ4K.SuperValues));
                StoredQ4K.Quantize(x + ((long)i * k), k, _q + ((long)i * k), dx, (short*)(_s + b), level);
                if (type == StoredType.Q4_KSplit)
                {
                    StoredQ4KSplit.Prepare(_q + ((long)i * k), dx, k, _extra + (i * extra));
                }

                continue;
            }

            StoredInt8Dot.Quantize(x + ((long)i * k), k, _q + ((long)i * k), _d + b, _s + b, level);
            if (split)
            {
                StoredSplit.Prepare(type, _q + ((long)i * k), _s + b, k, _extra + (i * extra));
            }
        }
    }

    /// <summary>dot(row i of the prepared x, stored row w).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Dot(int i, byte* w, int k, StoredType type, SimdLevel level)
    {
        if (type == StoredType.BF16)
        {
            return DotBF16(_x + ((long)i * k), (ushort*)w, k, level);
        }

        long b = (long)i * (k / StoredRows.BlockValues);
        if (type == StoredType.Q4_K)
        {
            return StoredQ4K.Dot(w, _q + ((long)i * k), _d + ((long)i * (k / StoredQ4K.SuperValues)), (short*)(_s + b), k, level);
        }

        if (type == StoredType.Q4_KSplit)
        {
            return StoredQ4KSplit.Dot(w, _q + ((long)i * k), _d + ((long)i * (k / StoredQ4K.SuperValues)), (short*)(_s + b), _extra + (i * StoredQ4KSplit.ExtraBytes(k)), k, level);
        }

        if (StoredSplit.Is(type))
        {
            return StoredSplit.Dot(w, type, _q + ((long)i * k), _d + b, _s + b, _extra + (i * StoredSplit.ExtraBytes(k)), k, level);
        }

        return StoredInt8Dot.Dot(w, _q + ((long)i * k), _d + b, _s + b, k, type, level);
    }

    /// <summary>y [16] = the 16 rows of the <see cref="StoredType.Q4_0x16"/>, <see cref="StoredType.Q4_Kx16"/> or
    /// <see cref="StoredType.Q8_0x16"/> group at
    /// w · row i of the prepared x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Dot16(int i, byte* w, int k, StoredType type, float* y, SimdLevel level)
    {
        long b = (long)i * (k / StoredRows.BlockValues);
        if (type == StoredType.Q4_Kx16)
        {
            StoredQ4Kx16.Dot(w, _q + ((long)i * k), _d + ((long)i * (k / StoredQ4K.SuperValues)), (short*)(_s + b), k, y, level);
            return;
        }

        if (type == StoredType.Q8_0x16)
        {
            StoredQ8x16.Dot(w, _q + ((long)i * k), _d + b, _s + b, k, y, level);
            return;
        }

        StoredQ4x16.Dot(w, _q + ((long)i * k), _d + b, _s + b, k, y, level);
    }

    private void* Reserve(nuint bytes)
    {
        if (bytes > _bytes)
        {
            NativeMemory.AlignedFree(_buffer);
            _buffer = null;
            _bytes = 0;
            _buffer = NativeMemory.AlignedAlloc(bytes, 64);
            _bytes = bytes;
        }

        return _buffer;
    }

    /// <summary>dst holds, for each whole 32 values of src, the 16 at even positions then the 16 at odd positions;
    /// the tail (k mod 32) is copied as is.</summary>
    private static void SplitEvenOdd(float* src, float* dst, int k)
    {
        int p = 0;
        for (; p + 32 <= k; p += 32)
        {
            for (int j = 0; j < 16; j++)
            {
                dst[p + j] = src[p + (2 * j)];
                dst[p + 16 + j] = src[p + (2 * j) + 1];
            }
        }

        for (; p < k; p++)
        {
            dst[p] = src[p];
        }
    }

    /// <summary>
    /// dot(x, w) for a BF16 row w [k] and x split by <see cref="SplitEvenOdd"/>: 32 weights are sixteen 32-bit lanes whose
    /// low halves (even positions) become floats by a 16-bit shift and whose high halves (odd positions) by a mask.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float DotBF16(float* x, ushort* w, int k, SimdLevel level)
    {
        int p = 0;
        float r = 0;
        if (level == SimdLevel.Vector512)
        {
            var high = Vector512.Create(0xFFFF0000u);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; p + 64 <= k; p += 64)
            {
                StreamPrefetch.Lines2((byte*)(w + p));
                var w0 = Vector512.Load((uint*)(w + p));
                var w1 = Vector512.Load((uint*)(w + p + 32));
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.ShiftLeft(w0, 16).AsSingle(), a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p + 16), (w0 & high).AsSingle(), a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p + 32), Vector512.ShiftLeft(w1, 16).AsSingle(), a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p + 48), (w1 & high).AsSingle(), a3);
            }

            if (p + 32 <= k)
            {
                var w0 = Vector512.Load((uint*)(w + p));
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.ShiftLeft(w0, 16).AsSingle(), a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + p + 16), (w0 & high).AsSingle(), a1);
                p += 32;
            }

            r = Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        else if (level == SimdLevel.Vector256)
        {
            // Sixteen weights are eight lanes: split x of each 32 values is [even 16 | odd 16].
            var high = Vector256.Create(0xFFFF0000u);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; p + 32 <= k; p += 32)
            {
                var w0 = Vector256.Load((uint*)(w + p));
                var w1 = Vector256.Load((uint*)(w + p + 16));
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p), Vector256.ShiftLeft(w0, 16).AsSingle(), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p + 16), (w0 & high).AsSingle(), a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p + 8), Vector256.ShiftLeft(w1, 16).AsSingle(), a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(x + p + 24), (w1 & high).AsSingle(), a3);
            }

            r = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        else
        {
            for (; p + 32 <= k; p += 32)
            {
                for (int j = 0; j < 16; j++)
                {
                    r = MathF.FusedMultiplyAdd(x[p + j], StoredRows.BF16ToSingle(w[p + (2 * j)]), r);
                    r = MathF.FusedMultiplyAdd(x[p + 16 + j], StoredRows.BF16ToSingle(w[p + (2 * j) + 1]), r);
                }
            }
        }

        for (; p < k; p++)
        {
            r = MathF.FusedMultiplyAdd(x[p], StoredRows.BF16ToSingle(w[p]), r);
        }

        return r;
    }
}
