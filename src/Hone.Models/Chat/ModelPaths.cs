namespace Hone.Models.Chat;

/// <summary>Where a model's tokenizer lies: beside a llama2.c checkpoint, inside a folder or GGUF, or given explicitly.</summary>
public static class ModelPaths
{
    /// <summary>
    /// The tokenizer path for <paramref name="modelPath"/>: <paramref name="tokenizerOverride"/> when given; for a
    /// llama2.c checkpoint the single <c>tok*.bin</c> or <c>tokenizer.bin</c> beside it; otherwise the model folder or
    /// GGUF file itself (its tokenizer.json / tokenizer.model / metadata).
    /// </summary>
    /// <exception cref="FileNotFoundException">A checkpoint has no tokenizer beside it and none was given.</exception>
    public static string FindTokenizer(string modelPath, string? tokenizerOverride = null) =>
        Hone.Tokenizers.TokenizerLocator.Find(modelPath, tokenizerOverride);

    /// <summary>A short model id from a path: the folder name, or the file name without extension.</summary>
    public static string ModelId(string modelPath)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        var full = Path.GetFullPath(modelPath).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return Directory.Exists(full) ? Path.GetFileName(full) : Path.GetFileNameWithoutExtension(full);
    }
}
