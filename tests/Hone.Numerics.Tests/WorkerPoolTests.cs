namespace Hone.Numerics.Tests;

public class WorkerPoolTests
{
    private sealed class Mark(int[] hits, int[] workers) : IParallelWork
    {
        public void Execute(int index, int worker)
        {
            Interlocked.Increment(ref hits[index]);
            workers[index] = worker;
        }
    }

    private sealed class Throw : IParallelWork
    {
        public void Execute(int index, int worker)
        {
            if (index == 5)
            {
                throw new InvalidOperationException("item 5");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Every_item_runs_exactly_once_on_a_valid_worker(int threads)
    {
        using var pool = new WorkerPool(threads);
        for (int round = 0; round < 50; round++)
        {
            int count = 1 + (round * 3 % 37);
            var hits = new int[count];
            var workers = new int[count];
            pool.Run(new Mark(hits, workers), count);
            Assert.All(hits, h => Assert.Equal(1, h));
            Assert.All(workers, w => Assert.InRange(w, 0, threads - 1));
        }
    }

    /// <summary>Counts into whichever array is current, so an item run late (after its run returned) shows up as a
    /// second hit in the next run's array.</summary>
    private sealed class Current : IParallelWork
    {
        public int[] Hits { get; set; } = [];

        public void Execute(int index, int worker) => Interlocked.Increment(ref Hits[index]);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Many_short_runs_back_to_back_each_run_every_item_once_and_nothing_after_returning(int threads)
    {
        using var pool = new WorkerPool(threads);
        var job = new Current();
        for (int round = 0; round < 20000; round++)
        {
            int count = 1 + (round % 7);
            job.Hits = new int[count];
            pool.Run(job, count);
            for (int i = 0; i < count; i++)
            {
                Assert.Equal(1, Volatile.Read(ref job.Hits[i]));
            }
        }
    }

    [Fact]
    public async Task Runs_separated_by_pauses_wake_sleeping_workers()
    {
        using var pool = new WorkerPool(3);
        for (int round = 0; round < 6; round++)
        {
            var hits = new int[40];
            pool.Run(new Mark(hits, new int[40]), 40);
            Assert.All(hits, h => Assert.Equal(1, h));
            await Task.Delay(round % 2 == 0 ? 1 : 30); // long enough for the workers to stop spinning and block
        }
    }

    private sealed class Nothing : IParallelWork
    {
        public void Execute(int index, int worker)
        {
        }
    }

    /// <summary>Each item sleeps a millisecond (the caller leaves the core to the worker) and records its worker.</summary>
    private sealed class Slow(int[] workers) : IParallelWork
    {
        public void Execute(int index, int worker)
        {
            Thread.Sleep(1);
            workers[index] = worker;
        }
    }

    [Fact]
    public void A_worker_that_keeps_missing_runs_rests_and_a_probe_run_brings_it_back()
    {
        using var pool = new WorkerPool(2);

        // Empty runs a few milliseconds apart: the worker has blocked, and the caller has done both items long before
        // the woken worker gets there. After enough of them it rests.
        for (int round = 0; round < 200 && !pool.IsResting(1); round++)
        {
            Thread.Sleep(2);
            pool.Run(new Nothing(), 2);
        }

        Assert.True(pool.IsResting(1));

        // Runs long enough for any woken worker to arrive: the first probe run wakes it, it takes items, and rests no more.
        bool helped = false;
        for (int round = 0; round < 4 * WorkerPool.ProbeEvery && !helped; round++)
        {
            var workers = new int[16];
            pool.Run(new Slow(workers), 16);
            helped = workers.Contains(1);
        }

        Assert.True(helped);
        Assert.False(pool.IsResting(1));

        // Resting or not, every item runs once.
        var all = new int[37];
        pool.Run(new Mark(all, new int[37]), 37);
        Assert.All(all, h => Assert.Equal(1, h));
    }

    [Fact]
    public void A_failing_item_is_rethrown_and_the_pool_stays_usable()
    {
        using var pool = new WorkerPool(2);
        var ex = Assert.Throws<AggregateException>(() => pool.Run(new Throw(), 20));
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        var hits = new int[10];
        pool.Run(new Mark(hits, new int[10]), 10);
        Assert.All(hits, h => Assert.Equal(1, h));
    }
}
