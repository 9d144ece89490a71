using Hone.Models.Benchmarks;
using Hone.Models.Llama;

namespace Hone.Bench.Train;

/// <summary>
/// The model shapes the training benchmarks build with random weights (the dimensions of the published configs;
/// weights random, so no download): "134m" is the 134M Llama of <see cref="ModelBenchmark.Llama134M"/> (tied, 110M
/// distinct parameters), "135m" SmolLM-135M (Llama), "0.5b" Qwen2.5-0.5B (q/k/v biases), "1b" Llama-3.2-1B.
/// </summary>
internal static class TrainShapes
{
    public static readonly string[] Names = ["134m", "135m", "0.5b", "1b"];

    public static LlamaConfig Get(string name, int maxSeq) => (name switch
    {
        "134m" => ModelBenchmark.Llama134M,
        "135m" => new LlamaConfig
        {
            ModelType = "llama", Dim = 576, HiddenDim = 1536, Layers = 30, Heads = 9, KvHeads = 3, HeadDim = 64,
            VocabSize = 49152, MaxSeqLen = 2048, TiedEmbeddings = true, RopeTheta = 100000f,
        },
        "0.5b" => new LlamaConfig
        {
            ModelType = "qwen2", Dim = 896, HiddenDim = 4864, Layers = 24, Heads = 14, KvHeads = 2, HeadDim = 64,
            VocabSize = 151936, MaxSeqLen = 32768, TiedEmbeddings = true, QkvBias = true, RmsEps = 1e-6f, RopeTheta = 1000000f,
        },
        "1b" => new LlamaConfig
        {
            ModelType = "llama", Dim = 2048, HiddenDim = 8192, Layers = 16, Heads = 32, KvHeads = 8, HeadDim = 64,
            VocabSize = 128256, MaxSeqLen = 131072, TiedEmbeddings = true, RopeTheta = 500000f,
        },
        _ => throw new ArgumentException($"unknown shape {name}; known: {string.Join(", ", Names)}"),
    }) with { MaxSeqLen = maxSeq };

    /// <summary>What the shape is, for tables.</summary>
    public static string Describe(string name) => name switch
    {
        "134m" => "Llama 134M (dim 768, 12 layers, vocab 32000, tied)",
        "135m" => "SmolLM-135M (Llama, dim 576, 30 layers, GQA 9/3, vocab 49152)",
        "0.5b" => "Qwen2.5-0.5B (dim 896, 24 layers, GQA 14/2, vocab 151936, qkv bias)",
        "1b" => "Llama-3.2-1B (dim 2048, 16 layers, GQA 32/8, vocab 128256)",
        _ => name,
    };

    /// <summary>Parameters doing a multiply-add per token (every linear weight and the classifier; not the embedding
    /// lookup), and all distinct parameters.</summary>
    public static (long MatMul, long Distinct) Parameters(LlamaConfig c)
    {
        long layer = ((long)c.Dim * c.QDim * 2) + ((long)c.Dim * c.KvDim * 2) + (3L * c.Dim * c.HiddenDim);
        long norms = (2L * c.Dim) + (c.QkNorm ? 2L * c.HeadDim : 0) + (c.QkvBias ? c.QDim + (2L * c.KvDim) : 0);
        long classifier = (long)c.VocabSize * c.Dim;
        long matmul = (c.Layers * layer) + classifier;
        long distinct = (c.Layers * (layer + norms)) + c.Dim + classifier + (c.TiedEmbeddings ? 0 : classifier);
        return (matmul, distinct);
    }

    /// <summary>Attention score and value FLOPs per token of a training step (forward 2·2·qDim·T/2 per layer for a
    /// causal sequence of T, backward twice that).</summary>
    public static double AttentionFlopsPerToken(LlamaConfig c, int seq) => 3.0 * 2.0 * c.Layers * c.QDim * seq;
}
