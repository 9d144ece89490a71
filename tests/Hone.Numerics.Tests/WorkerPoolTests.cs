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
