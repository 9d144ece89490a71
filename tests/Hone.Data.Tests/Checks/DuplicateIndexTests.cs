using Hone.Data.Checks;
using Hone.Data.Similarity;

namespace Hone.Data.Tests.Checks;

/// <summary>
/// The sort-based duplicate index (issue 18 item 12: data check memory) held to the dictionary pass in file order it
/// replaced: same duplicates, contradictions and leaks, with runs spilled to disk (tiny chunks) or all in memory.
/// </summary>
public class DuplicateIndexTests
{
    [Theory]
    [InlineData(64)]        // runs of a couple of records: the merge does all the work
    [InlineData(8L << 20)]  // one chunk in memory
    public void Equals_the_seen_before_pass_in_file_order(long chunkBytes)
    {
        var rng = new Random(42);
        var train = Enumerable.Range(0, 3000).Select(i =>
        {
            var input = rng.Next(900);
            var hasOutput = rng.Next(5) > 0;
            var output = rng.Next(3);
            return (Line: 2L * i + 1 + rng.Next(2), Input: input, Output: hasOutput ? output : (int?)null);
        }).ToList();
        var valid = Enumerable.Range(0, 400).Select(i => (Line: (long)i + 1, Input: rng.Next(1800), Output: rng.Next(4) == 0 ? (int?)null : rng.Next(3))).ToList();
        TextHash In(int i) => TextHash.Of("in " + i);
        TextHash Out(int o) => TextHash.Of("out " + o);
        TextHash Full(int i, int? o) => TextHash.Of($"full {i} {o}");

        using var index = new DuplicateIndex(chunkBytes);
        foreach (var e in train) index.Add(e.Line, Full(e.Input, e.Output), e.Output is null ? null : In(e.Input), e.Output is { } o ? Out(o) : null);
        foreach (var v in valid) index.AddValid(v.Line, In(v.Input), Full(v.Input, v.Output));

        // The twin: one pass in file order with "seen before?" dictionaries.
        var full = new Dictionary<TextHash, long>();
        var inputs = new Dictionary<TextHash, (long Line, TextHash Output)>();
        var duplicates = new List<(long, long)>();
        var contradictions = new List<(long, long)>();
        foreach (var e in train)
        {
            var f = Full(e.Input, e.Output);
            if (full.TryGetValue(f, out var first)) duplicates.Add((e.Line, first));
            else full[f] = e.Line;
            if (e.Output is not { } o) continue;
            if (inputs.TryGetValue(In(e.Input), out var seen))
            {
                if (seen.Output != Out(o)) contradictions.Add((e.Line, seen.Line));
            }
            else inputs[In(e.Input)] = (e.Line, Out(o));
        }
        var leaks = new List<(long, long)>();
        foreach (var v in valid)
        {
            if (inputs.TryGetValue(In(v.Input), out var seen)) leaks.Add((v.Line, seen.Line));
            else if (full.TryGetValue(Full(v.Input, v.Output), out var line)) leaks.Add((v.Line, line));
        }

        var (d, c) = index.Find();
        Assert.True(duplicates.Count > 100 && contradictions.Count > 100 && leaks.Count > 50, "the data must exercise every answer");
        Assert.Equal(duplicates, d.Select(x => (x.Line, x.First)));
        Assert.Equal(contradictions, c.Select(x => (x.Line, x.First)));
        Assert.Equal(leaks, index.Leaks().Select(x => (x.ValidLine, x.TrainLine)));
        Assert.Equal(duplicates, index.Find().Duplicates.Select(x => (x.Line, x.First))); // the sorted runs can be read again
    }

    [Fact]
    public void Sort_spill_merges_its_runs_into_one_ascending_sequence()
    {
        var rng = new Random(9);
        var values = Enumerable.Range(0, 5000).Select(_ => rng.NextInt64()).ToList();
        using var spill = new SortSpill<long>(chunkBytes: 8 * 37, directory: null); // runs of 37 values
        foreach (var v in values) spill.Add(v);
        values.Sort();
        Assert.Equal(values, spill.Sorted());
        Assert.Equal(values, spill.Sorted());
        Assert.Equal(5000, spill.Count);
    }

    [Fact]
    public void Chunked_list_keeps_every_item_across_chunks()
    {
        var list = new ChunkedList<long>();
        for (var i = 0; i < 200_000; i++) list.Add(3L * i);
        Assert.Equal(200_000, list.Count);
        foreach (var i in new[] { 0, 1, 65_535, 65_536, 65_537, 131_072, 199_999 }) Assert.Equal(3L * i, list[i]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[200_000]);
    }
}
