using System.Runtime.InteropServices;

namespace Hone.Numerics;

/// <summary>
/// Scratch memory for <see cref="MatMul"/>: the packed weight panels and the cached work items, so that a call allocates
/// nothing. One workspace serves one caller at a time (it is not thread-safe); size it once for the largest product with
/// <see cref="MatMulWorkspace(int, int)"/>, or let it grow on first use. Disposal frees the native block.
/// </summary>
public sealed unsafe class MatMulWorkspace : IDisposable
{
    [ThreadStatic]
    private static MatMulWorkspace? t_perThread;

    private float* _packed;
    private long _packedFloats;

    /// <summary>An empty workspace that grows when first used.</summary>
    public MatMulWorkspace()
    {
        PackJob = new MatMulPacked.PackJob();
        ComputeJob = new MatMulPacked.ComputeJob();
        RowsJob = new MatVec.Job();
        PackedRowsJob = new PackedRows.Job();
    }

    /// <summary>A workspace sized for any product with at most <paramref name="maxK"/> inner and
    /// <paramref name="maxN"/> output features.</summary>
    public MatMulWorkspace(int maxK, int maxN)
        : this()
    {
        EnsurePacked(RequiredFloats(maxK, maxN));
    }

    /// <summary>Floats of packing space a product with inner size <paramref name="k"/> and output size
    /// <paramref name="n"/> needs.</summary>
    public static long RequiredFloats(int k, int n) => (long)k * MatMulPacked.RoundUpToPanel(n);

    /// <summary>The calling thread's own workspace, created on first use.</summary>
    public static MatMulWorkspace PerThread => t_perThread ??= new MatMulWorkspace();

    internal MatMulPacked.PackJob PackJob { get; }

    internal MatMulPacked.ComputeJob ComputeJob { get; }

    internal MatVec.Job RowsJob { get; }

    internal PackedRows.Job PackedRowsJob { get; }

    /// <summary>A 64-byte-aligned block of at least <paramref name="floats"/> floats (grown if needed).</summary>
    internal float* EnsurePacked(long floats)
    {
        if (floats > _packedFloats)
        {
            if (_packed is not null)
            {
                NativeMemory.AlignedFree(_packed);
            }

            _packed = (float*)NativeMemory.AlignedAlloc(checked((nuint)floats * sizeof(float)), Arena.Alignment);
            _packedFloats = floats;
        }

        return _packed;
    }

    /// <summary>Frees the packing block.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the packing block if <see cref="Dispose"/> was not called.</summary>
    ~MatMulWorkspace() => Free();

    private void Free()
    {
        if (_packed is not null)
        {
            NativeMemory.AlignedFree(_packed);
            _packed = null;
            _packedFloats = 0;
        }
    }
}
