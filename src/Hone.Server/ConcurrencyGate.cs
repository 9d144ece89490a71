using System.Threading.RateLimiting;

namespace Hone.Server;

/// <summary>
/// At most <c>slots</c> requests run at once; up to <c>maxQueue</c> more wait in line (oldest first); beyond that a
/// request is refused at once (the server answers 429). A System.Threading.RateLimiting <see cref="ConcurrencyLimiter"/>.
/// Thread-safe.
/// </summary>
public sealed class ConcurrencyGate : IDisposable
{
    private readonly ConcurrencyLimiter _limiter;

    /// <summary>A gate with <paramref name="slots"/> running and <paramref name="maxQueue"/> waiting places.</summary>
    public ConcurrencyGate(int slots, int maxQueue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueue);
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = slots,
            QueueLimit = maxQueue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>Requests waiting now.</summary>
    public int Waiting => (int)(_limiter.GetStatistics()?.CurrentQueuedCount ?? 0);

    /// <summary>Free running slots now.</summary>
    public int FreeSlots => (int)(_limiter.GetStatistics()?.CurrentAvailablePermits ?? 0);

    /// <summary>Takes a slot, waiting in line if there is room; null when the line is full. Dispose the result to release.</summary>
    public async Task<IDisposable?> TryEnterAsync(CancellationToken cancellationToken)
    {
        var lease = await _limiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (lease.IsAcquired) return lease;
        lease.Dispose();
        return null;
    }

    /// <inheritdoc />
    public void Dispose() => _limiter.Dispose();
}
