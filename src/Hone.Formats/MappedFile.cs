using System.IO.MemoryMappedFiles;

namespace Hone.Formats;

/// <summary>A read-only memory map of a whole file, exposing a base pointer and its length.</summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _pointer;

    private MappedFile(MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* pointer, long length, string path)
    {
        _map = map;
        _view = view;
        _pointer = pointer;
        Length = length;
        Path = path;
    }

    /// <summary>Absolute path of the mapped file.</summary>
    public string Path { get; }

    /// <summary>File length in bytes.</summary>
    public long Length { get; }

    /// <summary>Base address of the mapping; valid until <see cref="Dispose"/>.</summary>
    public byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _pointer;
        }
    }

    /// <summary>Whether the mapping has been released.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>
    /// Maps <paramref name="path"/> read-only. I/O problems (missing file, no permission) are reported through
    /// <paramref name="fail"/>, which must return the exception to throw.
    /// </summary>
    public static MappedFile Open(string path, Func<string, Exception, Exception> fail)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = System.IO.Path.GetFullPath(path);
        FileStream stream;
        try
        {
            stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw fail(full, e);
        }
        var length = stream.Length;
        if (length == 0)
        {
            stream.Dispose();
            return new MappedFile(null, null, null, 0, full);
        }
        MemoryMappedFile map;
        try
        {
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stream.Dispose();
            throw fail(full, e);
        }
        var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        p += view.PointerOffset;
        return new MappedFile(map, view, p, length, full);
    }

    /// <summary>A span over <paramref name="length"/> bytes at <paramref name="offset"/>; the caller has bounds-checked.</summary>
    public ReadOnlySpan<byte> Span(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Length - length) throw new ArgumentOutOfRangeException(nameof(offset));
        if (length > int.MaxValue) throw new NotSupportedException("A single span larger than 2 GiB is not supported.");
        return length == 0 ? ReadOnlySpan<byte>.Empty : new ReadOnlySpan<byte>(Pointer + offset, (int)length);
    }

    /// <summary>Releases the mapping; spans handed out before become invalid.</summary>
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
        _pointer = null;
    }
}
