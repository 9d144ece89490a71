namespace Hone.Data.Similarity;

/// <summary>
/// MinHash signatures: k independent hash permutations, each simulated by XOR-ing the shingle hash with a per-permutation
/// seed (drawn from a SplitMix64 stream started at <see cref="Seed"/>) and applying the SplitMix64 bijection. The
/// signature keeps the minimum of each permutation, truncated to 32 bits. Same seed and k → same signatures on every
/// platform.
/// </summary>
public sealed class MinHasher
{
    private readonly ulong[] _seeds;

    /// <summary>Creates a hasher with <paramref name="hashCount"/> permutations (1–1024).</summary>
    public MinHasher(int hashCount = 128, ulong seed = 0x5EED_0F_4072_D0_0DUL)
    {
        if (hashCount is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(hashCount), hashCount, "MinHash needs 1 to 1024 hashes.");
        Seed = seed;
        _seeds = new ulong[hashCount];
        var state = seed;
        for (var i = 0; i < hashCount; i++)
        {
            state = unchecked(state + 0x9E3779B97F4A7C15UL);
            _seeds[i] = StableHash.Mix(state);
        }
    }

    /// <summary>Number of permutations (signature length).</summary>
    public int HashCount => _seeds.Length;

    /// <summary>The seed the permutations derive from.</summary>
    public ulong Seed { get; }

    /// <summary>The signature of a shingle set; an empty set gives all <see cref="uint.MaxValue"/>.</summary>
    public uint[] Signature(ReadOnlySpan<ulong> shingles)
    {
        var sig = new uint[_seeds.Length];
        Signature(shingles, sig);
        return sig;
    }

    /// <summary>Writes the signature of <paramref name="shingles"/> into <paramref name="destination"/> (length <see cref="HashCount"/>).</summary>
    public void Signature(ReadOnlySpan<ulong> shingles, Span<uint> destination)
    {
        if (destination.Length != _seeds.Length)
            throw new ArgumentException($"Destination holds {destination.Length} values; this hasher makes {_seeds.Length}.", nameof(destination));
        for (var p = 0; p < _seeds.Length; p++)
        {
            var s = _seeds[p];
            var min = ulong.MaxValue;
            foreach (var h in shingles)
            {
                var v = StableHash.Mix(h ^ s);
                if (v < min) min = v;
            }
            destination[p] = (uint)(min >> 32);
        }
    }
}
