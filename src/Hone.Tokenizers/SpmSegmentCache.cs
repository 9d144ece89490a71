namespace Hone.Tokenizers;

/// <summary>One token of a merged SentencePiece segment: its id and its [Start, Start+Length) chars in the segment.</summary>
internal readonly record struct SpmPiece(int Id, int Start, int Length);

/// <summary>
/// Segment → tokens memo of <see cref="SentencePieceBpeTokenizer"/>. A segment (a run of the text between two points
/// no merge can cross, see <see cref="SpmPairFilter"/>) always merges to the same tokens whatever surrounds it, so its
/// tokens can be reused verbatim: natural text repeats its words, and most segments are words. Each thread keeps its
/// own map (no locks or shared writes on the hot path); bounded: past <see cref="Capacity"/> segments a thread's map is
/// cleared, and segments longer than <see cref="MaxSegmentChars"/> are not kept. Lookups by span, no allocation on a hit.
/// </summary>
internal sealed class SpmSegmentCache
{
    /// <summary>Most segments kept by default (per thread) before the map is cleared.</summary>
    public const int DefaultCapacity = 65_536;

    /// <summary>Longest segment (UTF-16 chars) that is kept.</summary>
    public const int MaxSegmentChars = 48;

    private readonly ThreadLocal<Dictionary<string, SpmPiece[]>> _maps = new(() => new Dictionary<string, SpmPiece[]>(StringComparer.Ordinal));

    public SpmSegmentCache(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>Most segments a thread keeps before its map is cleared.</summary>
    public int Capacity { get; }

    /// <summary>Segments the calling thread keeps now.</summary>
    public int Count => _maps.Value!.Count;

    /// <summary>The tokens of <paramref name="segment"/> when this thread saw it before.</summary>
    public bool TryGet(ReadOnlySpan<char> segment, out SpmPiece[] pieces) => ForThread().TryGet(segment, out pieces);

    /// <summary>Keeps the tokens of <paramref name="segment"/> (when it is short enough).</summary>
    public void Add(ReadOnlySpan<char> segment, SpmPiece[] pieces) => ForThread().Add(segment, pieces);

    /// <summary>The calling thread's map, looked up once for the many segments of one text.</summary>
    public Local ForThread() => new(_maps.Value!, Capacity);

    /// <summary>One thread's map (see <see cref="ForThread"/>); use it on that thread only.</summary>
    public readonly struct Local
    {
        private readonly Dictionary<string, SpmPiece[]>.AlternateLookup<ReadOnlySpan<char>> _map;
        private readonly int _capacity;

        internal Local(Dictionary<string, SpmPiece[]> map, int capacity)
        {
            _map = map.GetAlternateLookup<ReadOnlySpan<char>>();
            _capacity = capacity;
        }

        /// <summary>The tokens of <paramref name="segment"/> when this thread saw it before.</summary>
        public bool TryGet(ReadOnlySpan<char> segment, out SpmPiece[] pieces)
        {
            pieces = [];
            return segment.Length <= MaxSegmentChars && _map.TryGetValue(segment, out pieces!);
        }

        /// <summary>Keeps the tokens of <paramref name="segment"/> (when it is short enough).</summary>
        public void Add(ReadOnlySpan<char> segment, SpmPiece[] pieces)
        {
            if (segment.Length > MaxSegmentChars) return;
            if (_map.Dictionary.Count >= _capacity) _map.Dictionary.Clear();
            _map.TryAdd(segment, pieces);
        }
    }
}
