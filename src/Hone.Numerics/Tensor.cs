namespace Hone.Numerics;

/// <summary>
/// A named float32 tensor carved from an <see cref="Arena"/>: an offset (in floats) into the arena's block and a
/// row-major shape. The struct is a view: it does not own memory and is valid while its arena lives.
/// </summary>
public readonly struct Tensor
{
    private readonly Arena _arena;

    internal Tensor(Arena arena, string name, long offset, int[] shape, int length)
    {
        _arena = arena;
        Name = name;
        Offset = offset;
        Shape = shape;
        Length = length;
    }

    /// <summary>The name given when the tensor was carved (unique within its arena).</summary>
    public string Name { get; }

    /// <summary>Offset of the first element, in floats from the start of the arena's block.</summary>
    public long Offset { get; }

    /// <summary>Row-major shape; the product of the dimensions is <see cref="Length"/>.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Number of float elements.</summary>
    public int Length { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Count;

    /// <summary>The elements, as a span over the arena's native block.</summary>
    public Span<float> Span => _arena.SpanOf(Offset, Length);

    /// <summary>Row <paramref name="index"/> of the first dimension (all remaining dimensions flattened).</summary>
    public Span<float> Row(int index)
    {
        int rows = Shape[0];
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, rows);
        int rowLength = Length / rows;
        return _arena.SpanOf(Offset + ((long)index * rowLength), rowLength);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}[{string.Join(", ", Shape)}]";
}
