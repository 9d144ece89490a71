using System.Text;
using System.Text.Json;

namespace Hone.Evals.Runs;

/// <summary>
/// The append-only journal of a run in progress: one <see cref="CaseResult"/> line per finished sample, flushed to disk
/// as each completes, so a killed or cancelled run resumes without paying again for finished samples. A torn last line
/// (the process died mid-write) is ignored.
/// </summary>
public sealed class EvalJournal : IDisposable
{
    private readonly FileStream _stream;
    private readonly Lock _gate = new();

    /// <summary>Opens (creating) the journal at <paramref name="path"/> for appending.</summary>
    public EvalJournal(string path)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        TruncateTornTail(path);
        _stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    /// <summary>The journal file.</summary>
    public string Path { get; }

    /// <summary>Reads the samples a journal holds (later lines win for the same case and repeat).</summary>
    public static IReadOnlyList<CaseResult> Read(string path)
    {
        if (!File.Exists(path)) return [];
        var byKey = new Dictionary<(string, int), CaseResult>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            CaseResult r;
            try { r = CaseResult.FromJsonLine(line); }
            catch (JsonException) { continue; } // a torn line from a killed process
            byKey[(r.CaseId, r.Repeat)] = r;
        }
        return [.. byKey.Values];
    }

    /// <summary>Appends one sample and flushes it to disk.</summary>
    public void Append(CaseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var bytes = Encoding.UTF8.GetBytes(result.ToJsonLine() + "\n");
        lock (_gate)
        {
            _stream.Write(bytes);
            _stream.Flush(flushToDisk: true);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    private static void TruncateTornTail(string path)
    {
        if (!File.Exists(path)) return;
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        if (fs.Length == 0) return;
        fs.Seek(-1, SeekOrigin.End);
        if (fs.ReadByte() == '\n') return;
        // Cut back to the last newline so the next append starts a fresh line.
        long pos = fs.Length - 1;
        while (pos > 0)
        {
            fs.Seek(pos - 1, SeekOrigin.Begin);
            if (fs.ReadByte() == '\n') break;
            pos--;
        }
        fs.SetLength(pos);
    }
}
