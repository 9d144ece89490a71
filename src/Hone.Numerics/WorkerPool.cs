namespace Hone.Numerics;

/// <summary>
/// Work split into numbered items by <see cref="WorkerPool.Run"/>. Each item must write a disjoint part of the output
/// and compute it the same way whichever worker runs it, so results do not depend on the thread count.
/// </summary>
public interface IParallelWork
{
    /// <summary>Runs item <paramref name="index"/> on worker <paramref name="worker"/> (0 ≤ worker &lt; thread count),
    /// which a job may use to pick per-worker scratch space.</summary>
    void Execute(int index, int worker);
}

/// <summary>
/// A small pool with a fixed number of threads: the caller is worker 0 and <c>threadCount - 1</c> background threads
/// are the others. Items are handed out dynamically; callers keep results deterministic by making every item
/// independent (see <see cref="IParallelWork"/>). One <see cref="Run"/> at a time per pool.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private static readonly Lazy<WorkerPool> SingleThreaded = new(() => new WorkerPool(1));

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _start;
    private readonly ManualResetEventSlim _done = new(false);
    private readonly object _runLock = new();
    private IParallelWork? _work;
    private int _count;
    private int _next;
    private int _pending;
    private Exception? _failure;
    private volatile bool _disposed;

    /// <summary>Starts <paramref name="threadCount"/> - 1 background threads.</summary>
    public WorkerPool(int threadCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threadCount);
        ThreadCount = threadCount;
        _threads = new Thread[threadCount - 1];
        _start = new SemaphoreSlim[threadCount - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            _start[i] = new SemaphoreSlim(0);
            int worker = i + 1;
            _threads[i] = new Thread(() => Loop(worker)) { IsBackground = true, Name = $"hone-worker-{worker}" };
            _threads[i].Start();
        }
    }

    /// <summary>A pool that runs everything on the calling thread.</summary>
    public static WorkerPool Single => SingleThreaded.Value;

    /// <summary>Number of workers, the calling thread included.</summary>
    public int ThreadCount { get; }

    /// <summary>Runs items 0..count-1 of <paramref name="work"/> across the workers and returns when all are done.
    /// An exception thrown by an item is rethrown here after every worker has stopped.</summary>
    public void Run(IParallelWork work, int count)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count <= 0)
        {
            return;
        }

        if (ThreadCount == 1 || count == 1)
        {
            for (int i = 0; i < count; i++)
            {
                work.Execute(i, 0);
            }

            return;
        }

        lock (_runLock)
        {
            _work = work;
            _count = count;
            _next = 0;
            _failure = null;
            int helpers = Math.Min(_threads.Length, count - 1);
            _pending = helpers + 1;
            _done.Reset();
            for (int i = 0; i < helpers; i++)
            {
                _start[i].Release();
            }

            Drain(0);
            if (Interlocked.Decrement(ref _pending) != 0)
            {
                _done.Wait();
            }

            _work = null;
            Exception? failure = _failure;
            if (failure is not null)
            {
                throw new AggregateException("A parallel work item failed.", failure);
            }
        }
    }

    private void Drain(int worker)
    {
        IParallelWork work = _work!;
        try
        {
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < _count)
            {
                work.Execute(i, worker);
            }
        }
#pragma warning disable CA1031 // The failure is rethrown on the calling thread.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Interlocked.CompareExchange(ref _failure, ex, null);
            Volatile.Write(ref _next, int.MaxValue / 2);
        }
    }

    private void Loop(int worker)
    {
        SemaphoreSlim start = _start[worker - 1];
        while (true)
        {
            start.Wait();
            if (_disposed)
            {
                return;
            }

            Drain(worker);
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                _done.Set();
            }
        }
    }

    /// <summary>Stops the background threads.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (SemaphoreSlim s in _start)
        {
            s.Release();
        }

        foreach (Thread t in _threads)
        {
            t.Join();
        }

        foreach (SemaphoreSlim s in _start)
        {
            s.Dispose();
        }

        _done.Dispose();
    }
}
