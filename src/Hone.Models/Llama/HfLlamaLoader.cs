using Hone.Formats;
using Hone.Formats.Safetensors;

namespace Hone.Models.Llama;

/// <summary>
/// Loads a Hugging Face Llama-family folder (config.json + model.safetensors or shards) into an arena. Before anything is
/// allocated, every tensor config.json implies is found in the weights with its shape (so the sizes are ones the files
/// really hold), and the arena is checked against the memory available (<see cref="ModelMemory"/>).
/// </summary>
internal static class HfLlamaLoader
{
    public static LlamaWeights Load(string folder)
    {
        var (config, checkpoint) = Open(folder);
        using (checkpoint)
        {
            config = Plan(folder, config, checkpoint);
            return LlamaWeights.Create(config, (name, tensor) =>
            {
                var info = checkpoint.GetTensor(name);
                var dst = tensor.Span;
                if (info.Dtype == SafetensorsDtype.F32)
                {
                    checkpoint.GetF32Span(name).CopyTo(dst);
                }
                else
                {
                    try
                    {
                        var owner = checkpoint.Files.First(f => f.HasTensor(name));
                        SafetensorsConvert.ToF32(info.Dtype, owner.GetBytes(name), dst, owner.Path, name);
                    }
                    catch (Exception e) when (e is HoneFormatException or ArgumentException or NotSupportedException)
                    {
                        throw new ModelLoadException($"{folder}: tensor '{name}' ({info.Dtype}) cannot be converted to float32: {e.Message}", e) { FilePath = folder };
                    }
                }
            }, folder);
        }
    }

    /// <summary>Everything <see cref="Load"/> checks, without allocating the weights.</summary>
    public static LlamaConfig Validate(string folder)
    {
        var (config, checkpoint) = Open(folder);
        using (checkpoint)
        {
            config = Plan(folder, config, checkpoint);
            ModelMemory.Check(LlamaWeights.ArenaBytes(config), config.Describe(), folder);
            return config;
        }
    }

    private static (LlamaConfig Config, SafetensorsCheckpoint Checkpoint) Open(string folder)
    {
        var config = LlamaConfig.FromHfFolder(folder);
        try
        {
            return (config, SafetensorsCheckpoint.Open(folder));
        }
        catch (HoneFormatException e)
        {
            throw new ModelLoadException($"{folder}: cannot open the safetensors weights: {e.Message}", e) { FilePath = folder };
        }
    }

    /// <summary>The configuration to load (tied when the classifier is absent), once every tensor it needs is found with its shape.</summary>
    private static LlamaConfig Plan(string folder, LlamaConfig config, SafetensorsCheckpoint checkpoint)
    {
        if (!config.TiedEmbeddings && !checkpoint.HasTensor("lm_head.weight"))
        {
            // Some exports drop the classifier when it equals the embedding without saying so in config.json.
            config = config with { TiedEmbeddings = true };
        }

        foreach (var (name, shape) in LlamaWeights.Manifest(config))
        {
            if (!checkpoint.HasTensor(name))
            {
                throw Unheld(folder, config, checkpoint, $"tensor '{name}' is missing");
            }

            var info = checkpoint.GetTensor(name);
            if (info.Shape.Count != shape.Length || info.Shape.Where((d, i) => d != shape[i]).Any())
            {
                throw Unheld(folder, config, checkpoint, $"tensor '{name}' has shape [{string.Join(", ", info.Shape)}] but config.json implies [{string.Join(", ", shape)}]");
            }
        }

        // A tensor the architecture does not use (an o_proj or MLP bias from attention_bias/mlp_bias, a vision tower, ...)
        // would otherwise be dropped silently and the model would compute something else than its authors trained.
        var expected = LlamaWeights.Manifest(config).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var unused = checkpoint.Names.Where(n => !expected.Contains(n) && !n.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        if (unused.Count > 0)
        {
            throw new ModelLoadException(
                $"{folder}: the safetensors weights hold {unused.Count} tensor(s) that {config.Describe()} does not use, e.g. "
                + string.Join(", ", unused.Take(5).Select(n => $"'{n}'"))
                + ". Hone would ignore them and compute a different model (biases on o_proj or the MLP, from attention_bias or mlp_bias, are not supported). "
                + "Check that config.json matches the weights, or convert the model without those tensors.") { FilePath = folder };
        }

        return config;
    }

    /// <summary>config.json claims a model the weights do not hold: say what was claimed, what the files hold, how to fix it.</summary>
    private static ModelLoadException Unheld(string folder, LlamaConfig config, SafetensorsCheckpoint checkpoint, string what)
    {
        var bytes = checkpoint.Files.Sum(f => new FileInfo(f.Path).Length);
        return new ModelLoadException(
            $"{folder}: config.json claims {config.Describe()} ({ModelMemory.Size(LlamaWeights.ArenaBytes(config))} of float32 weights), "
            + $"but the safetensors weights ({checkpoint.Files.Count} file(s), {bytes:N0} bytes, {checkpoint.Names.Count()} tensors) do not hold that model: {what}. "
            + "Is config.json from the same model?") { FilePath = folder };
    }
}
