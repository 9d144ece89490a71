namespace Hone.Server;

/// <summary>
/// At most <c>slots</c> requests run at once; up to <c>maxQueue</c> more wait in line; beyond that a request is refused
/// at once (the server answers 429). Thread-safe.
/// </summary>
public sealed class ConcurrencyGate : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly int _maxQueue;
    private int _waiting;

    /// <summary>A gate with <paramref name="slots"/> running and <paramref name="maxQueue"/> waiting places.</summary>
    public ConcurrencyGate(int slots, int maxQueue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueue);
        _slots = new SemaphoreSlim(slots, slots);
        _maxQueue = maxQueue;
    }

    /// <summary>Requests waiting now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Free running slots now.</summary>
    public int FreeSlots => _slots.CurrentCount;

    /// <summary>Takes a slot, waiting in line if there is room; null when the line is full. Dispose the result to release.</summary>
    public async Task<IDisposable?> TryEnterAsync(CancellationToken cancellationToken)
    {
        if (_slots.Wait(0, CancellationToken.None))
        {
            return new Lease(_slots);
        }

        if (Interlocked.Increment(ref _waiting) > _maxQueue)
        {
            Interlocked.Decrement(ref _waiting);
            return null;
        }

        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new Lease(_slots);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    private sealed class Lease(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
