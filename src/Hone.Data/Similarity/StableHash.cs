namespace Hone.Data.Similarity;

/// <summary>Seed-free, platform-independent 64-bit hashing (FNV-1a over UTF-16 code units, then a SplitMix64 finaliser).</summary>
internal static class StableHash
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    /// <summary>Hash of a span of characters.</summary>
    public static ulong Of(ReadOnlySpan<char> text)
    {
        var h = FnvOffset;
        foreach (var c in text)
        {
            h ^= (byte)c;
            h *= FnvPrime;
            h ^= (byte)(c >> 8);
            h *= FnvPrime;
        }
        return Mix(h);
    }

    /// <summary>Order-dependent combination of two hashes.</summary>
    public static ulong Combine(ulong seed, ulong value) => Mix(seed ^ (value + 0x9E3779B97F4A7C15UL + (seed << 6) + (seed >> 2)));

    /// <summary>SplitMix64 finaliser: a bijection with good avalanche.</summary>
    public static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
