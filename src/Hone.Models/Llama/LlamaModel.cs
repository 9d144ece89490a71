using Hone.Numerics;

namespace Hone.Models.Llama;

/// <summary>
/// A Llama-family decoder held in memory (float32, one arena). Load it with <see cref="Load"/>, then run it through a
/// <see cref="LlamaSession"/> (KV cache + activations) from <see cref="CreateSession"/>. The model may back several
/// sessions at once. A model used only for inference can be <see cref="PackForInference">packed</see> for faster prompts.
/// </summary>
public sealed class LlamaModel : ILanguageModel
{
    private readonly Lock _packLock = new();

    /// <summary>Wraps loaded weights; the model owns and disposes them.</summary>
    public LlamaModel(LlamaWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        Weights = weights;
    }

    /// <summary>The shape and conventions.</summary>
    public LlamaConfig Config => Weights.Config;

    /// <summary>The weights.</summary>
    public LlamaWeights Weights { get; }

    /// <summary>The layers' matrices packed for prompt blocks, once <see cref="PackForInference"/> has run; else null.</summary>
    public LlamaPackedWeights? Packed { get; private set; }

    /// <summary>
    /// Packs the layers' matrices once (<see cref="LlamaPackedWeights"/>) so that prompt blocks of every session run the
    /// blocked matmul without packing on each call: measured 1.2× faster prompts on the 134M benchmark model, for about
    /// twice the layers' memory. Results do not change (bit for bit). Call it only on a model whose weights will not
    /// change: a <c>LlamaTrainer</c> refuses a packed model. Calling it again does nothing.
    /// </summary>
    public LlamaModel PackForInference(WorkerPool? pool = null)
    {
        if (Weights.HasStored)
        {
            return this; // stored-type matrices are read by their own kernels; a float32 packed copy would undo the saving
        }

        lock (_packLock)
        {
            Packed ??= LlamaPackedWeights.Create(Weights, pool);
        }

        return this;
    }

    /// <summary>
    /// Loads a model: a folder with config.json + safetensors (Hugging Face layout), a llama2.c checkpoint file
    /// (.bin, legacy or version 1), or a GGUF file (.gguf; F32, F16, BF16 or Q8_0 tensors, dequantised to float32).
    /// </summary>
    /// <exception cref="ModelLoadException">The path is missing, of an unknown kind, or its contents are invalid.</exception>
    public static LlamaModel Load(string path) => Kind(path) switch
    {
        (FileKind.HfFolder, var folder) => LoadHf(folder),
        (FileKind.Llama2c, var file) => LoadLlama2c(file),
        (_, var file) => LoadGguf(file),
    };

    /// <summary>
    /// Checks everything <see cref="Load"/> checks without allocating the weights: the header or config.json, that
    /// the file holds every tensor it implies with that shape, and that the float32 weights fit in the memory this
    /// process may use. Returns the configuration.
    /// </summary>
    /// <exception cref="ModelLoadException">What <see cref="Load"/> would throw.</exception>
    public static LlamaConfig Validate(string path) => Kind(path) switch
    {
        (FileKind.HfFolder, var folder) => HfLlamaLoader.Validate(folder),
        (FileKind.Llama2c, var file) => Llama2cLoader.Validate(file),
        (_, var file) => GgufLlamaLoader.Validate(file),
    };

    private enum FileKind
    {
        HfFolder,
        Llama2c,
        Gguf,
    }

    private static (FileKind Kind, string Path) Kind(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            return (FileKind.HfFolder, path);
        }

        if (!File.Exists(path))
        {
            throw new ModelLoadException($"{path}: no such file or folder. Give a Hugging Face model folder (config.json + .safetensors), a llama2.c .bin or a .gguf file.") { FilePath = path };
        }

        if (path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
        {
            return (FileKind.Llama2c, path);
        }

        if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            return (FileKind.Gguf, path);
        }

        if (Path.GetFileName(path) == "config.json" || path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            return (FileKind.HfFolder, Path.GetDirectoryName(Path.GetFullPath(path))!);
        }

        throw new ModelLoadException($"{path}: unknown model file kind; expected a folder (config.json + .safetensors), a llama2.c .bin or a .gguf file.") { FilePath = path };
    }

    /// <summary>
    /// Loads a model for inference only: as <see cref="Load"/>, except that the BF16, Q8_0 and Q4_0 matrices of a GGUF
    /// file stay in their stored type (<see cref="LlamaWeights.Stored"/>) and are read by the stored-type kernels
    /// (<see cref="StoredMatMul"/>): a Q8_0 file takes about a quarter of the float32 memory and a decode step reads a
    /// quarter of the bytes. Such a model cannot be trained, packed or merged; use <see cref="Load"/> for that.
    /// </summary>
    /// <exception cref="ModelLoadException">What <see cref="Load"/> would throw.</exception>
    public static LlamaModel LoadForInference(string path) => Kind(path) switch
    {
        (FileKind.Gguf, var file) => new(GgufLlamaLoader.Load(file, keepStored: true)),
        _ => Load(path),
    };

    /// <summary>Loads a Hugging Face folder: config.json + model.safetensors or model.safetensors.index.json shards.</summary>
    public static LlamaModel LoadHf(string folder) => new(HfLlamaLoader.Load(folder));

    /// <summary>Loads a llama2.c checkpoint (legacy or version 1).</summary>
    public static LlamaModel LoadLlama2c(string path) => new(Llama2cLoader.Load(path));

    /// <summary>Loads a GGUF model (architectures llama, mistral, qwen2, qwen3; tensors F32, F16, BF16 or Q8_0).</summary>
    /// <exception cref="ModelLoadException">The file is invalid, of another architecture, or holds an unsupported tensor type.</exception>
    public static LlamaModel LoadGguf(string path) => new(GgufLlamaLoader.Load(path));

    /// <summary>
    /// Creates an inference session: KV cache for <paramref name="maxContext"/> positions (default: the model's, at most <see cref="DefaultMaxContext"/>) and
    /// activations for blocks of up to <paramref name="blockSize"/> tokens, all in one arena.
    /// </summary>
    /// <param name="maxContext">Positions the KV cache holds (1..MaxSeqLen; default: MaxSeqLen, at most <see cref="DefaultMaxContext"/>).</param>
    /// <param name="blockSize">Tokens processed together in a prompt block (longer prompts go in several blocks); larger
    /// blocks amortise the weight traffic of the blocked matmul over more rows.</param>
    /// <param name="pool">Workers for matmuls and attention (default: the calling thread only).</param>
    /// <param name="cacheType">Element type of the KV cache: F16 (default, as llama.cpp) or F32 (bit-for-bit comparisons).</param>
    public LlamaSession CreateSession(int? maxContext = null, int blockSize = 256, WorkerPool? pool = null, KvCacheType cacheType = KvCacheType.F16) =>
        new(this, maxContext ?? Math.Min(Config.MaxSeqLen, DefaultMaxContext), blockSize, pool ?? WorkerPool.Single, cacheType);

    /// <summary>
    /// The KV cache a session gets when no context is asked for: the model's maximum, capped here, since models with
    /// 128K-position windows would otherwise reserve gigabytes per session. Ask for more with <c>maxContext</c>.
    /// </summary>
    public const int DefaultMaxContext = 8192;

    /// <inheritdoc/>
    public string ModelType => Config.ModelType;

    /// <inheritdoc/>
    public int VocabSize => Config.VocabSize;

    /// <inheritdoc/>
    public int MaxSeqLen => Config.MaxSeqLen;

    /// <inheritdoc/>
    public IInferenceSession CreateInferenceSession(int? maxContext = null, int blockSize = 256, WorkerPool? pool = null) =>
        CreateSession(maxContext, blockSize, pool);

    /// <summary>Frees the weights (and the packed copy).</summary>
    public void Dispose()
    {
        Packed?.Dispose();
        Weights.Dispose();
    }
}
