using BenchmarkDotNet.Attributes;
using Hone.Numerics;

namespace Hone.Bench;

/// <summary>
/// The non-matmul kernels beside their naive twins, on the 134M Llama shape (dim 768, 12 heads of 64, FFN 2048):
/// RMSNorm and softmax over a row, SwiGLU over an FFN row, and attention for one decode step over 256 cached
/// positions and for a 64-token prompt block.
/// </summary>
public class NumericsKernelsBench
{
    private const int Dim = 768, Heads = 12, HeadDim = 64, Ffn = 2048, Cache = 256, Block = 64;
    private float[] _x = [], _w = [], _y = [], _gate = [], _up = [], _ffn = [], _logits = [];
    private float[] _q = [], _k = [], _v = [], _probs = [], _out = [], _qBlock = [], _probsBlock = [], _outBlock = [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(7);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => rng.NextSingle() - 0.5f).ToArray();
        (_x, _w, _y) = (R(Dim), R(Dim), new float[Dim]);
        (_gate, _up, _ffn) = (R(Ffn), R(Ffn), new float[Ffn]);
        _logits = R(32000);
        _q = R(Heads * HeadDim);
        _k = R(Cache * Heads * HeadDim);
        _v = R(Cache * Heads * HeadDim);
        _probs = new float[Heads * Cache];
        _out = new float[Heads * HeadDim];
        _qBlock = R(Block * Heads * HeadDim);
        _probsBlock = new float[Block * Heads * Block];
        _outBlock = new float[_qBlock.Length];
    }

    [Benchmark]
    public void RmsNormFast() => RmsNorm.Forward(_x, _w, _y, 1, Dim, 1e-5f);

    [Benchmark]
    public void RmsNormNaive() => RmsNorm.ForwardNaive(_x, _w, _y, 1, Dim, 1e-5f);

    [Benchmark]
    public void SwiGluFast() => Activations.SwiGlu(_gate, _up, _ffn);

    [Benchmark]
    public void SwiGluNaive() => Activations.SwiGluNaive(_gate, _up, _ffn);

    [Benchmark]
    public float CrossEntropyVocab32k() => CrossEntropy.Loss(_logits, 17);

    [Benchmark]
    public void AttentionDecodeFast() => Attention.Forward(_q, _k, _v, _probs, _out, 1, Cache - 1, Heads, Heads, HeadDim, 0.125f);

    [Benchmark]
    public void AttentionDecodeNaive() => Attention.ForwardNaive(_q, _k, _v, default, _probs, _out, 1, Cache - 1, Heads, Heads, HeadDim, 0.125f);

    [Benchmark]
    public void AttentionPromptFast() => Attention.Forward(_qBlock, _k, _v, _probsBlock, _outBlock, Block, 0, Heads, Heads, HeadDim, 0.125f);

    [Benchmark]
    public void AttentionPromptNaive() => Attention.ForwardNaive(_qBlock, _k, _v, default, _probsBlock, _outBlock, Block, 0, Heads, Heads, HeadDim, 0.125f);
}
