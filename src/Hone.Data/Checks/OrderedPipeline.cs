namespace Hone.Data.Checks;

/// <summary>
/// Runs a function over posted items on up to <c>threads</c> worker threads and hands the results to a merge, in the
/// order the items were posted, on the posting thread: the merged outcome is the one a single thread would make. At
/// most <c>maxInFlight</c> items are posted and not yet merged (the poster waits for the oldest), so memory stays
/// bounded however long the input. With one thread everything runs inline.
/// </summary>
internal sealed class OrderedPipeline<TIn, TOut>
{
    private readonly Func<TIn, TOut> _work;
    private readonly Action<TOut> _merge;
    private readonly int _maxInFlight;
    private readonly TaskScheduler? _scheduler;
    private readonly Queue<Task<TOut>> _inFlight = new();
    private readonly CancellationToken _ct;

    public OrderedPipeline(int threads, int maxInFlight, Func<TIn, TOut> work, Action<TOut> merge, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        _work = work;
        _merge = merge;
        _maxInFlight = maxInFlight;
        _ct = ct;
        _scheduler = threads == 1 ? null : new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, threads).ConcurrentScheduler;
    }

    /// <summary>Schedules <paramref name="item"/>; merges the oldest results while too many are in flight.</summary>
    public void Post(TIn item)
    {
        if (_scheduler is null)
        {
            _ct.ThrowIfCancellationRequested();
            _merge(_work(item));
            return;
        }
        _inFlight.Enqueue(Task.Factory.StartNew(() => _work(item), _ct, TaskCreationOptions.DenyChildAttach, _scheduler));
        while (_inFlight.Count > _maxInFlight) MergeOldest();
    }

    /// <summary>Merges every result still in flight, in order.</summary>
    public void Complete()
    {
        while (_inFlight.Count > 0) MergeOldest();
    }

    private void MergeOldest()
    {
        var task = _inFlight.Dequeue();
        try
        {
            _merge(task.GetAwaiter().GetResult());
        }
        catch
        {
            // Let the other workers finish before the exception leaves (they read state the caller may dispose).
            try { Task.WaitAll([.. _inFlight]); } catch (AggregateException) { } catch (OperationCanceledException) { }
            _inFlight.Clear();
            throw;
        }
    }
}
