using System.Diagnostics;
using System.Globalization;
using Hone.Models.Llama;
using Hone.Numerics;

namespace Hone.Bench.Compare;

/// <summary>
/// Where a decoded token's wall time goes between the pool's runs (<see cref="WorkerPoolTrace"/>, on with
/// <c>HONE_POOL_TRACE=1</c>): 1 prompt token, then <c>gen</c> greedy tokens; per token: runs, the caller's serial time
/// between runs, each run's time until the caller's own share is done, the caller's wait for the last worker (join),
/// and the hand-off latency (run opened → first worker starts; median and 90th percentile per run).
/// </summary>
internal static class PoolTraceReport
{
    public static void Print(LlamaSession session, WorkerPool pool, int gen)
    {
        // The bare cost of a run: an item per worker that does nothing, back to back (median of 20 batches of 1000).
        var empty = new Empty();
        var batches = new List<double>();
        for (int b = 0; b < 20; b++)
        {
            long e0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < 1000; i++) pool.Run(empty, pool.ThreadCount);
            batches.Add((Stopwatch.GetTimestamp() - e0) * 1e6 / Stopwatch.Frequency / 1000);
        }

        batches.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"empty run: {batches[10]:F2} us median, {batches[0]:F2} us best (batches of 1000)"));
        session.Reset();
        int next = LlamaCppRunner.ArgMax(session.Forward(1));
        WorkerPoolTrace.Clear();
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < gen; i++) next = LlamaCppRunner.ArgMax(session.Forward(next));
        long t1 = Stopwatch.GetTimestamp();
        var runs = WorkerPoolTrace.Runs();
        double us = 1e6 / Stopwatch.Frequency;
        double serial = 0, body = 0, join = 0, workerTail = 0;
        int joined = 0, waited = 0;
        var handoff = new List<double>();
        long last = t0;
        foreach (var r in runs)
        {
            serial += (r.Opened - last) * us;
            body += (r.CallerDrained - r.Opened) * us;
            join += (r.Closed - r.CallerDrained) * us;
            last = r.Closed;
            if (r.WorkerJoined != 0)
            {
                joined++;
                handoff.Add((r.WorkerJoined - r.Opened) * us);
                workerTail += Math.Max(0, r.WorkerDrained - r.CallerDrained) * us;
            }

            if (r.CallerWaited) waited++;
        }

        serial += (t1 - last) * us;
        handoff.Sort();
        double P(double q) => handoff.Count == 0 ? 0 : handoff[(int)Math.Min(handoff.Count - 1, q * handoff.Count)];
        double total = (t1 - t0) * us;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trace 1+{gen}: {total / gen:F0} us/token, {runs.Count / (double)gen:F1} runs/token ({joined * 100.0 / Math.Max(1, runs.Count):F0}% joined by a worker, caller waited in {waited * 100.0 / Math.Max(1, runs.Count):F0}%); per token: serial {serial / gen:F0} us, runs until caller's share done {body / gen:F0} us, join wait {join / gen:F0} us (worker finished after caller by {workerTail / gen:F0} us); hand-off median {P(0.5):F1} us, p90 {P(0.9):F1} us, sum {handoff.Sum() / gen:F0} us/token"));
    }

    private sealed class Empty : IParallelWork
    {
        public void Execute(int index, int worker) { }
    }
}
