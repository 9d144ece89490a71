using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Hone.Data.Similarity;

/// <summary>
/// An external sort: items are gathered in a chunk of bounded size (grown on demand); a full chunk is sorted and written to a
/// <see cref="SpillFile"/> as a run; <see cref="Sorted"/> merges the runs and the last chunk. Memory: one chunk, then
/// a small buffer per run while merging. <typeparamref name="T"/>'s order must be total (no two items equal) for the
/// result to be deterministic.
/// </summary>
internal sealed class SortSpill<T> : IDisposable
    where T : unmanaged, IComparable<T>
{
    private const int MergeBufferItems = 4096;
    private readonly int _maxChunk;
    private T[] _chunk;
    private readonly List<(long Offset, int Count)> _runs = [];
    private readonly SpillFile _file;
    private int _inChunk;
    private bool _chunkSorted;

    public SortSpill(long chunkBytes, string? directory)
    {
        _maxChunk = (int)Math.Clamp(chunkBytes / Unsafe.SizeOf<T>(), 16, 1 << 24);
        _chunk = new T[Math.Min(_maxChunk, 1024)]; // grows to the chunk size only when that many items come
        _file = new SpillFile(directory);
    }

    /// <summary>Items added.</summary>
    public long Count { get; private set; }

    public void Add(T item)
    {
        if (_inChunk == _chunk.Length && _chunk.Length < _maxChunk)
        {
            Array.Resize(ref _chunk, Math.Min(_maxChunk, _chunk.Length * 2));
        }
        else if (_inChunk == _chunk.Length)
        {
            Array.Sort(_chunk);
            _runs.Add((_file.Append(MemoryMarshal.AsBytes(_chunk.AsSpan())), _chunk.Length));
            _inChunk = 0;
        }
        _chunk[_inChunk++] = item;
        _chunkSorted = false;
        Count++;
    }

    /// <summary>Every item, ascending. May be enumerated again (nothing is consumed); do not add while enumerating.</summary>
    public IEnumerable<T> Sorted()
    {
        if (!_chunkSorted)
        {
            Array.Sort(_chunk, 0, _inChunk);
            _chunkSorted = true;
        }
        if (_runs.Count == 0)
        {
            for (var i = 0; i < _inChunk; i++) yield return _chunk[i];
            yield break;
        }

        var readers = new List<RunReader>(_runs.Count + 1);
        foreach (var (offset, count) in _runs) readers.Add(new RunReader(_file, offset, count));
        readers.Add(new RunReader(_chunk, _inChunk));
        var queue = new PriorityQueue<RunReader, T>(readers.Count);
        foreach (var r in readers) if (r.TryPeek(out var first)) queue.Enqueue(r, first);
        while (queue.TryDequeue(out var reader, out var item))
        {
            yield return item;
            reader.Advance();
            if (reader.TryPeek(out var next)) queue.Enqueue(reader, next);
        }
    }

    public void Dispose() => _file.Dispose();

    /// <summary>Reads one sorted run (from the file in small buffers, or the in-memory chunk).</summary>
    private sealed class RunReader
    {
        private readonly SpillFile? _file;
        private readonly long _offset;
        private readonly int _count;
        private readonly T[] _buffer;
        private int _read;      // items of the run loaded so far
        private int _position;  // index in the buffer
        private int _loaded;    // items in the buffer

        public RunReader(SpillFile file, long offset, int count)
        {
            _file = file;
            _offset = offset;
            _count = count;
            _buffer = new T[Math.Min(count, MergeBufferItems)];
        }

        public RunReader(T[] chunk, int count)
        {
            _buffer = chunk;
            _count = count;
            _loaded = count;
            _read = count;
        }

        public bool TryPeek(out T item)
        {
            if (_position == _loaded && _read < _count && _file is not null)
            {
                _loaded = Math.Min(_buffer.Length, _count - _read);
                _file.Read(_offset + ((long)_read * Unsafe.SizeOf<T>()), MemoryMarshal.AsBytes(_buffer.AsSpan(0, _loaded)));
                _read += _loaded;
                _position = 0;
            }
            if (_position < _loaded)
            {
                item = _buffer[_position];
                return true;
            }
            item = default;
            return false;
        }

        public void Advance() => _position++;
    }
}
