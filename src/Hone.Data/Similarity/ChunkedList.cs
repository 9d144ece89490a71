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

    public T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
            return _chunks[index >> Shift][index & (ChunkSize - 1)];
        }
    }
}
