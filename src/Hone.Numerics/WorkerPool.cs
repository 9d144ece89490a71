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
/// independent (see <see cref="IParallelWork"/>). One <see cref="Run"/> at a time per pool. After a run, workers spin
/// briefly for the next one (decode issues many small runs back to back) before they block. A run ends as soon as its
/// items are done: the caller waits only for workers that took part, never for one that has not woken yet.
/// When a process is short of cores (Linux autogroups share the CPU between sessions, not threads, so on a busy machine
/// a spinning worker takes its time from the caller: a two-thread decode ran at half the speed of a one-thread one),
/// workers step back: a worker that came late for <see cref="LateBeforeNoSpin"/> runs in a row (each closed when it got
/// there) blocks without spinning, and a blocked worker that missed <see cref="MissesBeforeRest"/> runs in a row rests:
/// the caller stops waking it, except on every <see cref="ProbeEvery"/>-th run, until it takes part in a run again.
/// A worker that is on time (every run on an idle machine) spins and is woken as before.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    /// <summary>Spin iterations a worker waits for the next run before blocking: about 60 µs on the 2-core Zen host
    /// (2000 spun 0.6 ms), where the serial steps between a decode's runs take a few µs.</summary>
    private const int SpinIterations = 200;

    /// <summary>Runs in a row a worker came late for (closed when it got there), after which it blocks without spinning
    /// until it takes part in a run again.</summary>
    internal const int LateBeforeNoSpin = 2;

    /// <summary>Runs in a row a woken worker may miss before the caller lets it rest.</summary>
    internal const int MissesBeforeRest = 8;

    /// <summary>A resting worker is still woken on every run whose number is a multiple of this.</summary>
    internal const int ProbeEvery = 8;

    /// <summary>The bit of <see cref="_state"/> that closes a run to late workers.</summary>
    private const int Closed = 1 << 30;

    private static readonly Lazy<WorkerPool> SingleThreaded = new(() => new WorkerPool(1));

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wake;
    private readonly int[] _sleeping;
    /// <summary>Per worker: the generation of the last run it joined (written by the worker as it joins).</summary>
    private readonly int[] _joined;
    /// <summary>Per worker: runs in a row it missed (the caller's own count).</summary>
    private readonly int[] _missed;
    private readonly ManualResetEventSlim _done = new(false);
    private readonly object _runLock = new();
    private IParallelWork? _work;
    private int _count;
    private int _next;
    /// <summary>Workers inside the current run (low bits) and <see cref="Closed"/> once the caller has finished its own
    /// share: a worker that arrives after that joins nothing, so the caller never waits for a thread that had not even
    /// been scheduled (on a loaded machine a wake-up can take milliseconds).</summary>
    private int _state = Closed;
    private int _generation;
    private Exception? _failure;
    private volatile bool _disposed;
    private int _traceSlot;

    /// <summary>Starts <paramref name="threadCount"/> - 1 background threads.</summary>
    public WorkerPool(int threadCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threadCount);
        ThreadCount = threadCount;
        _threads = new Thread[threadCount - 1];
        _wake = new SemaphoreSlim[threadCount - 1];
        _sleeping = new int[threadCount - 1];
        _joined = new int[threadCount - 1];
        _missed = new int[threadCount - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            _wake[i] = new SemaphoreSlim(0);
            int worker = i + 1;
            _threads[i] = new Thread(() => Loop(worker)) { IsBackground = true, Name = $"hone-worker-{worker}" };
            _threads[i].Start();
        }
    }

    /// <summary>A pool that runs everything on the calling thread.</summary>
    public static WorkerPool Single => SingleThreaded.Value;

    /// <summary>Number of workers, the calling thread included.</summary>
    public int ThreadCount { get; }

    /// <summary>Whether background worker <paramref name="worker"/> (1 ≤ worker &lt; thread count) rests: it missed
    /// <see cref="MissesBeforeRest"/> runs in a row and is woken only on probe runs. Read it between runs.</summary>
    internal bool IsResting(int worker) => _missed[worker - 1] >= MissesBeforeRest;

    /// <summary>Runs items 0..count-1 of <paramref name="work"/> across the workers and returns when all are done.
    /// An exception thrown by an item is rethrown here after every worker has stopped. Calls from several threads are
    /// serialised; an item must not call <see cref="Run"/> on the same pool (it would wait for itself).</summary>
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
            if (WorkerPoolTrace.Enabled)
            {
                _traceSlot = WorkerPoolTrace.Begin();
            }

            _work = work;
            _count = count;
            _next = 0;
            _failure = null;
            _done.Reset();
            Volatile.Write(ref _state, 0); // open: the fields above are visible to any worker that joins
            int generation = Interlocked.Increment(ref _generation); // wakes spinning workers
            for (int i = 0; i < _wake.Length; i++)
            {
                bool resting = _missed[i] >= MissesBeforeRest && generation % ProbeEvery != 0;
                if (!resting && Interlocked.Exchange(ref _sleeping[i], 0) == 1)
                {
                    _wake[i].Release();
                }
            }

            Drain(0);
            if (WorkerPoolTrace.Enabled)
            {
                WorkerPoolTrace.Mark(_traceSlot, WorkerPoolTrace.CallerDrained);
            }

            if ((Interlocked.Or(ref _state, Closed) & ~Closed) != 0)
            {
                if (WorkerPoolTrace.Enabled)
                {
                    WorkerPoolTrace.Waited(_traceSlot);
                }

                _done.Wait(); // the last worker to leave a closed run sets it
            }

            if (WorkerPoolTrace.Enabled)
            {
                WorkerPoolTrace.Mark(_traceSlot, WorkerPoolTrace.Closed);
            }

            for (int i = 0; i < _missed.Length; i++)
            {
                _missed[i] = Volatile.Read(ref _joined[i]) == generation ? 0 : _missed[i] + 1;
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
        int slot = worker - 1;
        int seen = 0, late = 0;
        while (true)
        {
            // Late for runs in a row: the process is short of cores, where spinning would take the caller's own time.
            if (!WaitForRun(slot, seen, late >= LateBeforeNoSpin ? 0 : SpinIterations))
            {
                return;
            }

            seen = Volatile.Read(ref _generation);
            if (!TryJoin())
            {
                late++;
                continue; // the run is already over (or closed): nothing to do
            }

            late = 0;

            // Inside an open run the generation is that run's: the next run cannot start before this worker leaves.
            Volatile.Write(ref _joined[slot], Volatile.Read(ref _generation));

            if (WorkerPoolTrace.Enabled)
            {
                WorkerPoolTrace.Joined(_traceSlot);
            }

            Drain(worker);
            if (WorkerPoolTrace.Enabled)
            {
                WorkerPoolTrace.Drained(_traceSlot);
            }

            if (Interlocked.Decrement(ref _state) == Closed)
            {
                _done.Set();
            }
        }
    }

    /// <summary>Enters the current run unless the caller has already closed it.</summary>
    private bool TryJoin()
    {
        while (true)
        {
            int s = Volatile.Read(ref _state);
            if ((s & Closed) != 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _state, s + 1, s) == s)
            {
                return true;
            }
        }
    }

    /// <summary>Spins, then sleeps, until a generation after <paramref name="seen"/> starts; false when disposed.</summary>
    private bool WaitForRun(int slot, int seen, int spins)
    {
        for (int spin = 0; spin < spins; spin++)
        {
            if (Volatile.Read(ref _generation) != seen || _disposed)
            {
                return !_disposed;
            }

            Thread.SpinWait(8);
        }

        while (true)
        {
            Interlocked.Exchange(ref _sleeping[slot], 1); // a full fence: the re-check below cannot pass it
            if (Volatile.Read(ref _generation) != seen || _disposed)
            {
                // A run (or disposal) began meanwhile: take the flag back, or consume the wake-up already sent.
                if (Interlocked.Exchange(ref _sleeping[slot], 0) == 0)
                {
                    _wake[slot].Wait();
                }

                return !_disposed;
            }

            _wake[slot].Wait();
            if (Volatile.Read(ref _generation) != seen || _disposed)
            {
                return !_disposed;
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
        for (int i = 0; i < _wake.Length; i++)
        {
            if (Interlocked.Exchange(ref _sleeping[i], 0) == 1)
            {
                _wake[i].Release();
            }
        }

        foreach (Thread t in _threads)
        {
            t.Join();
        }

        foreach (SemaphoreSlim s in _wake)
        {
            s.Dispose();
        }

        _done.Dispose();
    }
}
