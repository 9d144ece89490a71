using System.Collections.Concurrent;

namespace Hone.Data.Similarity;

/// <summary>Runs a body over [0, count) in contiguous ranges: on the caller's thread when small, else on the thread pool.</summary>
internal static class ParallelRanges
{
    /// <summary>
    /// Calls <paramref name="body"/>(from, to) over ranges covering [0, <paramref name="count"/>) once each: one call on
    /// this thread when <paramref name="count"/> is under <paramref name="serialBelow"/>, else ranges of at least
    /// <paramref name="minRange"/> (about four per core) on the pool.
    /// </summary>
    public static void Run(int count, int serialBelow, int minRange, Action<int, int> body)
    {
        if (count < serialBelow)
        {
            body(0, count);
            return;
        }
        var range = Math.Max(minRange, count / (4 * Environment.ProcessorCount));
        Parallel.ForEach(Partitioner.Create(0, count, range), r => body(r.Item1, r.Item2));
    }
}
