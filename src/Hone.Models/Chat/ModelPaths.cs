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
    public static string FindTokenizer(string modelPath, string? tokenizerOverride = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        if (tokenizerOverride is not null)
        {
            return tokenizerOverride;
        }

        if (File.Exists(modelPath) && !modelPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
            var bins = Directory.GetFiles(dir, "tok*.bin");
            if (bins.Length == 1)
            {
                return bins[0];
            }

            var named = Path.Combine(dir, "tokenizer.bin");
            if (File.Exists(named))
            {
                return named;
            }

            throw new FileNotFoundException(
                $"{modelPath}: no tokenizer beside the checkpoint (tokenizer.bin or a single tok*.bin in {dir}); give one with --tokenizer FILE.");
        }

        if (Directory.Exists(modelPath) && !new[] { "tokenizer.json", "tokenizer.model" }.Any(f => File.Exists(Path.Combine(modelPath, f))))
        {
            throw new FileNotFoundException(
                $"{modelPath}: the model folder holds no tokenizer (tokenizer.json or tokenizer.model); give one with --tokenizer FILE.");
        }

        return modelPath;
    }

    /// <summary>A short model id from a path: the folder name, or the file name without extension.</summary>
    public static string ModelId(string modelPath)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        var full = Path.GetFullPath(modelPath).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return Directory.Exists(full) ? Path.GetFileName(full) : Path.GetFileNameWithoutExtension(full);
    }
}
