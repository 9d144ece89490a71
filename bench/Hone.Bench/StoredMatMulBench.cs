using BenchmarkDotNet.Attributes;
using Hone.Formats.Gguf;
using Hone.Numerics;

namespace Hone.Bench;

/// <summary>
/// y = x·Wᵀ with W [2048, 768] (an FFN matrix of the 134M Llama) in each stored type beside float32: one row of x
/// (decode, the matrix-vector path, bandwidth-bound) and 64 rows (a prompt block, the decoded-tile path).
/// <c>dotnet run -c Release --project bench/Hone.Bench -- --filter '*StoredMatMul*'</c>
/// </summary>
public class StoredMatMulBench
{
    private const int K = 768, N = 2048;
    private float[] _x = [], _w = [], _y = [];
    private byte[] _stored = [];
    private StoredType _type;

    [Params(1, 64)]
    public int Rows { get; set; }

    [Params("f32", "bf16", "q8_0", "q4_0", "q4_k")]
    public string Type { get; set; } = "f32";

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(3);
        _x = Enumerable.Range(0, Rows * K).Select(_ => rng.NextSingle() - 0.5f).ToArray();
        _w = Enumerable.Range(0, N * K).Select(_ => (rng.NextSingle() - 0.5f) * 0.1f).ToArray();
        _y = new float[Rows * N];
        if (Type == "f32") return;
        _stored = GgufQuantize.FromF32(Enum.Parse<GgmlType>(Type.ToUpperInvariant()), _w);
        _type = Enum.Parse<StoredType>(Type.ToUpperInvariant());
    }

    [Benchmark]
    public void XWt()
    {
        if (Type == "f32") MatMul.XWt(_x, _w, default, _y, Rows, K, N);
        else StoredMatMul.XWt(_x, _stored, _type, default, _y, Rows, K, N);
    }
}
