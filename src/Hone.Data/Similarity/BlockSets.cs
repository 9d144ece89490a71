namespace Hone.Data.Similarity;

/// <summary>
/// The shingle sets one block of candidate pairs needs, read from a spilled <see cref="ShingleStore"/> once each, in
/// file order and on several threads, instead of once per pair they appear in (a read is a system call, and the
/// candidates of a large file are many times its texts). Memory: the sets of one block (the caller bounds it).
/// </summary>
internal sealed class BlockSets
{
    private int[] _indices = []; // ascending, distinct: the sets held
    private int[] _starts = [1]; // set _indices[k] is _buffer[_starts[k] .. _starts[k + 1])
    private ulong[] _buffer = [];
    private int _count;

    /// <summary>
    /// Reads the sets of <paramref name="indices"/> (any order, repeats allowed; sorted in place) from
    /// <paramref name="store"/>, which must be frozen (<see cref="ShingleStore.Freeze"/>). The sets held before are dropped.
    /// </summary>
    public void Load(ShingleStore store, Span<int> indices)
    {
        indices.Sort();
        var m = 0;
        for (var i = 0; i < indices.Length; i++)
            if (m == 0 || indices[i] != indices[m - 1]) indices[m++] = indices[i];
        if (_indices.Length < m) _indices = new int[Math.Max(m, 2 * _indices.Length)];
        if (_starts.Length < m + 1) _starts = new int[Math.Max(m + 1, 2 * _starts.Length)];
        indices[..m].CopyTo(_indices);
        _count = m;
        _starts[0] = 0;
        for (var k = 0; k < m; k++) _starts[k + 1] = checked(_starts[k] + store.Size(_indices[k]));
        var total = _starts[m];
        if (_buffer.Length < total) _buffer = new ulong[Math.Max(total, 2 * _buffer.Length)];

        void Range(int from, int to)
        {
            for (var k = from; k < to; k++) store.Read(_indices[k], _buffer.AsSpan(_starts[k], _starts[k + 1] - _starts[k]));
        }
        ParallelRanges.Run(m, serialBelow: 256, minRange: 128, Range);
    }

    /// <summary>The set of <paramref name="index"/>, which must be among those loaded.</summary>
    public ReadOnlySpan<ulong> Get(int index)
    {
        var k = _indices.AsSpan(0, _count).BinarySearch(index); // the span search compares ints inline (no comparer)
        if (k < 0) throw new InvalidOperationException($"Set {index} was not loaded for this block.");
        return _buffer.AsSpan(_starts[k], _starts[k + 1] - _starts[k]);
    }
}
