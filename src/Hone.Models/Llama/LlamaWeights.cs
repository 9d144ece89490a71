using Hone.Numerics;

namespace Hone.Models.Llama;

/// <summary>The weights of one decoder layer, as views into the model's arena. Matrices are [out, in] row-major.</summary>
public sealed class LlamaLayerWeights
{
    /// <summary>RMSNorm weight before attention [dim].</summary>
    public required Tensor AttnNorm { get; init; }

    /// <summary>Query projection [heads·head_dim, dim].</summary>
    public required Tensor Wq { get; init; }

    /// <summary>Key projection [kv_heads·head_dim, dim].</summary>
    public required Tensor Wk { get; init; }

    /// <summary>Value projection [kv_heads·head_dim, dim].</summary>
    public required Tensor Wv { get; init; }

    /// <summary>Output projection [dim, heads·head_dim].</summary>
    public required Tensor Wo { get; init; }

    /// <summary>Query bias [heads·head_dim] (Qwen2), when the config has q/k/v biases.</summary>
    public Tensor? Bq { get; init; }

    /// <summary>Key bias [kv_heads·head_dim], when the config has q/k/v biases.</summary>
    public Tensor? Bk { get; init; }

    /// <summary>Value bias [kv_heads·head_dim], when the config has q/k/v biases.</summary>
    public Tensor? Bv { get; init; }

    /// <summary>Per-head query RMSNorm weight [head_dim] (Qwen3).</summary>
    public Tensor? QNorm { get; init; }

    /// <summary>Per-head key RMSNorm weight [head_dim] (Qwen3).</summary>
    public Tensor? KNorm { get; init; }

    /// <summary>RMSNorm weight before the feed-forward layer [dim].</summary>
    public required Tensor FfnNorm { get; init; }

    /// <summary>Gate projection (llama2.c w1) [hidden, dim].</summary>
    public required Tensor WGate { get; init; }

    /// <summary>Up projection (llama2.c w3) [hidden, dim].</summary>
    public required Tensor WUp { get; init; }

    /// <summary>Down projection (llama2.c w2) [dim, hidden].</summary>
    public required Tensor WDown { get; init; }

    /// <summary>
    /// The matrices kept in their stored type (a model loaded with <see cref="LlamaModel.LoadForInference"/> from a
    /// BF16/Q8_0/Q4_0 GGUF), or null. A matrix held here has no float32 tensor: its <see cref="Tensor"/> above is
    /// <c>default</c> and must not be read.
    /// </summary>
    public StoredLayer? Stored { get; init; }
}

/// <summary>
/// All weights of a Llama-family model in one 64-byte-aligned <see cref="Arena"/> (float32). Tensor names follow the
/// Hugging Face layout ("model.layers.3.self_attn.q_proj.weight"), whatever file they came from.
/// </summary>
public sealed class LlamaWeights : IDisposable
{
    private LlamaWeights(Arena arena, LlamaConfig config, LlamaLayerWeights[] layers, Tensor embed, Tensor norm, Tensor classifier,
        IReadOnlyDictionary<string, StoredMatrix> stored)
    {
        Stored = stored;
        Arena = arena;
        Config = config;
        Layers = layers;
        TokenEmbedding = embed;
        FinalNorm = norm;
        Classifier = classifier;
    }

    /// <summary>The arena holding every weight.</summary>
    public Arena Arena { get; }

    /// <summary>The configuration the shapes follow.</summary>
    public LlamaConfig Config { get; }

    /// <summary>Per-layer weights.</summary>
    public IReadOnlyList<LlamaLayerWeights> Layers { get; }

    /// <summary>Token embedding [vocab, dim].</summary>
    public Tensor TokenEmbedding { get; }

    /// <summary>Final RMSNorm weight [dim].</summary>
    public Tensor FinalNorm { get; }

    /// <summary>Classifier [vocab, dim]; the same tensor as <see cref="TokenEmbedding"/> when embeddings are tied.</summary>
    public Tensor Classifier { get; }

    /// <summary>
    /// Matrices kept in their stored type instead of the float32 arena, by HF name (empty for a float32 model). Their
    /// <see cref="Tensor"/>s are <c>default</c>: such weights serve inference only (training, packing and export need
    /// <see cref="LlamaModel.Load"/>, which expands every tensor to float32).
    /// </summary>
    public IReadOnlyDictionary<string, StoredMatrix> Stored { get; }

    /// <summary>Whether any matrix is held in a stored type (<see cref="Stored"/>).</summary>
    public bool HasStored => Stored.Count > 0;

    /// <summary>The token embedding in its stored type, or null when it is float32 (<see cref="TokenEmbedding"/>).</summary>
    public StoredMatrix? StoredEmbedding => Stored.GetValueOrDefault("model.embed_tokens.weight");

    /// <summary>The classifier in its stored type, or null when it is float32 (<see cref="Classifier"/>).</summary>
    public StoredMatrix? StoredClassifier => Stored.GetValueOrDefault(Config.TiedEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight");

    /// <summary>Number of parameters (a tied classifier counted once).</summary>
    public long ParameterCount
    {
        get
        {
            long n = 0;
            foreach (var t in Arena.Tensors.Values)
            {
                n += t.Length;
            }

            foreach (var m in Stored.Values)
            {
                n += (long)m.Rows * m.Cols;
            }

            return n;
        }
    }

    /// <summary>HF name of a per-layer tensor.</summary>
    public static string LayerName(int layer, string suffix) => $"model.layers.{layer}.{suffix}";

    /// <summary>The (name, shape) of every tensor the configuration needs, in a fixed order.</summary>
    public static IReadOnlyList<(string Name, int[] Shape)> Manifest(LlamaConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var list = new List<(string, int[])> { ("model.embed_tokens.weight", [c.VocabSize, c.Dim]) };
        for (int l = 0; l < c.Layers; l++)
        {
            list.Add((LayerName(l, "input_layernorm.weight"), [c.Dim]));
            list.Add((LayerName(l, "self_attn.q_proj.weight"), [c.QDim, c.Dim]));
            list.Add((LayerName(l, "self_attn.k_proj.weight"), [c.KvDim, c.Dim]));
            list.Add((LayerName(l, "self_attn.v_proj.weight"), [c.KvDim, c.Dim]));
            list.Add((LayerName(l, "self_attn.o_proj.weight"), [c.Dim, c.QDim]));
            if (c.QkvBias)
            {
                list.Add((LayerName(l, "self_attn.q_proj.bias"), [c.QDim]));
                list.Add((LayerName(l, "self_attn.k_proj.bias"), [c.KvDim]));
                list.Add((LayerName(l, "self_attn.v_proj.bias"), [c.KvDim]));
            }

            if (c.QkNorm)
            {
                list.Add((LayerName(l, "self_attn.q_norm.weight"), [c.HeadDim]));
                list.Add((LayerName(l, "self_attn.k_norm.weight"), [c.HeadDim]));
            }

            list.Add((LayerName(l, "post_attention_layernorm.weight"), [c.Dim]));
            list.Add((LayerName(l, "mlp.gate_proj.weight"), [c.HiddenDim, c.Dim]));
            list.Add((LayerName(l, "mlp.up_proj.weight"), [c.HiddenDim, c.Dim]));
            list.Add((LayerName(l, "mlp.down_proj.weight"), [c.Dim, c.HiddenDim]));
        }

        list.Add(("model.norm.weight", [c.Dim]));
        if (!c.TiedEmbeddings)
        {
            list.Add(("lm_head.weight", [c.VocabSize, c.Dim]));
        }

        return list;
    }

    /// <summary>Bytes of the float32 arena <paramref name="config"/> needs (<see cref="long.MaxValue"/> when that overflows).</summary>
    public static long ArenaBytes(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return ModelMemory.ArenaBytes(Manifest(config).Select(m => ModelMemory.Elements(m.Shape)));
    }

    /// <summary>
    /// Carves a zeroed arena for <paramref name="config"/> and lets <paramref name="fill"/> write each tensor
    /// (called once per manifest entry, in manifest order). The arena is first checked against the memory this process
    /// may use (<see cref="ModelMemory.Check"/>); <paramref name="source"/> names the model in that error.
    /// </summary>
    /// <exception cref="ModelLoadException">The weights would not fit in memory.</exception>
    public static LlamaWeights Create(LlamaConfig config, Action<string, Tensor>? fill = null, string? source = null) =>
        Create(config, fill, new Dictionary<string, StoredMatrix>(), source);

    /// <summary>
    /// As <see cref="Create(LlamaConfig, Action{string, Tensor}?, string?)"/>, with the matrices of <paramref name="stored"/>
    /// (by HF name, shapes as the manifest's) kept in their stored type: they get no float32 tensor and no fill call.
    /// </summary>
    /// <exception cref="ModelLoadException">The weights would not fit in memory.</exception>
    public static LlamaWeights Create(LlamaConfig config, Action<string, Tensor>? fill, IReadOnlyDictionary<string, StoredMatrix> stored, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(stored);
        var manifest = Manifest(config).Where(m => !stored.ContainsKey(m.Name)).ToList();
        long storedBytes = stored.Values.Sum(m => (long)m.Bytes.Length);
        ModelMemory.Check(
            ModelMemory.ArenaBytes(manifest.Select(m => ModelMemory.Elements(m.Shape))) is var f32 && f32 < long.MaxValue - storedBytes ? f32 + storedBytes : long.MaxValue,
            config.Describe(), source ?? config.ModelType);
        var lengths = manifest.Select(m => m.Shape.Aggregate(1L, (a, b) => checked(a * b))).ToArray();
        var arena = new Arena(Math.Max(1, Arena.FloatsFor(lengths)));
        try
        {
            foreach (var (name, shape) in manifest)
            {
                var t = arena.Allocate(name, shape);
                fill?.Invoke(name, t);
            }

            return FromArena(arena, config, stored);
        }
        catch
        {
            arena.Dispose();
            throw;
        }
    }

    private static LlamaWeights FromArena(Arena a, LlamaConfig c, IReadOnlyDictionary<string, StoredMatrix> stored)
    {
        var layers = new LlamaLayerWeights[c.Layers];
        for (int l = 0; l < c.Layers; l++)
        {
            Tensor T(string suffix) => stored.ContainsKey(LayerName(l, suffix)) ? default : a[LayerName(l, suffix)];
            StoredMatrix? S(string suffix) => stored.GetValueOrDefault(LayerName(l, suffix));
            layers[l] = new LlamaLayerWeights
            {
                AttnNorm = T("input_layernorm.weight"),
                Wq = T("self_attn.q_proj.weight"),
                Wk = T("self_attn.k_proj.weight"),
                Wv = T("self_attn.v_proj.weight"),
                Wo = T("self_attn.o_proj.weight"),
                Bq = c.QkvBias ? T("self_attn.q_proj.bias") : null,
                Bk = c.QkvBias ? T("self_attn.k_proj.bias") : null,
                Bv = c.QkvBias ? T("self_attn.v_proj.bias") : null,
                QNorm = c.QkNorm ? T("self_attn.q_norm.weight") : null,
                KNorm = c.QkNorm ? T("self_attn.k_norm.weight") : null,
                FfnNorm = T("post_attention_layernorm.weight"),
                WGate = T("mlp.gate_proj.weight"),
                WUp = T("mlp.up_proj.weight"),
                WDown = T("mlp.down_proj.weight"),
                Stored = stored.Count == 0 ? null : new StoredLayer(
                    S("self_attn.q_proj.weight"), S("self_attn.k_proj.weight"), S("self_attn.v_proj.weight"), S("self_attn.o_proj.weight"),
                    S("mlp.gate_proj.weight"), S("mlp.up_proj.weight"), S("mlp.down_proj.weight")),
            };
        }

        Tensor Named(string name) => stored.ContainsKey(name) ? default : a[name];
        var embed = Named("model.embed_tokens.weight");
        return new LlamaWeights(a, c, layers, embed, a["model.norm.weight"], c.TiedEmbeddings ? embed : Named("lm_head.weight"), stored);
    }

    /// <summary>Frees the arena.</summary>
    public void Dispose() => Arena.Dispose();
}
