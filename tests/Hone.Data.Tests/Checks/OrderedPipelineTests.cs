using Hone.Data.Checks;

namespace Hone.Data.Tests.Checks;

public class OrderedPipelineTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Results_are_merged_in_posting_order_with_a_bounded_number_in_flight(int threads)
    {
        var merged = new List<int>();
        int running = 0, posted = 0, maxAhead = 0;
        var rng = new Random(5);
        var delays = Enumerable.Range(0, 200).Select(_ => rng.Next(3)).ToArray();
        var pipeline = new OrderedPipeline<int, int>(threads, 4, i =>
        {
            Interlocked.Increment(ref running);
            Thread.Sleep(delays[i]); // later items often finish first
            Interlocked.Decrement(ref running);
            return i * 10;
        }, r =>
        {
            merged.Add(r);
            maxAhead = Math.Max(maxAhead, posted - merged.Count);
        }, CancellationToken.None);
        for (var i = 0; i < 200; i++)
        {
            posted++;
            pipeline.Post(i);
        }
        pipeline.Complete();
        Assert.Equal(Enumerable.Range(0, 200).Select(i => i * 10), merged);
        Assert.InRange(maxAhead, 0, 4);
    }

    [Fact]
    public void The_first_failure_in_posting_order_is_thrown_unwrapped()
    {
        var merged = new List<int>();
        var pipeline = new OrderedPipeline<int, int>(2, 8, i => i is 5 or 7 ? throw new InvalidDataException("item " + i) : i, merged.Add, CancellationToken.None);
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            for (var i = 0; i < 20; i++) pipeline.Post(i);
            pipeline.Complete();
        });
        Assert.Equal("item 5", e.Message);
        Assert.Equal([0, 1, 2, 3, 4], merged);
    }
}
