using System.Runtime.InteropServices;
using Hone.Formats.Gguf;
using Hone.Numerics;

namespace Hone.Interop.Tests;

/// <summary>
/// ggml's own Q4_K routines (from the llama.cpp build LLamaSharp ships) as the oracle of Hone's: the reference quantiser
/// <c>quantize_row_q4_K_ref</c> writes the same bytes as <see cref="GgufQ4K.Quantize"/>; <c>dequantize_row_q4_K</c>
/// decodes them to the same floats as <see cref="GgufQ4K.Dequantize"/> and the kernels' <see cref="StoredRows.Dequantize"/>;
/// the CPU backend's activation quantiser <c>quantize_row_q8_K</c> gives Hone's q8_K, and its
/// <c>ggml_vec_dot_q4_K_q8_K</c> the twin of Hone's decode path (<see cref="StoredQ4KNaive.XWtQ8K"/>), and the decode
/// kernels of both layouts (GGUF's and the repacked <see cref="StoredQ4KSplit"/>), within float rounding of the same
/// exact integers.
/// </summary>
public unsafe class GgmlQ4KTests
{
    /// <summary>The ggml libraries of the CPU build LLamaSharp ships for this platform (the reference routines are the same
    /// in every variant; the vector dot product is the AVX2 variant's).</summary>
    private static readonly Lazy<(nint Base, nint Cpu)> Libraries = new(() =>
    {
        string root = Path.Combine(AppContext.BaseDirectory, "runtimes");
        string dir = new[] { "avx2", "avx512", "avx", "noavx" }
            .Select(v => Directory.GetFiles(root, "libggml-base.so", SearchOption.AllDirectories).FirstOrDefault(f => Path.GetFileName(Path.GetDirectoryName(f)) == v))
            .FirstOrDefault(f => f is not null) is { } found ? Path.GetDirectoryName(found)! : throw new InvalidOperationException($"no libggml-base.so under {root}");
        var b = NativeLibrary.Load(Path.Combine(dir, "libggml-base.so"));
        var cpu = NativeLibrary.Load(Path.Combine(dir, "libggml-cpu.so"));
        ((delegate* unmanaged<void>)NativeLibrary.GetExport(cpu, "ggml_cpu_init"))(); // its half-to-float table
        return (b, cpu);
    });

    private static nint Base(string name) => NativeLibrary.GetExport(Libraries.Value.Base, name);

    private static nint Cpu(string name) => NativeLibrary.GetExport(Libraries.Value.Cpu, name);

    /// <summary>Weight-like values: a normal spread per row with outliers, an all-zero super-block, a constant one, one of
    /// small positives only (min 0), and rows at very different scales (sub-blocks whose scale quantises to 0).</summary>
    private static float[] Values(int rows, int k, int seed)
    {
        var rng = new Random(seed);
        var x = new float[rows * k];
        for (int i = 0; i < x.Length; i++)
        {
            double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            x[i] = (float)(g * 0.02 * (1 + (i / k % 3 * 10)) * (i % 97 == 5 ? 8 : 1) * ((i / 32) % 13 == 4 ? 0.01 : 1));
        }

        Array.Clear(x, 256, 256);
        Array.Fill(x, 0.03f, 512, 256);
        for (int i = 768; i < 1024; i++) x[i] = MathF.Abs(x[i]) + 0.001f;
        return x;
    }

    [Fact]
    public void Hone_writes_the_bytes_ggmls_reference_quantiser_writes_and_both_decode_them_alike()
    {
        const int rows = 6, k = 1024;
        var x = Values(rows, k, 17);
        var expected = new byte[rows * k / 256 * 144];
        var quantize = (delegate* unmanaged<float*, byte*, long, void>)Base("quantize_row_q4_K_ref");
        var dequantize = (delegate* unmanaged<byte*, float*, long, void>)Base("dequantize_row_q4_K");
        fixed (float* px = x)
        fixed (byte* pe = expected)
        {
            quantize(px, pe, x.Length);
        }

        var actual = GgufQuantize.FromF32(GgmlType.Q4_K, x);
        int first = Enumerable.Range(0, actual.Length).FirstOrDefault(i => actual[i] != expected[i], -1);
        Assert.True(first < 0, $"byte {first} (super-block {first / 144}, offset {first % 144}) differs: Hone {(first < 0 ? 0 : actual[first])}, ggml {(first < 0 ? 0 : expected[first])}");

        var ggml = new float[x.Length];
        fixed (byte* pa = actual)
        fixed (float* pg = ggml)
        {
            dequantize(pa, pg, ggml.Length);
        }

        var hone = new float[x.Length];
        GgufDequantize.ToF32(GgmlType.Q4_K, actual, hone);
        Assert.Equal(ggml, hone);
        var kernels = new float[k];
        for (int r = 0; r < rows; r++)
        {
            StoredRows.Dequantize(StoredType.Q4_K, actual.AsSpan(r * k / 256 * 144, k / 256 * 144), kernels);
            Assert.Equal(ggml.AsSpan(r * k, k).ToArray(), kernels);
        }
    }

    [Fact]
    public void Hones_q8K_activations_and_decode_dot_agree_with_ggmls()
    {
        const int k = 1024, n = 8;
        var w = GgufQuantize.FromF32(GgmlType.Q4_K, Values(n, k, 5));
        var x = Values(1, k, 23);
        x[3] = -1.984375f * 4; // a negative extreme
        var rowBytes = k / 256 * 144;

        // block_q8_K: float d, 256 signed bytes, 16 shorts of sums of 16.
        const int q8Bytes = 4 + 256 + 32;
        var q8 = new byte[k / 256 * q8Bytes];
        var quantize = (delegate* unmanaged<float*, byte*, long, void>)Cpu("quantize_row_q8_K");
        var dot = (delegate* unmanaged<int, float*, nuint, byte*, nuint, byte*, nuint, int, void>)Cpu("ggml_vec_dot_q4_K_q8_K");
        fixed (float* px = x)
        fixed (byte* pq = q8)
        {
            quantize(px, pq, k);
        }

        var q = new sbyte[256];
        for (int b = 0; b < k / 256; b++)
        {
            float d = StoredQ4KNaive.QuantizeSuper(x.AsSpan(b * 256, 256), q);
            Assert.Equal(BitConverter.ToSingle(q8, b * q8Bytes), d);
            Assert.Equal(q8.AsSpan((b * q8Bytes) + 4, 256).ToArray(), MemoryMarshal.AsBytes(q.AsSpan()).ToArray());
        }

        var twin = new float[n];
        StoredQ4KNaive.XWtQ8K(x, w, default, twin, 1, k, n);
        var fast = new float[n];
        StoredMatMul.XWt(x, w, StoredType.Q4_K, default, fast, 1, k, n);
        var split = new float[n]; // the layout the loader repacks Q4_K to where AVX-512BW runs
        StoredMatMul.XWt(x, StoredQ4KSplit.Repack(w, k), StoredType.Q4_KSplit, default, split, 1, k, n);
        for (int j = 0; j < n; j++)
        {
            float expected;
            fixed (byte* pw = w)
            fixed (byte* pq = q8)
            {
                dot(k, &expected, 0, pw + (j * rowBytes), 0, pq, 0, 1);
            }

            Assert.True(Math.Abs(expected - twin[j]) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"row {j}: ggml {expected}, Hone's twin {twin[j]}");
            Assert.True(Math.Abs(expected - fast[j]) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"row {j}: ggml {expected}, Hone {fast[j]}");
            Assert.True(Math.Abs(expected - split[j]) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"row {j}: ggml {expected}, Hone's split layout {split[j]}");
        }
    }
}
