using System.Text;
using Hone.Models.Chat;
using Hone.Store;

namespace Hone.App.Models;

/// <summary>
/// File hashes remembered in the workspace's run store (its cache table, keys <c>filehash:PATH|SIZE|MTIME</c>), so an
/// eval of a local model hashes each version of its files once: repeated evals are cheap, a changed file is re-hashed.
/// </summary>
public sealed class StoreFileHashMemo(RunStore store) : IFileHashMemo
{
    private const string Prefix = "filehash:";

    /// <inheritdoc />
    public string? Get(string key) => store.CacheGet(Prefix + key) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;

    /// <inheritdoc />
    public void Put(string key, string sha256) => store.CachePut(Prefix + key, Encoding.UTF8.GetBytes(sha256));
}
