namespace Hone.Numerics;

/// <summary>
/// One 64-byte-aligned native block per model or run, from which named float tensors are carved. Carving only moves an
/// offset (each tensor starts on a 64-byte boundary); nothing is allocated per token. Disposal frees the block, after
/// which every tensor and span carved from it is invalid.
/// </summary>
/// <remarks>Not thread-safe for carving; spans of distinct tensors may be used from any thread.</remarks>
public sealed unsafe class Arena : IDisposable
{
    /// <summary>Alignment of the block and of every tensor, in bytes.</summary>
    public const int Alignment = 64;

    private const int FloatsPerAlignment = Alignment / sizeof(float);

    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private NativeBlock.Handle _handle;
    private float* _block;
    private long _used;

    /// <summary>Allocates a zero-filled block (huge pages where the OS offers them: see <see cref="NativeBlock"/>) able to hold <paramref name="capacityFloats"/> floats.</summary>
    /// <param name="capacityFloats">Capacity in floats; tensor starts are rounded up to 16-float boundaries.</param>
    public Arena(long capacityFloats)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityFloats);
        CapacityFloats = RoundUp(capacityFloats);
        nuint bytes = checked((nuint)CapacityFloats * sizeof(float));
        _handle = NativeBlock.Allocate(bytes, Alignment);
        _block = (float*)_handle.Pointer;
    }

    /// <summary>Floats the block can hold.</summary>
    public long CapacityFloats { get; }

    /// <summary>Floats carved so far (including alignment padding).</summary>
    public long UsedFloats => _used;

    /// <summary>The tensors carved so far, by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    /// <summary>Floats an arena needs to hold tensors of these element counts (each rounded up to 64 bytes).</summary>
    public static long FloatsFor(params ReadOnlySpan<long> lengths)
    {
        long total = 0;
        foreach (long length in lengths)
        {
            total = checked(total + RoundUp(length));
        }

        return total;
    }

    /// <summary>Carves a new zero-initialised tensor of the given row-major shape.</summary>
    /// <exception cref="ArgumentException">The name is already used, or a dimension is not positive.</exception>
    /// <exception cref="InvalidOperationException">The arena has no room left.</exception>
    public Tensor Allocate(string name, params ReadOnlySpan<int> shape)
    {
        ObjectDisposedException.ThrowIf(_block is null, this);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (shape.Length == 0)
        {
            throw new ArgumentException("A tensor needs at least one dimension.", nameof(shape));
        }

        long length = 1;
        foreach (int dim in shape)
        {
            if (dim <= 0)
            {
                throw new ArgumentException($"Tensor '{name}' has a non-positive dimension {dim}.", nameof(shape));
            }

            length = checked(length * dim);
        }

        if (length > int.MaxValue)
        {
            throw new ArgumentException($"Tensor '{name}' has {length} elements; at most {int.MaxValue} are supported.", nameof(shape));
        }

        if (_tensors.ContainsKey(name))
        {
            throw new ArgumentException($"The arena already holds a tensor named '{name}'.", nameof(name));
        }

        long size = RoundUp(length);
        if (_used + size > CapacityFloats)
        {
            throw new InvalidOperationException(
                $"Arena full: tensor '{name}' needs {size} floats but only {CapacityFloats - _used} of {CapacityFloats} are left. Size the arena with Arena.FloatsFor.");
        }

        var tensor = new Tensor(this, name, _used, shape.ToArray(), (int)length);
        _used += size;
        _tensors.Add(name, tensor);
        return tensor;
    }

    /// <summary>The tensor carved under <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public Tensor this[string name] => _tensors.TryGetValue(name, out Tensor t)
        ? t
        : throw new KeyNotFoundException($"The arena holds no tensor named '{name}'.");

    /// <summary>A span over floats [offset, offset+length) of the block.</summary>
    internal Span<float> SpanOf(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_block is null, this);
        return new Span<float>(_block + offset, length);
    }

    /// <summary>Frees the native block.</summary>
    public void Dispose()
    {
        if (_block is not null)
        {
            NativeBlock.Free(_handle);
            _block = null;
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native block if <see cref="Dispose"/> was not called.</summary>
    ~Arena()
    {
        if (_block is not null)
        {
            NativeBlock.Free(_handle);
            _block = null;
        }
    }

    private static long RoundUp(long floats) => (floats + FloatsPerAlignment - 1) / FloatsPerAlignment * FloatsPerAlignment;
}
