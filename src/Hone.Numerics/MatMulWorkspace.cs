namespace Hone.Numerics;

/// <summary>
/// Scratch memory for <see cref="MatMul"/>: per-worker buffers for packed weight slices (256 KiB per worker, whatever
/// the shapes) and the cached work items, so that a call allocates nothing. One workspace serves one caller at a time
/// (it is not thread-safe); size it for a pool with <see cref="MatMulWorkspace(int)"/>, or let it grow on first use.
/// Disposal frees the native block.
/// </summary>
public sealed unsafe class MatMulWorkspace : IDisposable
{
    [ThreadStatic]
    private static MatMulWorkspace? t_perThread;

    private readonly GrowableBuffer _packed = new();

    /// <summary>An empty workspace that grows when first used.</summary>
    public MatMulWorkspace()
    {
        ComputeJob = new MatMulPacked.ComputeJob();
        RowsJob = new MatVec.Job();
        FusedRowsJob = new MatVecFused.Job();
        PackedRowsJob = new PackedRows.Job();
        BlockedJob = new MatMulBlocked.Job();
    }

    /// <summary>A workspace preallocated for pools of up to <paramref name="threads"/> workers.</summary>
    public MatMulWorkspace(int threads)
        : this()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        EnsurePacked(MatMulBlocked.WorkspaceFloats(threads));
    }

    /// <summary>The calling thread's own workspace, created on first use.</summary>
    public static MatMulWorkspace PerThread => t_perThread ??= new MatMulWorkspace();

    internal MatMulPacked.ComputeJob ComputeJob { get; }

    internal MatVec.Job RowsJob { get; }

    internal MatVecFused.Job FusedRowsJob { get; }

    internal PackedRows.Job PackedRowsJob { get; }

    internal MatMulBlocked.Job BlockedJob { get; }

    /// <summary>A 64-byte-aligned block of at least <paramref name="floats"/> floats (grown if needed).</summary>
    internal float* EnsurePacked(long floats) => _packed.Ensure(floats);

    /// <summary>Frees the packing block.</summary>
    public void Dispose() => _packed.Dispose();
}
