using System.Runtime.InteropServices;

namespace Hone.Data.Similarity;

/// <summary>
/// An append-only temporary file (deleted when closed) that values are written to in order and read back at any
/// offset. Created on first use in <paramref name="directory"/> (default: the system's temporary folder).
/// </summary>
internal sealed class SpillFile(string? directory) : IDisposable
{
    private FileStream? _stream;

    /// <summary>Bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>Appends <paramref name="values"/>; returns the byte offset they start at.</summary>
    public long Append(ReadOnlySpan<ulong> values)
    {
        _stream ??= new FileStream(Path.Combine(directory ?? Path.GetTempPath(), $"hone-near-dup-{Guid.NewGuid():N}.tmp"),
            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        var at = Length;
        var bytes = MemoryMarshal.AsBytes(values);
        _stream.Write(bytes);
        Length += bytes.Length;
        return at;
    }

    /// <summary>Reads <paramref name="destination"/>.Length values from byte <paramref name="offset"/>.</summary>
    public void Read(long offset, Span<ulong> destination)
    {
        if (destination.IsEmpty) return;
        var stream = _stream ?? throw new InvalidOperationException("Nothing was written to the spill file.");
        stream.Flush();
        var bytes = MemoryMarshal.AsBytes(destination);
        var done = 0;
        while (done < bytes.Length)
        {
            var n = RandomAccess.Read(stream.SafeFileHandle, bytes[done..], offset + done);
            if (n <= 0) throw new IOException($"The near-duplicate spill file {stream.Name} ended early (byte {offset + done} of {Length}).");
            done += n;
        }
    }

    public void Dispose() => _stream?.Dispose();
}

/// <summary>
/// The shingle sets of the representatives, in order: kept in memory until they hold more than the threshold, then
/// moved to a <see cref="SpillFile"/> with everything after them. Memory past the threshold: 8 bytes per set (its offset).
/// </summary>
internal sealed class ShingleStore(long thresholdBytes, string? directory) : IDisposable
{
    private readonly List<ulong[]> _inMemory = [];
    private readonly List<long> _offsets = [0]; // set r spans [_offsets[r], _offsets[r + 1]) bytes, once spilled
    private readonly SpillFile _file = new(directory);
    private long _memoryBytes;
    private bool _spilled;

    /// <summary>Number of sets.</summary>
    public int Count => _spilled ? _offsets.Count - 1 : _inMemory.Count;

    /// <summary>Whether the sets went to disk.</summary>
    public bool Spilled => _spilled;

    public void Append(ulong[] set)
    {
        if (!_spilled)
        {
            _inMemory.Add(set);
            _memoryBytes += (long)set.Length * sizeof(ulong);
            if (_memoryBytes <= thresholdBytes) return;
            _spilled = true;
            foreach (var s in _inMemory) Write(s);
            _inMemory.Clear();
            _inMemory.TrimExcess();
            return;
        }
        Write(set);
    }

    private void Write(ulong[] set)
    {
        _file.Append(set);
        _offsets.Add(_file.Length);
    }

    /// <summary>Set <paramref name="index"/> (a new array when it comes from disk).</summary>
    public ulong[] Get(int index)
    {
        if (!_spilled) return _inMemory[index];
        var start = _offsets[index];
        var set = new ulong[(_offsets[index + 1] - start) / sizeof(ulong)];
        _file.Read(start, set);
        return set;
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>
/// The LSH band keys of the representatives, read back one band at a time. Rows are gathered band-major in a chunk of
/// <see cref="ChunkRows"/> representatives; a full chunk goes to a <see cref="SpillFile"/> (band by band), so memory
/// stays at one chunk whatever the count.
/// </summary>
internal sealed class BandKeyStore : IDisposable
{
    private readonly int _bands;
    private readonly ulong[] _chunk;
    private readonly List<long> _chunkOffsets = [];
    private readonly SpillFile _file;
    private int _inChunk;

    public BandKeyStore(int bands, long chunkBytes, string? directory)
    {
        _bands = bands;
        ChunkRows = (int)Math.Clamp(chunkBytes / ((long)bands * sizeof(ulong)), 1, 1 << 20);
        _chunk = new ulong[checked(bands * ChunkRows)];
        _file = new SpillFile(directory);
    }

    /// <summary>Representatives per chunk.</summary>
    public int ChunkRows { get; }

    /// <summary>Number of rows appended.</summary>
    public int Count => (_chunkOffsets.Count * ChunkRows) + _inChunk;

    /// <summary>Appends one representative's keys (one per band).</summary>
    public void Append(ReadOnlySpan<ulong> keys)
    {
        for (var b = 0; b < _bands; b++) _chunk[(b * ChunkRows) + _inChunk] = keys[b];
        if (++_inChunk < ChunkRows) return;
        _chunkOffsets.Add(_file.Append(_chunk));
        _inChunk = 0;
    }

    /// <summary>Writes band <paramref name="band"/>'s key of every representative, in order, into <paramref name="destination"/> (length <see cref="Count"/>).</summary>
    public void ReadBand(int band, Span<ulong> destination)
    {
        var at = 0;
        foreach (var offset in _chunkOffsets)
        {
            _file.Read(offset + ((long)band * ChunkRows * sizeof(ulong)), destination.Slice(at, ChunkRows));
            at += ChunkRows;
        }
        _chunk.AsSpan(band * ChunkRows, _inChunk).CopyTo(destination[at..]);
    }

    public void Dispose() => _file.Dispose();
}
