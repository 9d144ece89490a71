namespace Hone.Tokenizers;

/// <summary>
/// Where a model's tokenizer is: the file or folder <see cref="TokenizerLoader.Load"/> should read for a model path.
/// A llama2.c checkpoint's tokenizer lies beside it (tokenizer.bin, or the only tok*.bin); a model folder holds
/// tokenizer.json, tokenizer.model, tokenizer.bin or a single .gguf; a .gguf file carries its own.
/// </summary>
public static class TokenizerLocator
{
    private static readonly string[] FolderFiles = ["tokenizer.json", "tokenizer.model", "tokenizer.bin"];

    /// <summary>The path to load the tokenizer of <paramref name="modelPath"/> from, or <paramref name="tokenizerOverride"/> when given.</summary>
    /// <exception cref="FileNotFoundException">No tokenizer is where one should be; the message says to pass --tokenizer.</exception>
    public static string Find(string modelPath, string? tokenizerOverride = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        if (tokenizerOverride is not null) return tokenizerOverride;
        if (File.Exists(modelPath))
        {
            if (modelPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) return modelPath;
            var dir = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
            var named = Path.Combine(dir, "tokenizer.bin");
            if (File.Exists(named)) return named;
            var bins = Directory.GetFiles(dir, "tok*.bin");
            if (bins.Length == 1) return bins[0];
            throw new FileNotFoundException(
                $"{modelPath}: no tokenizer beside the checkpoint (tokenizer.bin or a single tok*.bin in {dir}); give one with --tokenizer FILE.", modelPath);
        }
        if (Directory.Exists(modelPath))
        {
            if (FolderFiles.Any(f => File.Exists(Path.Combine(modelPath, f))) || Directory.GetFiles(modelPath, "*.gguf").Length == 1) return modelPath;
            throw new FileNotFoundException(
                $"{modelPath}: the model folder holds no tokenizer (tokenizer.json, tokenizer.model, tokenizer.bin or one .gguf); give one with --tokenizer FILE.", modelPath);
        }
        throw new FileNotFoundException($"Model not found: {modelPath}", modelPath);
    }
}
