namespace Hone.Numerics;

/// <summary>
/// Chunks 0..count-1 dealt out as one contiguous lane per worker: each worker walks its own lane front to back, then
/// takes chunks from the back of the other lanes. Every worker streams one long sequential run of memory (which keeps
/// the hardware prefetcher locked on, unlike short interleaved items) and still no worker idles while another has
/// work left (a late or descheduled worker's lane is finished by the others). Each chunk is handed out exactly once.
/// </summary>
internal sealed class LaneSchedule
{
    /// <summary>Most lanes (workers) scheduled.</summary>
    internal const int MaxLanes = 64;

    /// <summary>Longs between two lanes' states (64 bytes: no false sharing).</summary>
    private const int Stride = 8;

    /// <summary>Per lane: front (low 32 bits, the next chunk its owner takes) and back (high 32 bits, one past the
    /// last chunk left), changed only by compare-and-swap.</summary>
    private readonly long[] _state = new long[MaxLanes * Stride];

    private int _lanes;

    /// <summary>Lanes in the current schedule.</summary>
    internal int Lanes => _lanes;

    /// <summary>Splits <paramref name="count"/> chunks into min(<paramref name="lanes"/>, count) contiguous lanes.
    /// Call before the run, not during it.</summary>
    internal void Reset(int count, int lanes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _lanes = Math.Clamp(Math.Min(lanes, count), 1, MaxLanes);
        for (int i = 0; i < _lanes; i++)
        {
            Volatile.Write(ref _state[i * Stride], Pack((int)((long)count * i / _lanes), (int)((long)count * (i + 1) / _lanes)));
        }
    }

    /// <summary>The next chunk for the worker that owns <paramref name="lane"/>: its own front first, then the back of
    /// the other lanes in turn; false when none is left.</summary>
    internal bool Next(int lane, out int chunk)
    {
        if (TakeFront(lane, out chunk))
        {
            return true;
        }

        for (int i = 1; i < _lanes; i++)
        {
            if (TakeBack((lane + i) % _lanes, out chunk))
            {
                return true;
            }
        }

        chunk = -1;
        return false;
    }

    private static long Pack(int front, int back) => (long)(uint)front | ((long)back << 32);

    private bool TakeFront(int lane, out int chunk) => Take(lane, fromFront: true, out chunk);

    private bool TakeBack(int lane, out int chunk) => Take(lane, fromFront: false, out chunk);

    /// <summary>Claims the first (owner) or last (thief) chunk left in a lane with one compare-and-swap.</summary>
    private bool Take(int lane, bool fromFront, out int chunk)
    {
        ref long state = ref _state[lane * Stride];
        while (true)
        {
            long s = Volatile.Read(ref state);
            int front = (int)(s & 0xFFFFFFFF), back = (int)(s >> 32);
            if (front >= back)
            {
                chunk = -1;
                return false;
            }

            long next = fromFront ? Pack(front + 1, back) : Pack(front, back - 1);
            if (Interlocked.CompareExchange(ref state, next, s) == s)
            {
                chunk = fromFront ? front : back - 1;
                return true;
            }
        }
    }
}
