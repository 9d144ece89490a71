using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Caching.Distributed;

namespace Hone.Evals.Providers;

/// <summary>
/// An <see cref="IDistributedCache"/> in one append-only JSONL file: the progress file of a resumable command that calls
/// models (<c>hone data synth</c>, <c>hone data review</c>). Put behind <see cref="ResponseCachingChatClient"/> (through
/// <see cref="ChatClientPipeline"/>), every answered call is appended and flushed as it arrives, so a killed run started
/// again with the same request replays the calls it already paid for and continues. A torn last line (the process died
/// mid-write) is ignored and cut off. Entries never expire; the owner deletes the file when the work is done.
/// </summary>
public sealed class FileJournalCache : IDistributedCache, IDisposable
{
    private readonly Dictionary<string, byte[]> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private FileStream? _stream;

    /// <summary>Opens the journal at <paramref name="path"/> (reading what an earlier run left there).</summary>
    public FileJournalCache(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(Path)) return;
        long good = 0, offset = 0;
        foreach (var line in File.ReadLines(Path))
        {
            offset += Encoding.UTF8.GetByteCount(line) + 1;
            try
            {
                var node = JsonNode.Parse(line);
                var key = (string?)node?["key"];
                var value = (string?)node?["value"];
                if (key is null || value is null) break;
                _entries[key] = Convert.FromBase64String(value);
                good = offset;
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                break; // a torn line from a killed process: everything after it is cut off
            }
        }
        using var fs = new FileStream(Path, FileMode.Open, FileAccess.Write);
        if (good < fs.Length) fs.SetLength(good);
    }

    /// <summary>The journal file.</summary>
    public string Path { get; }

    /// <summary>Entries read from an earlier run or written by this one.</summary>
    public int Count
    {
        get { lock (_gate) return _entries.Count; }
    }

    /// <inheritdoc />
    public byte[]? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate) return _entries.TryGetValue(key, out var v) ? v : null;
    }

    /// <inheritdoc />
    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => Task.FromResult(Get(key));

    /// <inheritdoc />
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var line = Encoding.UTF8.GetBytes(new JsonObject { ["key"] = key, ["value"] = Convert.ToBase64String(value) }.ToJsonString() + "\n");
        lock (_gate)
        {
            if (_stream is null)
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
                _stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
            }
            _stream.Write(line);
            _stream.Flush(flushToDisk: true);
            _entries[key] = value;
        }
    }

    /// <inheritdoc />
    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        Set(key, value, options);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Refresh(string key) { }

    /// <inheritdoc />
    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    /// <inheritdoc />
    public void Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate) _entries.Remove(key); // the file keeps it; a later Set of the key wins on reading
    }

    /// <inheritdoc />
    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        Remove(key);
        return Task.CompletedTask;
    }

    /// <summary>Closes the file and deletes it (the work it journalled is done).</summary>
    public void Delete()
    {
        lock (_gate)
        {
            _stream?.Dispose();
            _stream = null;
            if (File.Exists(Path)) File.Delete(Path);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _stream?.Dispose();
            _stream = null;
        }
    }
}
