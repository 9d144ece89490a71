using System.Runtime.InteropServices;
using Hone.Data.Similarity;

namespace Hone.Data.Checks;

/// <summary>
/// Exact duplicates, contradictions and train/valid leakage over text hashes, by external sort rather than by
/// dictionaries: each example adds a small record to a <see cref="SortSpill{T}"/> (bounded memory; runs go to a
/// temporary file), and the answers come from the sorted records. The first example of a key is the one with the
/// smallest line, so every answer is what a pass in file order with "seen before?" lookups gives.
/// </summary>
internal sealed class DuplicateIndex : IDisposable
{
    private readonly SortSpill<HashedLine> _full;
    private readonly SortSpill<InputRecord> _inputs;
    private readonly SortSpill<ValidRecord> _valid;
    private readonly string? _directory;
    private readonly long _chunkBytes;

    public DuplicateIndex(long chunkBytes = 8L << 20, string? directory = null)
    {
        _chunkBytes = chunkBytes;
        _directory = directory;
        _full = new SortSpill<HashedLine>(chunkBytes, directory);
        _inputs = new SortSpill<InputRecord>(chunkBytes, directory);
        _valid = new SortSpill<ValidRecord>(chunkBytes, directory);
    }

    /// <summary>A training example: its whole-example key and, when it has an output, its input and output keys.</summary>
    public void Add(long line, TextHash full, TextHash? input, TextHash? output)
    {
        _full.Add(new HashedLine(full, line));
        if (input is { } i && output is { } o) _inputs.Add(new InputRecord(i, line, o));
    }

    /// <summary>A validation example, to be matched against the training examples by <see cref="Leaks"/>.</summary>
    public void AddValid(long line, TextHash input, TextHash full) => _valid.Add(new ValidRecord(input, line, full));

    /// <summary>
    /// Examples equal to an earlier one (line, the first line of that example), and examples whose input equals an
    /// earlier example's with a different output (line, the first line of that input); both ascending by line.
    /// </summary>
    public (List<(long Line, long First)> Duplicates, List<(long Line, long First)> Contradictions) Find()
    {
        var duplicates = new List<(long, long)>();
        var first = default(HashedLine);
        var any = false;
        foreach (var r in _full.Sorted())
        {
            if (any && r.Key == first.Key) duplicates.Add((r.Line, first.Line));
            else first = r;
            any = true;
        }

        var contradictions = new List<(long, long)>();
        var seen = default(InputRecord);
        any = false;
        foreach (var r in _inputs.Sorted())
        {
            if (any && r.Key == seen.Key)
            {
                if (r.Output != seen.Output) contradictions.Add((r.Line, seen.Line));
            }
            else
            {
                seen = r;
            }
            any = true;
        }

        duplicates.Sort();
        contradictions.Sort();
        return (duplicates, contradictions);
    }

    /// <summary>
    /// Validation examples that leak (validation line, training line), ascending by validation line: the first training
    /// example with an output and the same input, else the first training example equal as a whole.
    /// </summary>
    public List<(long ValidLine, long TrainLine)> Leaks()
    {
        var leaks = new List<(long, long)>();
        using var unmatched = new SortSpill<HashedLine>(_chunkBytes, _directory);
        using (var train = FirstOfEachKey(_inputs.Sorted().Select(r => new HashedLine(r.Key, r.Line))).GetEnumerator())
        {
            var more = train.MoveNext();
            foreach (var v in _valid.Sorted())
            {
                while (more && train.Current.Key < v.Input) more = train.MoveNext();
                if (more && train.Current.Key == v.Input) leaks.Add((v.Line, train.Current.Line));
                else unmatched.Add(new HashedLine(v.Full, v.Line));
            }
        }

        using (var train = FirstOfEachKey(_full.Sorted()).GetEnumerator())
        {
            var more = train.MoveNext();
            foreach (var v in unmatched.Sorted())
            {
                while (more && train.Current.Key < v.Key) more = train.MoveNext();
                if (more && train.Current.Key == v.Key) leaks.Add((v.Line, train.Current.Line));
            }
        }

        leaks.Sort();
        return leaks;
    }

    /// <summary>The first record (smallest line) of each key of a stream sorted by (key, line).</summary>
    private static IEnumerable<HashedLine> FirstOfEachKey(IEnumerable<HashedLine> sorted)
    {
        var any = false;
        var last = default(TextHash);
        foreach (var r in sorted)
        {
            if (any && r.Key == last) continue;
            any = true;
            last = r.Key;
            yield return r;
        }
    }

    public void Dispose()
    {
        _full.Dispose();
        _inputs.Dispose();
        _valid.Dispose();
    }


    /// <summary>An example with an output: input key, line, output key; ordered by (input, line).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct InputRecord(TextHash Key, long Line, TextHash Output) : IComparable<InputRecord>
    {
        public int CompareTo(InputRecord other)
        {
            var c = Key.CompareTo(other.Key);
            return c != 0 ? c : Line.CompareTo(other.Line);
        }
    }

    /// <summary>A validation example: input key, line, whole-example key; ordered by (input, line).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct ValidRecord(TextHash Input, long Line, TextHash Full) : IComparable<ValidRecord>
    {
        public int CompareTo(ValidRecord other)
        {
            var c = Input.CompareTo(other.Input);
            return c != 0 ? c : Line.CompareTo(other.Line);
        }
    }
}
