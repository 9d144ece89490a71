using Hone.Formats;
using Hone.Formats.Llama2c;

namespace Hone.Models.Llama;

/// <summary>
/// Loads a llama2.c checkpoint (legacy or version 1) through Hone.Formats' <see cref="Llama2cCheckpoint"/> into a
/// model arena. The weights keep llama2.c's interleaved RoPE layout (<see cref="RopeLayout.Interleaved"/>).
/// </summary>
internal static class Llama2cLoader
{
    /// <summary>llama2.c's (name, HF suffix) pairs of per-layer weights.</summary>
    private static readonly (string Llama2c, string Hf)[] PerLayer =
    [
        ("rms_att", "input_layernorm.weight"),
        ("wq", "self_attn.q_proj.weight"),
        ("wk", "self_attn.k_proj.weight"),
        ("wv", "self_attn.v_proj.weight"),
        ("wo", "self_attn.o_proj.weight"),
        ("rms_ffn", "post_attention_layernorm.weight"),
        ("w1", "mlp.gate_proj.weight"),
        ("w2", "mlp.down_proj.weight"),
        ("w3", "mlp.up_proj.weight"),
    ];

    /// <summary>Reads only the header and returns the configuration.</summary>
    public static LlamaConfig ReadConfig(string path)
    {
        using var checkpoint = Open(path);
        return LlamaConfigSources.FromLlama2c(checkpoint.Config, path);
    }

    /// <summary>Everything <see cref="Load"/> checks (the file length equals what the header implies), without allocating.</summary>
    public static LlamaConfig Validate(string path)
    {
        var config = ReadConfig(path);
        ModelMemory.Check(LlamaWeights.ArenaBytes(config), config.Describe(), path);
        return config;
    }

    /// <summary>Loads every weight into a new arena.</summary>
    public static LlamaWeights Load(string path)
    {
        using var checkpoint = Open(path);
        var config = LlamaConfigSources.FromLlama2c(checkpoint.Config, path);
        var byHf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (l2c, hf) in PerLayer)
        {
            byHf[hf] = l2c;
        }

        return LlamaWeights.Create(config, (name, tensor) =>
        {
            ReadOnlySpan<float> src = name switch
            {
                "model.embed_tokens.weight" => checkpoint.Get("token_embedding"),
                "model.norm.weight" => checkpoint.Get("rms_final"),
                "lm_head.weight" => checkpoint.Get("wcls"),
                _ => checkpoint.Get(byHf[SuffixOf(name, out int layer)], layer),
            };
            src.CopyTo(tensor.Span);
        }, path);
    }

    private static string SuffixOf(string hfName, out int layer)
    {
        // "model.layers.{layer}.{suffix}"
        var rest = hfName.AsSpan("model.layers.".Length);
        int dot = rest.IndexOf('.');
        layer = int.Parse(rest[..dot], System.Globalization.CultureInfo.InvariantCulture);
        return rest[(dot + 1)..].ToString();
    }

    private static Llama2cCheckpoint Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"{path}: no such file (expected a llama2.c checkpoint .bin).") { FilePath = path };
        }

        try
        {
            return Llama2cCheckpoint.Open(path);
        }
        catch (HoneFormatException e)
        {
            throw new ModelLoadException($"{path}: not a valid llama2.c checkpoint: {e.Message}", e) { FilePath = path };
        }
    }
}
