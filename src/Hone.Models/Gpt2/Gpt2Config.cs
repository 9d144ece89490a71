using System.Globalization;
using System.Text.Json;

namespace Hone.Models.Gpt2;

/// <summary>
/// The shape of a GPT-2 decoder (learned positions, pre-LayerNorm blocks, GELU (tanh) MLP, fused q/k/v, classifier tied
/// to the token embedding), read from a Hugging Face <c>config.json</c> with <see cref="FromHfJson"/>.
/// </summary>
public sealed record Gpt2Config
{
    /// <summary>Width of the residual stream (n_embd).</summary>
    public required int Dim { get; init; }

    /// <summary>Number of blocks (n_layer).</summary>
    public required int Layers { get; init; }

    /// <summary>Number of attention heads (n_head).</summary>
    public required int Heads { get; init; }

    /// <summary>Width of the MLP (n_inner, default 4·n_embd).</summary>
    public required int HiddenDim { get; init; }

    /// <summary>Number of token ids.</summary>
    public required int VocabSize { get; init; }

    /// <summary>Learned positions (n_positions): the longest sequence.</summary>
    public required int MaxSeqLen { get; init; }

    /// <summary>Epsilon inside LayerNorm.</summary>
    public float LayerNormEps { get; init; } = 1e-5f;

    /// <summary>Beginning-of-sequence id (GPT-2's &lt;|endoftext|&gt;, 50256), when known.</summary>
    public int? BosId { get; init; }

    /// <summary>End-of-sequence ids.</summary>
    public IReadOnlyList<int> EosIds { get; init; } = [];

    /// <summary>Width of one head.</summary>
    public int HeadDim => Dim / Heads;

    /// <summary>Checks the invariants the forward pass relies on.</summary>
    /// <exception cref="ModelLoadException">A dimension is out of range or inconsistent.</exception>
    public Gpt2Config Validate(string source)
    {
        void Check(bool ok, string what)
        {
            if (!ok)
            {
                throw new ModelLoadException($"{source}: invalid GPT-2 configuration: {what}. Check config.json.") { FilePath = source };
            }
        }

        const int max = 1 << 22;
        Check(Dim is > 0 and <= max, $"n_embd {Dim} must be in 1..{max}");
        Check(Layers is > 0 and <= 4096, $"n_layer {Layers} must be in 1..4096");
        Check(Heads > 0 && Dim % Heads == 0, $"n_head {Heads} must divide n_embd {Dim}");
        Check(HiddenDim is > 0 and <= max, $"n_inner {HiddenDim} must be in 1..{max}");
        Check(VocabSize is > 0 and <= max, $"vocab_size {VocabSize} must be in 1..{max}");
        Check(MaxSeqLen is > 0 and <= max, $"n_positions {MaxSeqLen} must be in 1..{max}");
        Check(float.IsFinite(LayerNormEps) && LayerNormEps > 0, $"layer_norm_epsilon {LayerNormEps} must be positive");
        return this;
    }

    /// <summary>Parses the text of a GPT-2 <c>config.json</c>.</summary>
    /// <exception cref="ModelLoadException">Invalid JSON, a missing or mistyped key, or a model_type other than "gpt2".</exception>
    public static Gpt2Config FromHfJson(string json, string source = "config.json")
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

            JsonElement? Get(string key) => root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
            ModelLoadException Wrong(string key, string expected) => new($"{source}: \"{key}\" must be {expected}.") { FilePath = source };
            int? Int(string key) => Get(key) is { } v ? v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw Wrong(key, "a 32-bit integer") : null;
            int Required(string key) => Int(key) ?? throw new ModelLoadException($"{source}: required key \"{key}\" is missing.") { FilePath = source };
            string? Str(string key) => Get(key) is { } v ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw Wrong(key, "a string") : null;

            var type = Str("model_type");
            if (type != "gpt2")
            {
                throw new ModelLoadException(
                    $"{source}: model_type \"{type}\" is not GPT-2; the GPT-2 loader knows \"gpt2\" only (Llama-family types load with LlamaModel.Load).") { FilePath = source };
            }

            var act = Str("activation_function") ?? "gelu_new";
            if (act is not ("gelu_new" or "gelu_pytorch_tanh"))
            {
                throw new ModelLoadException($"{source}: activation_function \"{act}\" is not supported; only the tanh GELU (\"gelu_new\") is.") { FilePath = source };
            }

            int dim = Required("n_embd");
            double eps = Get("layer_norm_epsilon") is { } e
                ? e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw Wrong("layer_norm_epsilon", "a number")
                : 1e-5;
            var eos = Int("eos_token_id");
            return new Gpt2Config
            {
                Dim = dim,
                Layers = Required("n_layer"),
                Heads = Required("n_head"),
                HiddenDim = Int("n_inner") ?? 4 * dim,
                VocabSize = Required("vocab_size"),
                MaxSeqLen = Int("n_positions") ?? Int("n_ctx") ?? 1024,
                LayerNormEps = (float)eps,
                BosId = Int("bos_token_id"),
                EosIds = eos is { } id ? [id] : [],
            }.Validate(source);
        }
    }

    /// <summary>A compact one-line description.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"gpt2: n_embd {Dim}, {Layers} layers, {Heads} heads, n_inner {HiddenDim}, vocab {VocabSize}, positions {MaxSeqLen}");
}
