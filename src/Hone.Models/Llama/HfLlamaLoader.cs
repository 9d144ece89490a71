using Hone.Formats;
using Hone.Formats.Safetensors;

namespace Hone.Models.Llama;

/// <summary>Loads a Hugging Face Llama-family folder (config.json + model.safetensors or shards) into an arena.</summary>
internal static class HfLlamaLoader
{
    public static LlamaWeights Load(string folder)
    {
        var config = LlamaConfig.FromHfFolder(folder);
        SafetensorsCheckpoint checkpoint;
        try
        {
            checkpoint = SafetensorsCheckpoint.Open(folder);
        }
        catch (HoneFormatException e)
        {
            throw new ModelLoadException($"{folder}: cannot open the safetensors weights: {e.Message}", e) { FilePath = folder };
        }

        using (checkpoint)
        {
            if (!config.TiedEmbeddings && !checkpoint.HasTensor("lm_head.weight"))
            {
                // Some exports drop the classifier when it equals the embedding without saying so in config.json.
                config = config with { TiedEmbeddings = true };
            }

            return LlamaWeights.Create(config, (name, tensor) =>
            {
                if (!checkpoint.HasTensor(name))
                {
                    throw new ModelLoadException(
                        $"{folder}: tensor '{name}' is missing from the checkpoint; config.json ({config.Describe()}) needs it. Is config.json from the same model?") { FilePath = folder };
                }

                var info = checkpoint.GetTensor(name);
                var shape = tensor.Shape;
                if (info.Shape.Count != shape.Count || info.Shape.Where((d, i) => d != shape[i]).Any())
                {
                    throw new ModelLoadException(
                        $"{folder}: tensor '{name}' has shape [{string.Join(", ", info.Shape)}] but config.json implies [{string.Join(", ", shape)}].") { FilePath = folder };
                }

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
            });
        }
    }
}
