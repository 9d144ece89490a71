using Hone.Store;
using Microsoft.Extensions.Caching.Distributed;

namespace Hone.Evals.Providers;

/// <summary>
/// An <see cref="IDistributedCache"/> in the workspace's run store (SQLite), under keys prefixed <c>chat:</c>, safe to
/// share between concurrent requests. Entries are kept until removed: expiration options are not applied (a response
/// cached for an eval stays valid for as long as its request is the same).
/// </summary>
public sealed class RunStoreDistributedCache(RunStore store) : IDistributedCache
{
    /// <summary>The prefix of this cache's keys in the store's key-value cache.</summary>
    public const string KeyPrefix = "chat:";

    private readonly Lock _gate = new();

    /// <inheritdoc />
    public byte[]? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate) return store.CacheGet(KeyPrefix + key);
    }

    /// <inheritdoc />
    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => Task.FromResult(Get(key));

    /// <inheritdoc />
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate) store.CachePut(KeyPrefix + key, value);
    }

    /// <inheritdoc />
    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        Set(key, value, options);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Refresh(string key) { } // no sliding expiration

    /// <inheritdoc />
    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    /// <inheritdoc />
    public void Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate) store.CacheRemove(KeyPrefix + key);
    }

    /// <inheritdoc />
    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        Remove(key);
        return Task.CompletedTask;
    }
}
