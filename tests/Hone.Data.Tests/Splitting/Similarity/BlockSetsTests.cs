using Hone.Data.Similarity;

namespace Hone.Data.Tests.Splitting.Similarity;

/// <summary>
/// A verification block's sets read at once from a spilled store (<see cref="BlockSets"/>) are the sets the store gives
/// one at a time (its twin), for indices in any order with repeats, on one thread and on several, and after reuse.
/// </summary>
public class BlockSetsTests
{
    [Fact]
    public void Sets_loaded_for_a_block_are_those_read_one_at_a_time()
    {
        var rng = new Random(5);
        using var store = new ShingleStore(thresholdBytes: 0, directory: null);
        for (var i = 0; i < 2000; i++)
        {
            var set = new ulong[i % 97 == 0 ? 0 : 1 + rng.Next(60)];
            for (var k = 0; k < set.Length; k++) set[k] = (ulong)rng.NextInt64();
            Array.Sort(set);
            store.Append(set);
        }
        Assert.True(store.Spilled);
        store.Freeze();
        var sets = new BlockSets();
        foreach (var n in (int[])[1500, 40, 900])
        {
            var indices = Enumerable.Range(0, n).Select(_ => rng.Next(store.Count)).ToArray();
            var wanted = indices.Distinct().ToList();
            sets.Load(store, indices.AsSpan());
            foreach (var index in wanted) Assert.Equal(store.Get(index), sets.Get(index).ToArray());
            var missing = Enumerable.Range(0, store.Count).First(i => !wanted.Contains(i));
            Assert.Throws<InvalidOperationException>(() => sets.Get(missing).Length);
        }
    }
}
