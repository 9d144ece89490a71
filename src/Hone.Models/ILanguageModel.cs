using System.Text.Json;
using Hone.Models.Gpt2;
using Hone.Models.Llama;
using Hone.Numerics;

namespace Hone.Models;

/// <summary>A loaded causal language model of any supported architecture (<see cref="LlamaModel"/>, <see cref="Gpt2Model"/>).</summary>
public interface ILanguageModel : IDisposable
{
    /// <summary>The architecture name ("llama", "qwen2", "llama2.c", "gpt2", ...).</summary>
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

/// <summary>Loads a model of whichever supported architecture a path holds.</summary>
public static class LanguageModels
{
    /// <summary>
    /// A Hugging Face folder whose config.json says model_type "gpt2" loads as <see cref="Gpt2Model"/>; everything
    /// else (Llama-family folders, llama2.c .bin, .gguf) goes to <see cref="LlamaModel.Load"/>.
    /// </summary>
    /// <exception cref="ModelLoadException">The path is missing, of an unknown kind or architecture, or invalid.</exception>
    public static ILanguageModel Load(string path) => IsGpt2(path) ? Gpt2Model.Load(FolderOf(path)) : LlamaModel.Load(path);

    /// <summary>
    /// Checks everything <see cref="Load"/> checks, without allocating the weights (<see cref="LlamaModel.Validate"/>,
    /// <see cref="Gpt2Model.Validate"/>); returns a one-line description of the model.
    /// </summary>
    /// <exception cref="ModelLoadException">What <see cref="Load"/> would throw.</exception>
    public static string Validate(string path) => IsGpt2(path) ? Gpt2Model.Validate(FolderOf(path)).Describe() : LlamaModel.Validate(path).Describe();

    private static string FolderOf(string path) => Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;

    private static bool IsGpt2(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var folder = Directory.Exists(path) ? path
            : Path.GetFileName(path) == "config.json" || path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? Path.GetDirectoryName(Path.GetFullPath(path))
            : null;
        var config = folder is null ? null : Path.Combine(folder, "config.json");
        return config is not null && File.Exists(config) && new FileInfo(config).Length <= 16 << 20 && ModelTypeOf(config) == "gpt2";
    }

    private static string? ModelTypeOf(string configPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("model_type", out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null; // the Llama loader reports the malformed file with its position
        }
    }
}
