using System.Diagnostics;

namespace Hone.Numerics;

/// <summary>
/// A diagnostic: timestamps of every <see cref="WorkerPool"/> run, for the decode benchmark to split a token's time into
/// hand-off (the caller opens a run → a worker starts), join (the caller waits for the last worker) and the caller's
/// serial work between runs. On only when the process starts with <c>HONE_POOL_TRACE=1</c>; otherwise
/// <see cref="Enabled"/> is a constant false to the JIT and the pool's checks of it compile away.
/// </summary>
public static class WorkerPoolTrace
{
    /// <summary>Runs kept (a ring: the latest ones).</summary>
    public const int Capacity = 1 << 16;

    /// <summary>Whether runs are being recorded (<c>HONE_POOL_TRACE=1</c> at start).</summary>
    public static readonly bool Enabled = Environment.GetEnvironmentVariable("HONE_POOL_TRACE") == "1";

    private static readonly long[] Marks = Enabled ? new long[Capacity * MarkCount] : [];
    private static long _runs;

    /// <summary>Marks per run: opened, caller drained, closed (caller returns), first worker joined, last worker
    /// drained (0 when no worker joined), caller waited (1) or not (0).</summary>
    internal const int MarkCount = 6;

    internal const int Opened = 0, CallerDrained = 1, Closed = 2, WorkerJoined = 3, WorkerDrained = 4, CallerWaited = 5;

    /// <summary>Starts a run's record; returns its slot.</summary>
    internal static int Begin()
    {
        int slot = (int)(_runs++ % Capacity) * MarkCount;
        Array.Clear(Marks, slot, MarkCount);
        Marks[slot + Opened] = Stopwatch.GetTimestamp();
        return slot;
    }

    internal static void Mark(int slot, int what) => Marks[slot + what] = Stopwatch.GetTimestamp();

    /// <summary>The first worker to join sets the mark; later ones keep it.</summary>
    internal static void Joined(int slot) => Interlocked.CompareExchange(ref Marks[slot + WorkerJoined], Stopwatch.GetTimestamp(), 0);

    /// <summary>Each worker that leaves moves the mark later.</summary>
    internal static void Drained(int slot)
    {
        long now = Stopwatch.GetTimestamp();
        long seen;
        while ((seen = Volatile.Read(ref Marks[slot + WorkerDrained])) < now && Interlocked.CompareExchange(ref Marks[slot + WorkerDrained], now, seen) != seen)
        {
        }
    }

    internal static void Waited(int slot) => Marks[slot + CallerWaited] = 1;

    /// <summary>Forgets the runs recorded so far.</summary>
    public static void Clear() => _runs = 0;

    /// <summary>The runs recorded since <see cref="Clear"/> (the last <see cref="Capacity"/>), oldest first.</summary>
    public static IReadOnlyList<Run> Runs()
    {
        var list = new List<Run>();
        long n = Math.Min(_runs, Capacity);
        for (long r = _runs - n; r < _runs; r++)
        {
            int s = (int)(r % Capacity) * MarkCount;
            list.Add(new Run(Marks[s + Opened], Marks[s + CallerDrained], Marks[s + Closed], Marks[s + WorkerJoined], Marks[s + WorkerDrained], Marks[s + CallerWaited] == 1));
        }

        return list;
    }

    /// <summary>One run's timestamps (<see cref="Stopwatch"/> ticks; 0 where no worker joined).</summary>
    public readonly record struct Run(long Opened, long CallerDrained, long Closed, long WorkerJoined, long WorkerDrained, bool CallerWaited);
}
