using System.Runtime.Intrinsics;

namespace Hone.Data.Similarity;

/// <summary>
/// MinHash signatures: k independent hash permutations, each simulated by XOR-ing the shingle hash with a per-permutation
/// seed (drawn from a SplitMix64 stream started at <see cref="Seed"/>) and applying the SplitMix64 bijection. The
/// signature keeps the minimum of each permutation, truncated to 32 bits. Same seed and k → same signatures on every
/// platform. <see cref="Signature(ReadOnlySpan{ulong}, Span{uint})"/> runs 8 permutations per vector instruction
/// (AVX-512); its naive twin, bit for bit the same, is <see cref="SignatureNaive"/>.
/// </summary>
public sealed class MinHasher
{
    private const ulong M1 = 0xBF58476D1CE4E5B9UL;
    private const ulong M2 = 0x94D049BB133111EBUL;

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

    /// <summary>
    /// Writes the signature of <paramref name="shingles"/> into <paramref name="destination"/> (length
    /// <see cref="HashCount"/>). No allocation.
    /// </summary>
    public void Signature(ReadOnlySpan<ulong> shingles, Span<uint> destination)
    {
        CheckLength(destination);
        var done = 0;
        // Without AVX-512 there is no 64-bit vector multiply; the emulated one barely beats scalar, so scalar it is.
        if (Vector512.IsHardwareAccelerated) done = Blocks512(shingles, destination);
        Scalar(shingles, destination, done);
    }

    /// <summary>Naive twin of <see cref="Signature(ReadOnlySpan{ulong}, Span{uint})"/>: one permutation at a time, scalar.</summary>
    public void SignatureNaive(ReadOnlySpan<ulong> shingles, Span<uint> destination)
    {
        CheckLength(destination);
        Scalar(shingles, destination, 0);
    }

    private void CheckLength(Span<uint> destination)
    {
        if (destination.Length != _seeds.Length)
            throw new ArgumentException($"Destination holds {destination.Length} values; this hasher makes {_seeds.Length}.", nameof(destination));
    }

    /// <summary>Permutations <paramref name="from"/>..k−1, one at a time.</summary>
    private void Scalar(ReadOnlySpan<ulong> shingles, Span<uint> destination, int from)
    {
        for (var p = from; p < _seeds.Length; p++)
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

    /// <summary>
    /// Permutations in blocks of 32 (four 8-lane accumulators held in registers across the shingle loop), then of 8;
    /// returns how many were done.
    /// </summary>
    private int Blocks512(ReadOnlySpan<ulong> shingles, Span<uint> destination)
    {
        var seeds = _seeds.AsSpan();
        const int w = 8;
        var p = 0;
        for (; p + 4 * w <= seeds.Length; p += 4 * w)
        {
            var s0 = Vector512.Create<ulong>(seeds.Slice(p, w));
            var s1 = Vector512.Create<ulong>(seeds.Slice(p + w, w));
            var s2 = Vector512.Create<ulong>(seeds.Slice(p + 2 * w, w));
            var s3 = Vector512.Create<ulong>(seeds.Slice(p + 3 * w, w));
            var m0 = Vector512<ulong>.AllBitsSet;
            var m1 = m0;
            var m2 = m0;
            var m3 = m0;
            foreach (var h in shingles)
            {
                var hv = Vector512.Create(h);
                m0 = MinMix(m0, hv, s0);
                m1 = MinMix(m1, hv, s1);
                m2 = MinMix(m2, hv, s2);
                m3 = MinMix(m3, hv, s3);
            }
            StoreHigh(m0, destination.Slice(p, w));
            StoreHigh(m1, destination.Slice(p + w, w));
            StoreHigh(m2, destination.Slice(p + 2 * w, w));
            StoreHigh(m3, destination.Slice(p + 3 * w, w));
        }
        for (; p + w <= seeds.Length; p += w)
        {
            var s0 = Vector512.Create<ulong>(seeds.Slice(p, w));
            var m0 = Vector512<ulong>.AllBitsSet;
            foreach (var h in shingles) m0 = MinMix(m0, Vector512.Create(h), s0);
            StoreHigh(m0, destination.Slice(p, w));
        }
        return p;
    }

    /// <summary>Lane by lane: min(<paramref name="min"/>, <see cref="StableHash.Mix"/>(h ^ seed)).</summary>
    private static Vector512<ulong> MinMix(Vector512<ulong> min, Vector512<ulong> h, Vector512<ulong> seed)
    {
        var z = h ^ seed;
        z = (z ^ Vector512.ShiftRightLogical(z, 30)) * M1;
        z = (z ^ Vector512.ShiftRightLogical(z, 27)) * M2;
        return Vector512.Min(min, z ^ Vector512.ShiftRightLogical(z, 31));
    }

    /// <summary>Writes the high 32 bits of each lane.</summary>
    private static void StoreHigh(Vector512<ulong> v, Span<uint> destination)
    {
        for (var i = 0; i < Vector512<ulong>.Count; i++) destination[i] = (uint)(v.GetElement(i) >> 32);
    }
}
