using Hone.Data.Similarity;

namespace Hone.Data.Tests.Splitting.Similarity;

/// <summary>
/// The candidate screen of the near-duplicate search (<see cref="SetSketch"/>): the sketch and the bound equal their
/// naive twins, the bound is never below the exact intersection, a pair it rules out is one the exact Jaccard rejects,
/// and it rules out most unrelated pairs (so it does work).
/// </summary>
public class SetSketchTests
{
    private static ulong[] RandomSet(Random rng, int size)
    {
        var set = new HashSet<ulong>();
        while (set.Count < size) set.Add((ulong)rng.NextInt64());
        var sorted = set.ToArray();
        Array.Sort(sorted);
        return sorted;
    }

    /// <summary>A set sharing about <paramref name="keep"/> of <paramref name="from"/>, with new shingles for the rest.</summary>
    private static ulong[] Variant(Random rng, ulong[] from, double keep)
    {
        var set = new HashSet<ulong>();
        foreach (var h in from) set.Add(rng.NextDouble() < keep ? h : (ulong)rng.NextInt64());
        for (var extra = rng.Next(4); extra > 0; extra--) set.Add((ulong)rng.NextInt64());
        var sorted = set.ToArray();
        Array.Sort(sorted);
        return sorted;
    }

    [Fact]
    public void Sketch_and_bound_equal_their_naive_twins_and_bound_the_exact_intersection()
    {
        var rng = new Random(11);
        for (var trial = 0; trial < 3000; trial++)
        {
            var a = RandomSet(rng, 1 + rng.Next(trial % 3 == 0 ? 400 : 80));
            var b = trial % 2 == 0 ? Variant(rng, a, rng.NextDouble()) : RandomSet(rng, 1 + rng.Next(80));
            var (sa, sb) = (SetSketch.Of(a), SetSketch.Of(b));
            var (na, nb) = (SetSketch.BucketsNaive(a), SetSketch.BucketsNaive(b));
            for (var k = 0; k < 128; k++) Assert.Equal(na[k], sa.Has(k));
            var bound = SetSketch.IntersectionBound(sa, a.Length, sb, b.Length);
            Assert.Equal(SetSketch.IntersectionBoundNaive(na, a.Length, nb, b.Length), bound);
            var inter = a.Intersect(b).Count();
            Assert.True(bound >= inter, $"trial {trial}: bound {bound} < intersection {inter}");
            foreach (var threshold in (double[])[0.3, 0.5, 0.8, 0.9, 1.0])
            {
                if (!SetSketch.MayReach(sa, a.Length, sb, b.Length, threshold))
                    Assert.True(Jaccard.Exact(a, b) < threshold, $"trial {trial}: ruled out at {threshold} with Jaccard {Jaccard.Exact(a, b)}");
            }
        }
    }

    [Fact]
    public void Identical_sets_always_may_reach_and_unrelated_ones_are_mostly_ruled_out()
    {
        var rng = new Random(3);
        int ruledOut = 0, trials = 1000;
        for (var t = 0; t < trials; t++)
        {
            var a = RandomSet(rng, 20 + rng.Next(60));
            var b = RandomSet(rng, a.Length);
            Assert.True(SetSketch.MayReach(SetSketch.Of(a), a.Length, SetSketch.Of(a), a.Length, 1.0));
            if (!SetSketch.MayReach(SetSketch.Of(a), a.Length, SetSketch.Of(b), b.Length, 0.8)) ruledOut++;
        }
        Assert.True(ruledOut > trials * 9 / 10, $"only {ruledOut} of {trials} unrelated pairs ruled out");
    }

    [Fact]
    public void Sketches_moved_out_of_the_store_are_those_it_kept_across_freed_chunks()
    {
        var rng = new Random(8);
        using var store = new ShingleStore(thresholdBytes: 1L << 30, directory: null);
        var sets = new List<ulong[]>();
        for (var i = 0; i < 150_000; i++)
        {
            var set = i % 50 == 0 ? [] : new[] { (ulong)rng.NextInt64(), (ulong)rng.NextInt64() };
            sets.Add(set);
            store.Append(set);
        }
        var picked = Enumerable.Range(0, sets.Count).Where(_ => rng.Next(3) == 0).ToArray();
        var into = new SetSketch[picked.Length];
        store.MoveSketches(picked, into);
        for (var k = 0; k < picked.Length; k++) Assert.Equal(SetSketch.Of(sets[picked[k]]), into[k]);
        Assert.ThrowsAny<Exception>(() => store.Sketch(picked[0]));
    }
}
