namespace Hone.Core;

/// <summary>
/// Atomic file writes: the content goes to a temporary file in the target's folder, is flushed to disk (fsync),
/// then renamed over the target. A reader sees the old file or the new one, never half of one; a crash leaves
/// at most a stray <c>.tmp</c> file beside the target, never a truncated target.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes a file atomically through a stream callback. When the callback throws, nothing is left: no target, no
    /// temporary file, and no folder this call created.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no folder.", nameof(path));
        var firstCreated = FirstMissing(dir);
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Environment.ProcessId + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            if (firstCreated is not null) TryRemoveCreated(dir, firstCreated);
            throw;
        }
    }

    /// <summary>The outermost folder of <paramref name="dir"/> that does not exist yet, or null when it exists.</summary>
    private static string? FirstMissing(string dir)
    {
        string? missing = null;
        for (var d = dir; d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d)) missing = d;
        return missing;
    }

    /// <summary>Removes the folders from <paramref name="dir"/> up to <paramref name="outermost"/>, while they are empty.</summary>
    private static void TryRemoveCreated(string dir, string outermost)
    {
        for (var d = dir; d is not null && d.Length >= outermost.Length; d = Path.GetDirectoryName(d))
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries(d).Any()) return;
                Directory.Delete(d);
            }
            catch (IOException) { return; }
            catch (UnauthorizedAccessException) { return; }
        }
    }

    /// <summary>Writes text (UTF-8, no BOM) atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s =>
        {
            var bytes = new System.Text.UTF8Encoding(false).GetBytes(text);
            s.Write(bytes, 0, bytes.Length);
        });

    /// <summary>Writes bytes atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy, 0, copy.Length));
    }

    /// <summary>Writes text through a <see cref="TextWriter"/> (UTF-8, no BOM, LF line endings as written) atomically.</summary>
    public static void WriteText(string path, Action<TextWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        Write(path, s =>
        {
            using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
            w.NewLine = "\n";
            write(w);
            w.Flush();
        });
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
