namespace Hone.Data.Splitting;

/// <summary>A platform-stable seeded shuffle (SplitMix64 stream, Fisher–Yates), so splits never change with the runtime.</summary>
internal sealed class SeededShuffle(long seed)
{
    private ulong _state = unchecked((ulong)seed ^ 0xD1B54A32D192ED03UL);

    private ulong NextU64()
    {
        unchecked
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>A uniform integer in [0, bound).</summary>
    public int Next(int bound)
    {
        // Rejection sampling: no modulo bias.
        var limit = ulong.MaxValue - (ulong.MaxValue % (ulong)bound);
        ulong v;
        do v = NextU64(); while (v >= limit);
        return (int)(v % (ulong)bound);
    }

    /// <summary>Shuffles the list in place.</summary>
    public void Shuffle<T>(IList<T> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
