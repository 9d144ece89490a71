using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Formats.Gguf;
using Hone.Formats.Safetensors;
using Hone.Models.Chat;
using Hone.Models.Llama;

namespace Hone.Training.Export;

/// <summary>
/// Writes weights as a Hugging Face model folder: config.json (the base's, with torch_dtype float32, or one built from
/// the configuration for a llama2.c or GGUF base), model.safetensors (F32, Q/K rows in rotate-half order) and the
/// base's tokenizer files.
/// </summary>
public static class HfFolderExport
{
    /// <summary>Tokenizer-side files copied from a Hugging Face base folder when present.</summary>
    public static IReadOnlyList<string> TokenizerFiles { get; } =
        ["tokenizer.json", "tokenizer_config.json", "tokenizer.model", "tokenizer.bin", "special_tokens_map.json", "chat_template.jinja", "generation_config.json"];

    /// <summary>Writes into <paramref name="folder"/> (which exists and is empty); returns notes for the user.</summary>
    public static List<string> Write(LlamaWeights weights, string baseModelPath, string? tokenizerPath, string folder)
    {
        WriteModel(weights, baseModelPath, folder);
        var notes = new List<string>();
        CopyTokenizer(baseModelPath, tokenizerPath, folder, notes);
        return notes;
    }

    /// <summary>
    /// Writes the model part of the folder into <paramref name="folder"/>: config.json and model.safetensors (the
    /// tokenizer side is <see cref="Write"/>'s, or <see cref="TokenizerExport"/>'s for a trained run).
    /// </summary>
    public static void WriteModel(LlamaWeights weights, string baseModelPath, string folder)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var c = weights.Config;
        File.WriteAllText(Path.Combine(folder, "config.json"), ConfigJson(c, baseModelPath).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        foreach (var (name, shape) in LlamaWeights.Manifest(c))
        {
            writer.Add(name, [.. shape.Select(d => (long)d)], InHfRowOrder(c, name, weights.Arena[name].Span));
        }

        writer.Write(Path.Combine(folder, "model.safetensors"));
    }

    private static void CopyTokenizer(string baseModelPath, string? tokenizerPath, string folder, List<string> notes)
    {
        if (tokenizerPath is not null)
        {
            File.Copy(tokenizerPath, Path.Combine(folder, TokenizerFileName(tokenizerPath)));
        }
        else if (Directory.Exists(baseModelPath))
        {
            foreach (var f in TokenizerFiles)
            {
                var src = Path.Combine(baseModelPath, f);
                if (File.Exists(src)) File.Copy(src, Path.Combine(folder, f));
            }
        }
        else if (!baseModelPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            var tok = Directory.Exists(baseModelPath) ? baseModelPath : ModelPaths.FindTokenizer(baseModelPath);
            File.Copy(tok, Path.Combine(folder, TokenizerFileName(tok)));
        }
        else
        {
            notes.Add($"The base is a GGUF file; its tokenizer lives in its metadata. Use --tokenizer {baseModelPath} with the merged folder, or export --format gguf.");
        }
    }

    /// <summary>The file name a tokenizer file gets in the folder (so TokenizerLoader finds it).</summary>
    internal static string TokenizerFileName(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".json" => "tokenizer.json",
        ".model" => "tokenizer.model",
        _ => "tokenizer.bin",
    };

    /// <summary>
    /// A tensor in Hugging Face row order: an interleaved-layout model (llama2.c, GGUF) has its Q and K rows (weights and
    /// biases) permuted back to rotate-half order, which LoadHf reads with <see cref="RopeLayout.HalfRotation"/>.
    /// </summary>
    public static float[] InHfRowOrder(LlamaConfig c, string name, ReadOnlySpan<float> values)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(name);
        int heads = QkHeads(c, name);
        if (c.RopeLayout != RopeLayout.Interleaved || heads == 0) return values.ToArray();
        var dst = new float[values.Length];
        LlamaGguf.PermuteGgufToHf(values, dst, heads, name.EndsWith(".bias", StringComparison.Ordinal) ? 1 : c.Dim);
        return dst;
    }

    /// <summary>Heads of a Q (query heads) or K (key/value heads) projection tensor; 0 for any other tensor.</summary>
    internal static int QkHeads(LlamaConfig c, string name) =>
        name.EndsWith(".self_attn.q_proj.weight", StringComparison.Ordinal) || name.EndsWith(".self_attn.q_proj.bias", StringComparison.Ordinal) ? c.Heads
        : name.EndsWith(".self_attn.k_proj.weight", StringComparison.Ordinal) || name.EndsWith(".self_attn.k_proj.bias", StringComparison.Ordinal) ? c.KvHeads
        : 0;

    private static JsonObject ConfigJson(LlamaConfig c, string baseModelPath)
    {
        var basePath = Path.Combine(baseModelPath, "config.json");
        if (Directory.Exists(baseModelPath) && File.Exists(basePath) && JsonNode.Parse(File.ReadAllText(basePath)) is JsonObject copy)
        {
            copy["torch_dtype"] = "float32";
            copy["tie_word_embeddings"] = c.TiedEmbeddings;
            return copy;
        }

        string type = c.ModelType is "qwen2" or "qwen3" or "mistral" ? c.ModelType : "llama";
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(type switch
            {
                "qwen2" => "Qwen2ForCausalLM",
                "qwen3" => "Qwen3ForCausalLM",
                "mistral" => "MistralForCausalLM",
                _ => "LlamaForCausalLM",
            }),
            ["model_type"] = type,
            ["hidden_size"] = c.Dim,
            ["intermediate_size"] = c.HiddenDim,
            ["num_hidden_layers"] = c.Layers,
            ["num_attention_heads"] = c.Heads,
            ["num_key_value_heads"] = c.KvHeads,
            ["head_dim"] = c.HeadDim,
            ["vocab_size"] = c.VocabSize,
            ["max_position_embeddings"] = c.MaxSeqLen,
            ["rms_norm_eps"] = c.RmsEps,
            ["rope_theta"] = c.RopeTheta,
            ["hidden_act"] = "silu",
            ["tie_word_embeddings"] = c.TiedEmbeddings,
            ["attention_bias"] = c.QkvBias,
            ["mlp_bias"] = false,
            ["torch_dtype"] = "float32",
        };
        if (c.BosId is { } bos) o["bos_token_id"] = bos;
        if (c.EosIds.Count == 1) o["eos_token_id"] = c.EosIds[0];
        else if (c.EosIds.Count > 1) o["eos_token_id"] = new JsonArray([.. c.EosIds.Select(e => JsonValue.Create(e))]);
        if (c.SlidingWindow is { } w) o["sliding_window"] = w;
        if (c.RopeScaling is { } s)
        {
            o["rope_scaling"] = new JsonObject
            {
                ["rope_type"] = "llama3", ["factor"] = s.Factor, ["low_freq_factor"] = s.LowFreqFactor,
                ["high_freq_factor"] = s.HighFreqFactor, ["original_max_position_embeddings"] = s.OriginalMaxPositions,
            };
        }

        return o;
    }
}
