using Hone.Models.Llama;
using Hone.Numerics;

namespace Hone.Models;

/// <summary>A loaded causal language model (today the Llama family: <see cref="LlamaModel"/>).</summary>
public interface ILanguageModel : IDisposable
{
    /// <summary>The architecture name ("llama", "qwen2", "llama2.c", ...).</summary>
    string ModelType { get; }

    /// <summary>Number of token ids.</summary>
    int VocabSize { get; }

    /// <summary>Longest sequence the model supports.</summary>
    int MaxSeqLen { get; }

    /// <summary>
    /// Creates an inference session: KV cache for <paramref name="maxContext"/> positions (default: the model's) and
    /// activations for prompt blocks of up to <paramref name="blockSize"/> tokens.
    /// </summary>
    IInferenceSession CreateInferenceSession(int? maxContext = null, int blockSize = 256, WorkerPool? pool = null);
}

/// <summary>Loads a model of whichever supported architecture a path holds (one loader: <see cref="LlamaModel"/>).</summary>
public static class LanguageModels
{
    /// <summary>Loads a Hugging Face folder, a llama2.c .bin or a .gguf (<see cref="LlamaModel.Load"/>).</summary>
    /// <exception cref="ModelLoadException">The path is missing, of an unknown kind or architecture, or invalid.</exception>
    public static ILanguageModel Load(string path) => LlamaModel.Load(path);

    /// <summary>
    /// Checks everything <see cref="Load"/> checks, without allocating the weights (<see cref="LlamaModel.Validate"/>);
    /// returns a one-line description of the model.
    /// </summary>
    /// <exception cref="ModelLoadException">What <see cref="Load"/> would throw.</exception>
    public static string Validate(string path) => LlamaModel.Validate(path).Describe();
}
