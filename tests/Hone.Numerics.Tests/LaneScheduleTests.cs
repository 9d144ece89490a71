namespace Hone.Numerics.Tests;

public class LaneScheduleTests
{
    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 4)]
    [InlineData(7, 2)]
    [InlineData(1000, 3)]
    [InlineData(100_000, 4)]
    public void Every_chunk_is_handed_out_exactly_once_and_owners_walk_their_lane_in_order(int count, int lanes)
    {
        var schedule = new LaneSchedule();
        for (int round = 0; round < 20; round++)
        {
            schedule.Reset(count, lanes);
            Assert.Equal(Math.Clamp(Math.Min(lanes, count), 1, LaneSchedule.MaxLanes), schedule.Lanes);
            var taken = new int[count];
            var owned = new List<int>[schedule.Lanes];
            var threads = Enumerable.Range(0, schedule.Lanes).Select(lane => new Thread(() =>
            {
                owned[lane] = [];
                int lo = (int)((long)count * lane / schedule.Lanes), hi = (int)((long)count * (lane + 1) / schedule.Lanes);
                while (schedule.Next(lane, out int chunk))
                {
                    Interlocked.Increment(ref taken[chunk]);
                    if (chunk >= lo && chunk < hi)
                    {
                        owned[lane].Add(chunk);
                    }
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.All(taken, n => Assert.Equal(1, n));
            foreach (var chunks in owned)
            {
                // An owner's chunks from its own lane come front to back (a thief may have taken its tail).
                Assert.Equal(chunks.Order(), chunks);
            }
        }
    }

    [Fact]
    public void A_single_worker_drains_every_lane()
    {
        var schedule = new LaneSchedule();
        schedule.Reset(10, 3);
        var seen = new List<int>();
        while (schedule.Next(0, out int chunk))
        {
            seen.Add(chunk);
        }

        // Its own lane front to back, then the other lanes from their backs.
        Assert.Equal([0, 1, 2, 5, 4, 3, 9, 8, 7, 6], seen);
    }
}
