using System.Runtime.InteropServices;

namespace Hone.Bench.Compare;

/// <summary>
/// OpenBLAS's <c>cblas_sgemm</c> from Debian's package (libopenblas0-pthread / libopenblas0-openmp), loaded by name at
/// run time; absent when the package is not installed (Debian's reference libblas3 is not a fair reference and is not used).
/// </summary>
internal static unsafe class OpenBlas
{
    private static readonly string[] Names =
    [
        "libopenblas.so.0", "libopenblas.so", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
    ];

    private static readonly Lazy<(nint Sgemm, nint SetThreads, string? Path)> Library = new(() =>
    {
        foreach (var name in Names)
        {
            if (NativeLibrary.TryLoad(name, out var handle) && NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var sgemm))
            {
                NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var threads);
                return (sgemm, threads, name);
            }
        }

        return (0, 0, null);
    });

    /// <summary>The library loaded, or null when OpenBLAS is not installed.</summary>
    public static string? Path => Library.Value.Path;

    /// <summary>Sets OpenBLAS's thread count.</summary>
    public static void SetThreads(int threads)
    {
        if (Library.Value.SetThreads != 0) ((delegate* unmanaged<int, void>)Library.Value.SetThreads)(threads);
    }

    /// <summary>y = x·Wᵀ: x [m, k], w [n, k], y [m, n], row-major (CblasRowMajor, NoTrans, Trans).</summary>
    public static void XWt(float[] x, float[] w, float[] y, int m, int k, int n)
    {
        var f = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)Library.Value.Sgemm;
        fixed (float* px = x)
        fixed (float* pw = w)
        fixed (float* py = y)
        {
            f(101, 111, 112, m, n, k, 1f, px, k, pw, k, 0f, py, n);
        }
    }
}
