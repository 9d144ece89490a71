namespace Hone.Data.Similarity;

/// <summary>
/// An append-only list in fixed chunks of 65,536 items: growing never copies, so a list of millions costs its items
/// and not the doubled array (and the copy) of a <see cref="List{T}"/>.
/// </summary>
internal sealed class ChunkedList<T>
{
    private const int Shift = 16;
    private const int ChunkSize = 1 << Shift;
    private readonly List<T[]> _chunks = [];

    /// <summary>Items added.</summary>
    public int Count { get; private set; }

    public void Add(T item)
    {
        if (Count >> Shift == _chunks.Count) _chunks.Add(new T[ChunkSize]);
        _chunks[Count >> Shift][Count & (ChunkSize - 1)] = item;
        Count++;
    }

    /// <summary>
    /// Frees the chunks that hold only items below <paramref name="index"/>; those items must not be read again (their
    /// memory goes as soon as the caller has copied them out, rather than once the whole list is dropped).
    /// </summary>
    public void DropBelow(int index)
    {
        for (var c = 0; c < _chunks.Count && (long)(c + 1) << Shift <= index; c++) _chunks[c] = null!;
    }

    public T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
            return _chunks[index >> Shift][index & (ChunkSize - 1)];
        }
    }
}
