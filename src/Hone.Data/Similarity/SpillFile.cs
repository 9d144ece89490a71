namespace Hone.Data.Similarity;

/// <summary>
/// An append-only temporary file, deleted when closed, that bytes are written to in order and read back at any offset.
/// Created on first use in the given folder (null: the system's temporary folder).
/// </summary>
internal sealed class SpillFile(string? directory) : IDisposable
{
    private FileStream? _stream;
    private volatile bool _dirty; // bytes written since the last flush

    /// <summary>Bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>Appends <paramref name="bytes"/>; returns the offset they start at.</summary>
    public long Append(ReadOnlySpan<byte> bytes)
    {
        _stream ??= new FileStream(Path.Combine(directory ?? Path.GetTempPath(), $"hone-spill-{Guid.NewGuid():N}.tmp"),
            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        var at = Length;
        _stream.Write(bytes);
        Length += bytes.Length;
        _dirty = true;
        return at;
    }

    /// <summary>Writes what is buffered to the file, so that <see cref="Read"/> may then be called from several threads at once.</summary>
    public void Flush()
    {
        if (!_dirty) return;
        _stream?.Flush();
        _dirty = false;
    }

    /// <summary>
    /// Fills <paramref name="destination"/> from byte <paramref name="offset"/>. Thread-safe once <see cref="Flush"/>ed
    /// with no append since (reads are positioned, not seeks).
    /// </summary>
    public void Read(long offset, Span<byte> destination)
    {
        if (destination.IsEmpty) return;
        var stream = _stream ?? throw new InvalidOperationException("Nothing was written to the spill file.");
        Flush();
        var done = 0;
        while (done < destination.Length)
        {
            var n = RandomAccess.Read(stream.SafeFileHandle, destination[done..], offset + done);
            if (n <= 0) throw new IOException($"The temporary file {stream.Name} ended early (byte {offset + done} of {Length}).");
            done += n;
        }
    }

    public void Dispose() => _stream?.Dispose();
}
