namespace Hone.Tokenizers;

/// <summary>
/// Which adjacent UTF-16 pairs occur inside some vocabulary text, as a bitmap over a hash of the pair: a clear bit
/// proves that no token contains the pair, so no SentencePiece merge can ever span that point of a text and the
/// two sides can be merged independently. A set bit proves nothing (hash collisions only cost a missed split).
/// </summary>
internal sealed class SpmPairFilter
{
    private readonly ulong[] _bits;
    private readonly int _shift;

    public SpmPairFilter(Vocabulary vocab)
    {
        long pairs = 0;
        for (var id = 0; id < vocab.Count; id++) pairs += Math.Max(vocab.Text(id).Length - 1, 0);
        // About 32 bits per pair keeps collisions near 3 %; 2^16 to 2^24 bits (8 KiB to 2 MiB).
        var log2 = Math.Clamp(64 - (int)ulong.LeadingZeroCount((ulong)Math.Max(pairs, 1) * 32 - 1), 16, 24);
        _bits = new ulong[(1 << log2) / 64];
        _shift = 32 - log2;
        for (var id = 0; id < vocab.Count; id++)
        {
            var t = vocab.Text(id);
            for (var i = 1; i < t.Length; i++)
            {
                var h = Slot(t[i - 1], t[i]);
                _bits[h >> 6] |= 1UL << (int)(h & 63);
            }
        }
    }

    /// <summary>
    /// True when no merge can join a symbol ending in <paramref name="left"/> to one starting with
    /// <paramref name="right"/>: the pair is in no token and is not one code point (a surrogate pair).
    /// </summary>
    public bool CanSplit(char left, char right)
    {
        if (char.IsHighSurrogate(left) && char.IsLowSurrogate(right)) return false;
        var h = Slot(left, right);
        return (_bits[h >> 6] & (1UL << (int)(h & 63))) == 0;
    }

    private uint Slot(char left, char right) => (((uint)left << 16) | right) * 0x9E3779B1u >> _shift;
}
