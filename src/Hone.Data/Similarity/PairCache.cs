namespace Hone.Data.Similarity;

/// <summary>
/// "Was this pair met before?" in bounded memory: a direct-mapped table of pairs that forgets a pair when another
/// lands on its slot. A forgotten pair is reported as new again, so a caller may only use it to skip work whose
/// repetition gives the same result (verifying a candidate pair twice). Memory: 8 bytes a slot, at most
/// <see cref="MaxSlots"/> slots.
/// </summary>
internal sealed class PairCache
{
    /// <summary>Most slots (16 MB).</summary>
    public const int MaxSlots = 1 << 21;

    private readonly ulong[] _slots; // (a << 32 | b) + 1; 0: empty
    private readonly int _mask;

    /// <summary>A cache sized for about <paramref name="items"/> items (4 slots each, a power of two, 1,024 to <see cref="MaxSlots"/>).</summary>
    public PairCache(int items)
    {
        var slots = (int)Math.Clamp(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Clamp((long)items * 4, 1024, MaxSlots)), 1024, MaxSlots);
        _slots = new ulong[slots];
        _mask = slots - 1;
    }

    /// <summary>True when the pair (<paramref name="a"/>, <paramref name="b"/>) is not in the table (it is put there); false when it is.</summary>
    public bool Add(int a, int b)
    {
        var key = (((ulong)(uint)a << 32) | (uint)b) + 1;
        ref var slot = ref _slots[(int)StableHash.Mix(key) & _mask];
        if (slot == key) return false;
        slot = key;
        return true;
    }
}
