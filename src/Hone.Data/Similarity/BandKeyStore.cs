using System.Runtime.InteropServices;

namespace Hone.Data.Similarity;

/// <summary>
/// LSH band keys by index, read back one band at a time. Rows are gathered band-major in a chunk of
/// <see cref="ChunkRows"/> items; a full chunk goes to a <see cref="SpillFile"/> (band by band), so memory stays at one
/// chunk whatever the count.
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

    /// <summary>Items per chunk.</summary>
    public int ChunkRows { get; }

    /// <summary>Number of rows appended.</summary>
    public int Count => (_chunkOffsets.Count * ChunkRows) + _inChunk;

    /// <summary>Appends one item's keys (one per band).</summary>
    public void Append(ReadOnlySpan<ulong> keys)
    {
        for (var b = 0; b < _bands; b++) _chunk[(b * ChunkRows) + _inChunk] = keys[b];
        if (++_inChunk < ChunkRows) return;
        _chunkOffsets.Add(_file.Append(MemoryMarshal.AsBytes(_chunk.AsSpan())));
        _inChunk = 0;
    }

    /// <summary>
    /// Writes band <paramref name="band"/>'s key of the items at <paramref name="ascendingIndices"/> into
    /// <paramref name="destination"/> (same length), reading one chunk's band at a time.
    /// </summary>
    public void GatherBand(int band, ReadOnlySpan<int> ascendingIndices, Span<ulong> destination)
    {
        var scratch = new ulong[ChunkRows];
        var loaded = -1;
        for (var i = 0; i < ascendingIndices.Length; i++)
        {
            var index = ascendingIndices[i];
            var chunk = index / ChunkRows;
            if (chunk == _chunkOffsets.Count)
            {
                destination[i] = _chunk[(band * ChunkRows) + (index - (chunk * ChunkRows))];
                continue;
            }
            if (chunk != loaded)
            {
                _file.Read(_chunkOffsets[chunk] + ((long)band * ChunkRows * sizeof(ulong)), MemoryMarshal.AsBytes(scratch.AsSpan()));
                loaded = chunk;
            }
            destination[i] = scratch[index - (chunk * ChunkRows)];
        }
    }

    public void Dispose() => _file.Dispose();
}
