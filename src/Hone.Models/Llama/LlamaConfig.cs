using System.Globalization;
using System.Text.Json;

namespace Hone.Models.Llama;

/// <summary>How rotary position embeddings pair the dimensions of a head.</summary>
public enum RopeLayout
{
    /// <summary>Adjacent pairs (x[2i], x[2i+1]) share frequency i: llama2.c, Meta's original weights, GGUF.</summary>
    Interleaved,

    /// <summary>Halves (x[i], x[i + d/2]) share frequency i ("rotate_half"): Hugging Face transformers.</summary>
    HalfRotation,
}

/// <summary>Llama-3 style frequency-dependent RoPE scaling (<c>rope_scaling.rope_type = "llama3"</c>).</summary>
/// <param name="Factor">Divisor for low frequencies.</param>
/// <param name="LowFreqFactor">Wavelengths longer than original/low are scaled fully.</param>
/// <param name="HighFreqFactor">Wavelengths shorter than original/high are kept.</param>
/// <param name="OriginalMaxPositions">The context length the model was pre-trained with.</param>
public sealed record Llama3RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositions);

/// <summary>
/// The shape and conventions of a Llama-family decoder (Llama 2/3, Mistral, Qwen2/2.5, Qwen3, SmolLM, llama2.c).
/// Build it with <see cref="FromHfJson"/>, <see cref="FromHfFolder"/> or from a llama2.c header; <see cref="Validate"/>
/// checks the invariants the forward pass relies on.
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>The architecture name as the source gave it (e.g. "llama", "qwen2", "llama2.c").</summary>
    public string ModelType { get; init; } = "llama";

    /// <summary>Width of the residual stream (hidden_size).</summary>
    public required int Dim { get; init; }

    /// <summary>Width of the feed-forward layer (intermediate_size).</summary>
    public required int HiddenDim { get; init; }

    /// <summary>Number of decoder layers.</summary>
    public required int Layers { get; init; }

    /// <summary>Number of query heads.</summary>
    public required int Heads { get; init; }

    /// <summary>Number of key/value heads (grouped-query attention when fewer than <see cref="Heads"/>).</summary>
    public required int KvHeads { get; init; }

    /// <summary>Width of one head (given, or Dim / Heads).</summary>
    public required int HeadDim { get; init; }

    /// <summary>Number of token ids.</summary>
    public required int VocabSize { get; init; }

    /// <summary>Longest sequence (positions) the model supports.</summary>
    public required int MaxSeqLen { get; init; }

    /// <summary>Epsilon inside RMSNorm.</summary>
    public float RmsEps { get; init; } = 1e-5f;

    /// <summary>RoPE base frequency.</summary>
    public float RopeTheta { get; init; } = 10000f;

    /// <summary>How RoPE pairs dimensions; it must match how the Q/K weight rows are ordered.</summary>
    public RopeLayout RopeLayout { get; init; } = RopeLayout.HalfRotation;

    /// <summary>Llama-3 RoPE scaling, or null for none.</summary>
    public Llama3RopeScaling? RopeScaling { get; init; }

    /// <summary>Whether the classifier reuses the token embedding matrix.</summary>
    public bool TiedEmbeddings { get; init; }

    /// <summary>Whether q/k/v projections have biases (Qwen2).</summary>
    public bool QkvBias { get; init; }

    /// <summary>Whether queries and keys get a per-head RMSNorm before RoPE (Qwen3).</summary>
    public bool QkNorm { get; init; }

    /// <summary>
    /// Sliding-window attention (Mistral's <c>sliding_window</c>): each token sees at most this many positions, itself
    /// included; null for full causal attention.
    /// </summary>
    public int? SlidingWindow { get; init; }

    /// <summary>Beginning-of-sequence id, when known.</summary>
    public int? BosId { get; init; }

    /// <summary>End-of-sequence ids (several for some chat models).</summary>
    public IReadOnlyList<int> EosIds { get; init; } = [];

    /// <summary>Width of all query heads together.</summary>
    public int QDim => Heads * HeadDim;

    /// <summary>Width of all key (or value) heads together.</summary>
    public int KvDim => KvHeads * HeadDim;

    /// <summary>Model types <see cref="FromHfJson"/> understands.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["llama", "mistral", "qwen2", "qwen3", "smollm", "smollm2", "smollm3"];

    /// <summary>Largest accepted dimension of any kind, a guard against hostile headers.</summary>
    public const int MaxDimension = 1 << 22;

    /// <summary>Checks the invariants the forward pass relies on.</summary>
    /// <exception cref="ModelLoadException">A dimension is out of range or inconsistent.</exception>
    public LlamaConfig Validate(string source)
    {
        void Check(bool ok, string what)
        {
            if (!ok)
            {
                throw new ModelLoadException($"{source}: invalid model configuration: {what}. Check the config.json or checkpoint header.") { FilePath = source };
            }
        }

        Check(Dim is > 0 and <= MaxDimension, $"dim {Dim} must be in 1..{MaxDimension}");
        Check(HiddenDim is > 0 and <= MaxDimension, $"hidden_dim {HiddenDim} must be in 1..{MaxDimension}");
        Check(Layers is > 0 and <= 4096, $"n_layers {Layers} must be in 1..4096");
        Check(Heads is > 0 and <= 4096, $"n_heads {Heads} must be in 1..4096");
        Check(KvHeads > 0 && KvHeads <= Heads && Heads % KvHeads == 0, $"n_kv_heads {KvHeads} must divide n_heads {Heads}");
        Check(HeadDim is > 0 and <= 4096 && HeadDim % 2 == 0, $"head_dim {HeadDim} must be even and in 2..4096");
        Check(VocabSize is > 0 and <= MaxDimension, $"vocab_size {VocabSize} must be in 1..{MaxDimension}");
        Check(MaxSeqLen is > 0 and <= MaxDimension, $"max sequence length {MaxSeqLen} must be in 1..{MaxDimension}");
        Check(float.IsFinite(RmsEps) && RmsEps > 0, $"rms_norm_eps {RmsEps} must be positive");
        Check(float.IsFinite(RopeTheta) && RopeTheta > 1, $"rope_theta {RopeTheta} must be > 1");
        Check(SlidingWindow is null or > 0, $"sliding_window {SlidingWindow} must be positive");
        Check(BosId is null || (BosId >= 0 && BosId < VocabSize), $"bos_token_id {BosId} is outside the vocabulary");
        return this;
    }

    /// <summary>Reads <c>config.json</c> from a Hugging Face model folder.</summary>
    /// <exception cref="ModelLoadException">The file is missing or invalid, or the architecture is unknown.</exception>
    public static LlamaConfig FromHfFolder(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"{folder}: no config.json in this folder; a Hugging Face model folder needs config.json beside its .safetensors files.") { FilePath = folder };
        }

        var info = new FileInfo(path);
        if (info.Length > 16 << 20)
        {
            throw new ModelLoadException($"{path}: config.json is {info.Length} bytes; at most 16 MiB is accepted.") { FilePath = path };
        }

        return FromHfJson(File.ReadAllText(path), path);
    }

    /// <summary>Parses the text of a Hugging Face <c>config.json</c>.</summary>
    /// <param name="json">The file's text.</param>
    /// <param name="source">Where it came from, for messages.</param>
    /// <exception cref="ModelLoadException">The JSON is invalid, a key is missing or wrong, or the architecture is unknown.</exception>
    public static LlamaConfig FromHfJson(string json, string source = "config.json")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{source}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e) { FilePath = source };
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException($"{source}: config.json must hold a JSON object.") { FilePath = source };
            }

            var reader = new HfConfigReader(root, source);
            var modelType = reader.String("model_type") ?? throw new ModelLoadException(
                $"{source}: config.json has no \"model_type\"; Hone supports {string.Join(", ", SupportedModelTypes)}.") { FilePath = source };
            if (modelType == "gpt2")
            {
                throw new ModelLoadException(
                    $"{source}: model_type \"gpt2\" is GPT-2, which is not supported; Hone loads Llama-family models ({string.Join(", ", SupportedModelTypes)}).") { FilePath = source };
            }

            if (!SupportedModelTypes.Contains(modelType))
            {
                throw new ModelLoadException(
                    $"{source}: model_type \"{modelType}\" is not supported; the Llama-family loader knows {string.Join(", ", SupportedModelTypes)}.") { FilePath = source };
            }

            var act = reader.String("hidden_act") ?? reader.String("hidden_activation") ?? "silu";
            if (act != "silu")
            {
                throw new ModelLoadException($"{source}: hidden_act \"{act}\" is not supported for {modelType}; only \"silu\" (SwiGLU) is.") { FilePath = source };
            }

            int dim = reader.RequiredInt("hidden_size");
            int heads = reader.RequiredInt("num_attention_heads");
            if (heads <= 0 || dim % heads != 0 && reader.Int("head_dim") is null)
            {
                throw new ModelLoadException($"{source}: hidden_size {dim} is not a multiple of num_attention_heads {heads} and no head_dim is given.") { FilePath = source };
            }

            bool qwen2 = modelType == "qwen2";
            bool qwen3 = modelType == "qwen3";
            var config = new LlamaConfig
            {
                ModelType = modelType,
                Dim = dim,
                HiddenDim = reader.RequiredInt("intermediate_size"),
                Layers = reader.RequiredInt("num_hidden_layers"),
                Heads = heads,
                KvHeads = reader.Int("num_key_value_heads") ?? heads,
                HeadDim = reader.Int("head_dim") ?? dim / heads,
                VocabSize = reader.RequiredInt("vocab_size"),
                MaxSeqLen = reader.Int("max_position_embeddings") ?? 2048,
                RmsEps = (float)(reader.Double("rms_norm_eps") ?? 1e-6),
                RopeTheta = (float)(reader.Double("rope_theta") ?? 10000.0),
                RopeLayout = RopeLayout.HalfRotation,
                RopeScaling = ReadRopeScaling(root, source),
                TiedEmbeddings = reader.Bool("tie_word_embeddings") ?? false,
                QkvBias = qwen2 || (reader.Bool("attention_bias") ?? false),
                QkNorm = qwen3,
                SlidingWindow = modelType == "mistral" ? reader.Int("sliding_window") : null,
                BosId = reader.IntOrFirst("bos_token_id"),
                EosIds = reader.IntList("eos_token_id"),
            };
            return config.Validate(source);
        }
    }

    private static Llama3RopeScaling? ReadRopeScaling(JsonElement root, string source)
    {
        if (!root.TryGetProperty("rope_scaling", out var rs) || rs.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (rs.ValueKind != JsonValueKind.Object)
        {
            throw new ModelLoadException($"{source}: \"rope_scaling\" must be an object or null.") { FilePath = source };
        }

        var r = new HfConfigReader(rs, source + " rope_scaling");
        var type = r.String("rope_type") ?? r.String("type");
        if (type == "default")
        {
            return null;
        }

        if (type != "llama3")
        {
            throw new ModelLoadException($"{source}: rope_scaling type \"{type}\" is not supported; only \"llama3\" (or none) is.") { FilePath = source };
        }

        var scaling = new Llama3RopeScaling(
            r.Double("factor") ?? 8.0,
            r.Double("low_freq_factor") ?? 1.0,
            r.Double("high_freq_factor") ?? 4.0,
            r.Int("original_max_position_embeddings") ?? 8192);
        if (!(scaling.Factor > 0) || !(scaling.LowFreqFactor > 0) || !(scaling.HighFreqFactor > scaling.LowFreqFactor) || scaling.OriginalMaxPositions <= 0)
        {
            throw new ModelLoadException($"{source}: rope_scaling {scaling} is inconsistent: factors must be positive and high_freq_factor > low_freq_factor.") { FilePath = source };
        }

        return scaling;
    }

    /// <summary>Typed access to config.json keys with messages naming the key.</summary>
    private readonly struct HfConfigReader(JsonElement obj, string source)
    {
        private JsonElement? Get(string key) =>
            obj.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        private ModelLoadException Wrong(string key, string expected, JsonElement v) =>
            new($"{source}: \"{key}\" must be {expected}, not {v.ValueKind} {Truncate(v.GetRawText())}.") { FilePath = source };

        private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";

        public string? String(string key) => Get(key) is { } v
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw Wrong(key, "a string", v)
            : null;

        public int? Int(string key) => Get(key) is { } v
            ? v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw Wrong(key, "a 32-bit integer", v)
            : null;

        public int RequiredInt(string key) => Int(key) ?? throw new ModelLoadException(
            $"{source}: required key \"{key}\" is missing.") { FilePath = source };

        public double? Double(string key) => Get(key) is { } v
            ? v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw Wrong(key, "a number", v)
            : null;

        public bool? Bool(string key) => Get(key) is { } v
            ? v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw Wrong(key, "true or false", v)
            : null;

        public int? IntOrFirst(string key) => Get(key) is { ValueKind: JsonValueKind.Array } v
            ? v.GetArrayLength() == 0 ? null : IntOf(key, v[0])
            : Int(key);

        public IReadOnlyList<int> IntList(string key)
        {
            if (Get(key) is not { } v)
            {
                return [];
            }

            if (v.ValueKind != JsonValueKind.Array)
            {
                return [IntOf(key, v)];
            }

            var list = new List<int>();
            foreach (var item in v.EnumerateArray())
            {
                list.Add(IntOf(key, item));
            }

            return list;
        }

        private int IntOf(string key, JsonElement v) =>
            v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw Wrong(key, "an integer or a list of integers", v);
    }

    /// <summary>
    /// The RoPE cos/sin tables [positions, head_dim/2] of this model, the one builder inference and training share:
    /// θ_i = rope_theta^(−2i/head_dim) (Hone.Numerics' <see cref="Hone.Numerics.Rope"/>), Llama-3 scaled when configured.
    /// </summary>
    internal void RopeTables(int positions, Span<float> cos, Span<float> sin)
    {
        var invFreq = new float[HeadDim / 2];
        Hone.Numerics.Rope.InverseFrequencies(invFreq, HeadDim, RopeTheta);
        if (RopeScaling is { } s)
        {
            Hone.Numerics.Rope.ScaleLlama3(invFreq, s.Factor, s.LowFreqFactor, s.HighFreqFactor, s.OriginalMaxPositions);
        }

        Hone.Numerics.Rope.Tables(invFreq, cos, sin, positions);
    }

    /// <summary>A compact one-line description.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{ModelType}: dim {Dim}, ffn {HiddenDim}, {Layers} layers, {Heads} heads ({KvHeads} kv, head_dim {HeadDim}), vocab {VocabSize}, context {MaxSeqLen}, rope {RopeLayout} θ={RopeTheta}");
}
