using System.Runtime.InteropServices;

namespace Hone.Data.Similarity;

/// <summary>
/// Shingle sets by index, appended in order: kept in memory until they hold more than the threshold, then moved to a
/// <see cref="SpillFile"/> with everything after them. Memory past the threshold: 24 bytes per set (its offset, and its
/// <see cref="SetSketch"/>, kept in memory so candidates are screened without reading their sets).
/// </summary>
internal sealed class ShingleStore(long thresholdBytes, string? directory) : IDisposable
{
    private readonly List<ulong[]> _inMemory = [];
    private readonly ChunkedList<long> _ends = new(); // set i spans [_ends[i − 1], _ends[i]) bytes of the file, once spilled
    private readonly ChunkedList<SetSketch> _sketches = new();
    private readonly SpillFile _file = new(directory);
    private long _memoryBytes;

    /// <summary>Number of sets.</summary>
    public int Count => Spilled ? _ends.Count : _inMemory.Count;

    /// <summary>Whether the sets went to disk.</summary>
    public bool Spilled { get; private set; }

    public void Append(ulong[] set)
    {
        _sketches.Add(SetSketch.Of(set));
        if (!Spilled)
        {
            _inMemory.Add(set);
            _memoryBytes += (long)set.Length * sizeof(ulong);
            if (_memoryBytes <= thresholdBytes) return;
            Spilled = true;
            foreach (var s in _inMemory) Write(s);
            _inMemory.Clear();
            _inMemory.TrimExcess();
            return;
        }
        Write(set);
    }

    private void Write(ulong[] set)
    {
        _file.Append(MemoryMarshal.AsBytes(set.AsSpan()));
        _ends.Add(_file.Length);
    }

    /// <summary>The number of shingles of set <paramref name="index"/> (no read).</summary>
    public int Size(int index)
    {
        if (!Spilled) return _inMemory[index].Length;
        var start = index == 0 ? 0 : _ends[index - 1];
        return (int)((_ends[index] - start) / sizeof(ulong));
    }

    /// <summary>The <see cref="SetSketch"/> of set <paramref name="index"/> (no read), until <see cref="MoveSketches"/>.</summary>
    public SetSketch Sketch(int index) => _sketches[index];

    /// <summary>
    /// Copies the sketches of the sets <paramref name="ascending"/> into <paramref name="into"/> (same length), freeing
    /// the store's copy as it passes, so the two are not held whole at once. The store's sketches are gone after it.
    /// </summary>
    public void MoveSketches(ReadOnlySpan<int> ascending, Span<SetSketch> into)
    {
        for (var i = 0; i < ascending.Length; i++)
        {
            if (i > 0 && ascending[i] < ascending[i - 1]) throw new ArgumentException("The indices must ascend.", nameof(ascending));
            into[i] = _sketches[ascending[i]];
            if ((i & 0xFFFF) == 0) _sketches.DropBelow(ascending[i]);
        }
        _sketches.DropBelow(int.MaxValue);
    }

    /// <summary>Makes <see cref="Read"/> and <see cref="Get"/> safe to call from several threads (until the next append).</summary>
    public void Freeze() => _file.Flush();

    /// <summary>Set <paramref name="index"/> (a new array when it comes from disk).</summary>
    public ulong[] Get(int index)
    {
        if (!Spilled) return _inMemory[index];
        var set = new ulong[Size(index)];
        Read(index, set);
        return set;
    }

    /// <summary>Copies set <paramref name="index"/> into <paramref name="into"/> (exactly <see cref="Size"/> long); thread-safe once frozen.</summary>
    public void Read(int index, Span<ulong> into)
    {
        if (into.Length != Size(index)) throw new ArgumentException($"Set {index} has {Size(index)} shingles, not {into.Length}.", nameof(into));
        if (!Spilled)
        {
            _inMemory[index].CopyTo(into);
            return;
        }
        _file.Read(index == 0 ? 0 : _ends[index - 1], MemoryMarshal.AsBytes(into));
    }

    public void Dispose() => _file.Dispose();
}
