using Hone.Models.Llama;

namespace Hone.Reference.Tests;

/// <summary>
/// Small-shape configurations of the architectures Hone trains, each with the features that define it. Together they
/// cover every option of <see cref="LlamaConfig"/> that changes the computation: grouped-query attention (KvHeads &lt;
/// Heads) and MHA, both RoPE layouts, RoPE θ, Llama-3 RoPE scaling (all three frequency bands), q/k/v biases, per-head
/// q/k RMSNorm with a head width other than Dim/Heads, sliding-window attention shorter than the sequences, tied and
/// untied classifiers, and RMSNorm ε. (BosId, EosIds, MaxSeqLen and ModelType do not enter the computation.)
/// Not in Hone, so not here: RoPE scaling other than "llama3" (linear, dynamic, YaRN: the config reader refuses them),
/// a bias on o_proj or on the MLP (Llama's attention_bias / mlp_bias; Hone's QkvBias covers q/k/v only, Qwen2's
/// layout), and per-layer sliding windows (Qwen2's max_window_layers, Mistral's window applies to every layer).
/// </summary>
internal static class Architectures
{
    public static IReadOnlyList<string> Names { get; } = ["llama2", "llama3", "qwen2", "qwen3", "mistral", "smollm"];

    /// <summary>Vocabulary of every configuration (the chat tokenizer's ids fit in it; the rest are never seen).</summary>
    public const int Vocab = 64;

    public static LlamaConfig Config(string name) => name switch
    {
        // Llama 2: multi-head attention, θ = 10⁴, Meta's interleaved RoPE pairs (as llama2.c and GGUF), untied classifier.
        "llama2" => Base() with { ModelType = "llama", KvHeads = 4, RopeTheta = 10_000, RopeLayout = RopeLayout.Interleaved, RmsEps = 1e-5f },

        // Llama 3: GQA (2 query heads per key/value head), θ = 5·10⁵, rope_scaling "llama3"; with head_dim 8 the
        // wavelengths are 6.3, 167, 4443 and 118k, so against original_max_position_embeddings 256 (bands 64 and 256)
        // the first is kept, the second smoothed and the last two divided by the factor.
        "llama3" => Base() with
        {
            ModelType = "llama", Heads = 2, KvHeads = 1, HeadDim = 8, RopeTheta = 500_000, RmsEps = 1e-5f,
            RopeScaling = new Llama3RopeScaling(8, 1, 4, 256),
        },

        // Qwen2: biases on q/k/v, GQA, θ = 10⁶, tied classifier (as Qwen2-0.5B).
        "qwen2" => Base() with { ModelType = "qwen2", KvHeads = 2, QkvBias = true, TiedEmbeddings = true, RopeTheta = 1_000_000, RmsEps = 1e-6f },

        // Qwen3: per-head RMSNorm of q and k before RoPE, head_dim 6 ≠ dim/heads (q is 24 wide, the residual 16), tied.
        "qwen3" => Base() with { ModelType = "qwen3", KvHeads = 2, HeadDim = 6, QkNorm = true, TiedEmbeddings = true, RopeTheta = 1_000_000, RmsEps = 1e-6f },

        // Mistral: GQA with one key/value head and a sliding window of 5, shorter than every sequence of the tests.
        "mistral" => Base() with { ModelType = "mistral", KvHeads = 1, SlidingWindow = 5, RopeTheta = 10_000, RmsEps = 1e-5f },

        // SmolLM2-shaped: 6 heads over 2 key/value heads (as 9 over 3), narrow heads, tied embeddings, θ = 10⁵.
        "smollm" => Base() with
        {
            ModelType = "llama", Dim = 24, HiddenDim = 40, Heads = 6, KvHeads = 2, HeadDim = 4, TiedEmbeddings = true, RopeTheta = 100_000, RmsEps = 1e-5f,
        },
        _ => throw new ArgumentException($"Unknown architecture {name}.", nameof(name)),
    };

    private static LlamaConfig Base() => new()
    {
        Dim = 16, HiddenDim = 32, Layers = 2, Heads = 4, KvHeads = 4, HeadDim = 4, VocabSize = Vocab, MaxSeqLen = 64,
        RopeLayout = RopeLayout.HalfRotation,
    };
}
