using System.Collections.Concurrent;

namespace Hone.Tokenizers;

/// <summary>One token of a merged SentencePiece segment: its id and its [Start, Start+Length) chars in the segment.</summary>
internal readonly record struct SpmPiece(int Id, int Start, int Length);

/// <summary>
/// Segment → tokens memo of <see cref="SentencePieceBpeTokenizer"/>. A segment (a run of the text between two points
/// no merge can cross, see <see cref="SpmPairFilter"/>) always merges to the same tokens whatever surrounds it, so its
/// tokens can be reused verbatim: natural text repeats its words, and most segments are words. Bounded: past
/// <see cref="Capacity"/> segments it is cleared; segments longer than <see cref="MaxSegmentChars"/> are not kept. Lookups
/// by span, no allocation on a hit; safe for concurrent use.
/// </summary>
internal sealed class SpmSegmentCache
{
    /// <summary>Most segments kept by default before the cache is cleared.</summary>
    public const int DefaultCapacity = 65_536;

    /// <summary>Longest segment (UTF-16 chars) that is kept.</summary>
    public const int MaxSegmentChars = 48;

    private readonly ConcurrentDictionary<string, SpmPiece[]> _map = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SpmPiece[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public SpmSegmentCache(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _lookup = _map.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Most segments kept before the cache is cleared.</summary>
    public int Capacity { get; }

    /// <summary>Segments kept now.</summary>
    public int Count => _map.Count;

    /// <summary>The tokens of <paramref name="segment"/> when it was seen before.</summary>
    public bool TryGet(ReadOnlySpan<char> segment, out SpmPiece[] pieces)
    {
        if (segment.Length <= MaxSegmentChars && _lookup.TryGetValue(segment, out var hit))
        {
            pieces = hit;
            return true;
        }
        pieces = [];
        return false;
    }

    /// <summary>Keeps the tokens of <paramref name="segment"/> (when it is short enough).</summary>
    public void Add(ReadOnlySpan<char> segment, SpmPiece[] pieces)
    {
        if (segment.Length > MaxSegmentChars) return;
        if (_map.Count >= Capacity) _map.Clear();
        _lookup.TryAdd(segment, pieces);
    }
}
