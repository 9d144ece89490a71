using BenchmarkDotNet.Attributes;
using Hone.Formats.Safetensors;

namespace Hone.Bench;

/// <summary>
/// safetensors load throughput on a seeded 64 MB checkpoint (16 tensors of 1024×1024): open + validate + touch every F32
/// value zero-copy, and open + convert a BF16 copy to F32. MB/s = 64 / mean seconds (F32 file; the BF16 file is 32 MB).
///   dotnet run -c Release --project bench/Hone.Bench -- --filter '*FormatsBench*' --job short
/// </summary>
[MemoryDiagnoser]
public class FormatsBench
{
    private const int Tensors = 16;
    private const int Side = 1024;
    private string _dir = "";
    private string _f32 = "";
    private string _bf16 = "";

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "hone-bench-formats-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
        var r = new Random(42);
        var f32 = new SafetensorsWriter();
        var bf16 = new SafetensorsWriter();
        for (var t = 0; t < Tensors; t++)
        {
            var v = new float[Side * Side];
            for (var i = 0; i < v.Length; i++) v[i] = (float)(r.NextDouble() - 0.5);
            f32.Add($"layer.{t:D2}.weight", [Side, Side], v);
            bf16.Add($"layer.{t:D2}.weight", [Side, Side], v, SafetensorsDtype.BF16);
        }
        _f32 = Path.Combine(_dir, "f32.safetensors");
        _bf16 = Path.Combine(_dir, "bf16.safetensors");
        f32.Write(_f32);
        bf16.Write(_bf16);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    /// <summary>Open, validate and sum every F32 value through zero-copy spans.</summary>
    [Benchmark(Baseline = true)]
    public float OpenAndTouchF32ZeroCopy()
    {
        using var f = SafetensorsFile.Open(_f32);
        var sum = 0f;
        foreach (var t in f.Tensors) sum += System.Numerics.Tensors.TensorPrimitives.Sum(f.GetF32Span(t.Name));
        return sum;
    }

    /// <summary>Open, validate and copy every F32 tensor into new arrays.</summary>
    [Benchmark]
    public long OpenAndCopyF32()
    {
        using var f = SafetensorsFile.Open(_f32);
        long n = 0;
        foreach (var t in f.Tensors) n += f.ReadF32(t.Name).Length;
        return n;
    }

    /// <summary>Open, validate and convert every BF16 tensor to F32.</summary>
    [Benchmark]
    public long OpenAndConvertBF16()
    {
        using var f = SafetensorsFile.Open(_bf16);
        long n = 0;
        foreach (var t in f.Tensors) n += f.ReadF32(t.Name).Length;
        return n;
    }
}
