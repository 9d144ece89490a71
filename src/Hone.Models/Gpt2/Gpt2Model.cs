using Hone.Formats;
using Hone.Formats.Safetensors;
using Hone.Numerics;

namespace Hone.Models.Gpt2;

/// <summary>
/// A GPT-2 model held in memory (float32, one arena), loaded from a Hugging Face folder (config.json + safetensors,
/// Conv1D weights [in, out]; tensor names with or without the "transformer." prefix). Run it through a
/// <see cref="Gpt2Session"/> from <see cref="CreateSession"/>. Immutable; may back several sessions at once.
/// </summary>
public sealed class Gpt2Model : ILanguageModel
{
    /// <summary>Wraps loaded weights; the model owns and disposes them.</summary>
    public Gpt2Model(Gpt2Weights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        Weights = weights;
    }

    /// <summary>The shape.</summary>
    public Gpt2Config Config => Weights.Config;

    /// <summary>The weights.</summary>
    public Gpt2Weights Weights { get; }

    /// <summary>Loads a Hugging Face GPT-2 folder (config.json with model_type "gpt2" + model.safetensors or shards).</summary>
    /// <exception cref="ModelLoadException">The folder, config or weights are missing or invalid, or model_type is not gpt2.</exception>
    public static Gpt2Model Load(string folder)
    {
        var (config, checkpoint) = Open(folder);
        using (checkpoint)
        {
            var prefix = Plan(folder, config, checkpoint);
            return new Gpt2Model(Gpt2Weights.Create(config, (name, tensor) =>
            {
                string stored = prefix + name;
                var info = checkpoint.GetTensor(stored);
                try
                {
                    if (info.Dtype == SafetensorsDtype.F32)
                    {
                        checkpoint.GetF32Span(stored).CopyTo(tensor.Span);
                    }
                    else
                    {
                        checkpoint.ReadF32(stored).CopyTo(tensor.Span);
                    }
                }
                catch (Exception e) when (e is HoneFormatException or ArgumentException or NotSupportedException)
                {
                    throw new ModelLoadException($"{folder}: tensor '{stored}' ({info.Dtype}) cannot be read as float32: {e.Message}", e) { FilePath = folder };
                }
            }, folder));
        }
    }

    /// <summary>
    /// Checks everything <see cref="Load"/> checks without allocating the weights (config.json, every tensor it implies
    /// present with that shape, the float32 weights within the memory available). Returns the configuration.
    /// </summary>
    /// <exception cref="ModelLoadException">What <see cref="Load"/> would throw.</exception>
    public static Gpt2Config Validate(string folder)
    {
        var (config, checkpoint) = Open(folder);
        using (checkpoint)
        {
            Plan(folder, config, checkpoint);
            ModelMemory.Check(Gpt2Weights.ArenaBytes(config), config.Describe(), folder);
            return config;
        }
    }

    private static (Gpt2Config Config, SafetensorsCheckpoint Checkpoint) Open(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath))
        {
            throw new ModelLoadException($"{folder}: no config.json in this folder; a Hugging Face GPT-2 folder needs config.json beside its .safetensors files.") { FilePath = folder };
        }

        if (new FileInfo(configPath).Length > 16 << 20)
        {
            throw new ModelLoadException($"{configPath}: config.json is larger than 16 MiB.") { FilePath = configPath };
        }

        var config = Gpt2Config.FromHfJson(File.ReadAllText(configPath), configPath);
        try
        {
            return (config, SafetensorsCheckpoint.Open(folder));
        }
        catch (HoneFormatException e)
        {
            throw new ModelLoadException($"{folder}: cannot open the safetensors weights: {e.Message}", e) { FilePath = folder };
        }
    }

    /// <summary>The tensor-name prefix of the checkpoint, once every tensor config.json implies is found with its shape.</summary>
    private static string Plan(string folder, Gpt2Config config, SafetensorsCheckpoint checkpoint)
    {
        string prefix = checkpoint.HasTensor("wte.weight") ? "" : checkpoint.HasTensor("transformer.wte.weight") ? "transformer." : "";
        foreach (var (name, shape) in Gpt2Weights.Manifest(config))
        {
            string stored = prefix + name;
            if (!checkpoint.HasTensor(stored))
            {
                throw Unheld(folder, config, checkpoint, $"tensor '{stored}' is missing");
            }

            var info = checkpoint.GetTensor(stored);
            if (info.Shape.Count != shape.Length || info.Shape.Where((d, i) => d != shape[i]).Any())
            {
                throw Unheld(folder, config, checkpoint,
                    $"tensor '{stored}' has shape [{string.Join(", ", info.Shape)}] but config.json implies [{string.Join(", ", shape)}] (GPT-2 Conv1D weights are [in, out])");
            }
        }

        return prefix;
    }

    /// <summary>config.json claims a model the weights do not hold: what was claimed, what the files hold, how to fix it.</summary>
    private static ModelLoadException Unheld(string folder, Gpt2Config config, SafetensorsCheckpoint checkpoint, string what)
    {
        var bytes = checkpoint.Files.Sum(f => new FileInfo(f.Path).Length);
        return new ModelLoadException(
            $"{folder}: config.json claims {config.Describe()} ({ModelMemory.Size(Gpt2Weights.ArenaBytes(config))} of float32 weights), "
            + $"but the safetensors weights ({checkpoint.Files.Count} file(s), {bytes:N0} bytes, {checkpoint.Names.Count()} tensors) do not hold that model: {what}. "
            + "Is config.json from the same model?") { FilePath = folder };
    }

    /// <summary>
    /// Creates an inference session: KV cache for <paramref name="maxContext"/> positions (default: n_positions) and
    /// activations for blocks of up to <paramref name="blockSize"/> tokens.
    /// </summary>
    public Gpt2Session CreateSession(int? maxContext = null, int blockSize = 256, WorkerPool? pool = null) =>
        new(this, maxContext ?? Config.MaxSeqLen, blockSize, pool ?? WorkerPool.Single);

    /// <inheritdoc/>
    public string ModelType => "gpt2";

    /// <inheritdoc/>
    public int VocabSize => Config.VocabSize;

    /// <inheritdoc/>
    public int MaxSeqLen => Config.MaxSeqLen;

    /// <inheritdoc/>
    public IInferenceSession CreateInferenceSession(int? maxContext = null, int blockSize = 256, WorkerPool? pool = null) =>
        CreateSession(maxContext, blockSize, pool);

    /// <summary>Frees the weights.</summary>
    public void Dispose() => Weights.Dispose();
}
