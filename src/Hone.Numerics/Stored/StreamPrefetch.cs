using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Hone.Numerics;

/// <summary>
/// Software prefetch of a decode kernel's weight stream <see cref="Ahead"/> bytes ahead of its reads, non-temporal
/// (<c>prefetchnta</c>: the weights are read once a token, so they should not evict x or the results from the caches).
/// Used by the BF16 row kernel and the Q4_0 interleaved kernel, where it paid from memory (stored-kernels-style A/B,
/// distances alternated call by call, a loaded 2-core Zen 5 host: BF16 1 thread median +15-25%; Q4_0x16 neutral at one
/// thread, +10-15% median at two; T0 hints and 1 KiB lost, 8 KiB no better; bench decode on the 134M Llama, 2 threads,
/// old and new alternated: Q4_0 +25-80%, BF16 level to +15%). Not by Q8_0x16 (5-15% slower at one thread from memory,
/// level in decode) nor Q4_Kx16, whose own prefetch (<c>prefetcht0</c>, two super-blocks ahead) decoded 15% faster than
/// <c>prefetchnta</c>.
/// A prefetch never faults, so the lines past the end of a matrix it touches are harmless.
/// </summary>
internal static unsafe class StreamPrefetch
{
    /// <summary>Bytes between the line read and the line prefetched.</summary>
    internal const int Ahead = 4096;

    /// <summary>Prefetches the two cache lines of [p + Ahead, p + Ahead + 128), unrolled (a loop per
    /// call cost as many instructions again as the prefetches).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Lines2(byte* p)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        Sse.PrefetchNonTemporal(p + Ahead);
        Sse.PrefetchNonTemporal(p + Ahead + 64);
    }

    /// <summary>Prefetches the nine cache lines of [p + Ahead, p + Ahead + 576) (a pair of <see cref="StoredQ4x16"/>
    /// blocks), unrolled.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Lines9(byte* p)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        p += Ahead;
        Sse.PrefetchNonTemporal(p);
        Sse.PrefetchNonTemporal(p + 64);
        Sse.PrefetchNonTemporal(p + 128);
        Sse.PrefetchNonTemporal(p + 192);
        Sse.PrefetchNonTemporal(p + 256);
        Sse.PrefetchNonTemporal(p + 320);
        Sse.PrefetchNonTemporal(p + 384);
        Sse.PrefetchNonTemporal(p + 448);
        Sse.PrefetchNonTemporal(p + 512);
    }
}
