using System.Diagnostics;
using System.Globalization;

namespace Hone.Data.Similarity;

/// <summary>
/// An append-only temporary file, deleted when closed, that bytes are written to in order and read back at any offset.
/// Created on first use in the given folder (null: this process's run folder under the system's temporary folder,
/// <see cref="RunFolder"/>, so the files of a killed process are found and removed by the next one).
/// </summary>
internal sealed class SpillFile(string? directory) : IDisposable
{
    /// <summary>The prefix of run folders: <c>hone-spill-PID-STARTTICKS</c>.</summary>
    internal const string RunFolderPrefix = "hone-spill-";

    private static readonly Lazy<string> DefaultFolder = new(CreateRunFolder);
    private FileStream? _stream;
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _handle; // taken once: FileStream.SafeFileHandle seeks the file on every get
    private volatile bool _dirty; // bytes written since the last flush

    /// <summary>
    /// This process's folder for spill files (created on first use, after the folders of processes that are gone are
    /// swept away; the folder is removed when the process exits, if empty).
    /// </summary>
    internal static string RunFolder => DefaultFolder.Value;

    /// <summary>The file's path once something was written; null before.</summary>
    internal string? FilePath => _stream?.Name;

    /// <summary>Bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>Appends <paramref name="bytes"/>; returns the offset they start at.</summary>
    public long Append(ReadOnlySpan<byte> bytes)
    {
        _stream ??= new FileStream(Path.Combine(directory ?? RunFolder, $"hone-spill-{Guid.NewGuid():N}.tmp"),
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
        _handle ??= _stream?.SafeFileHandle;
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
            var n = RandomAccess.Read(_handle ?? stream.SafeFileHandle, destination[done..], offset + done);
            if (n <= 0) throw new IOException($"The temporary file {stream.Name} ended early (byte {offset + done} of {Length}).");
            done += n;
        }
    }

    public void Dispose() => _stream?.Dispose();

    /// <summary>The name of a run folder for the process <paramref name="pid"/> started at <paramref name="startTicks"/>.</summary>
    internal static string RunFolderName(int pid, long startTicks) => string.Create(CultureInfo.InvariantCulture, $"{RunFolderPrefix}{pid}-{startTicks}");

    /// <summary>
    /// Deletes the run folders under <paramref name="root"/> whose process is gone (no process with that id, or one
    /// started at another time, past <see cref="StartTolerance"/>: the id was reused). A folder whose owner cannot be told is kept.
    /// </summary>
    internal static void SweepStale(string root)
    {
        string[] folders;
        try
        {
            folders = Directory.GetDirectories(root, RunFolderPrefix + "*");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var folder in folders)
        {
            var parts = Path.GetFileName(folder)[RunFolderPrefix.Length..].Split('-');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)) continue;
            if (OwnerAlive(pid, ticks)) continue;
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another process sweeps it at the same time, or it is not ours to remove: leave it.
            }
        }
    }

    /// <summary>
    /// How far the start time another process reads may be from the one the owner wrote and still be the owner's: the
    /// runtime derives a process's start time from the boot time each reading process estimates, so two processes read
    /// the same start a few milliseconds apart (measured: up to 2.5 ms), and an exact match would sweep a live check's
    /// folder. A reused process id started within a second of the old one is not a practical case.
    /// </summary>
    internal static readonly long StartTolerance = TimeSpan.TicksPerSecond;

    private static bool OwnerAlive(int pid, long startTicks)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return Math.Abs(p.StartTime.Ticks - startTicks) < StartTolerance;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return true; // cannot tell: keep it
        }
    }

    private static string CreateRunFolder()
    {
        var root = Path.GetTempPath();
        SweepStale(root);
        using var self = Process.GetCurrentProcess();
        var folder = Path.Combine(root, RunFolderName(self.Id, self.StartTime.Ticks));
        Directory.CreateDirectory(folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(folder); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // not empty: the next run sweeps it
        };
        return folder;
    }
}
