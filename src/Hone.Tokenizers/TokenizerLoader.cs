using System.Buffers.Binary;

namespace Hone.Tokenizers;

/// <summary>
/// Loads the tokenizer of a model from whatever the user points at: a model folder (tokenizer.json, else
/// tokenizer.model, else tokenizer.bin, else the only *.gguf), a tokenizer.json, a SentencePiece tokenizer.model,
/// a llama2.c tokenizer.bin, or a GGUF file.
/// </summary>
public static class TokenizerLoader
{
    /// <summary>Loads a tokenizer.</summary>
    /// <exception cref="FileNotFoundException">Nothing usable exists at <paramref name="path"/>.</exception>
    /// <exception cref="TokenizerFormatException">The file is malformed or of an unsupported kind.</exception>
    public static TokenizerBase Load(string path) => LoadFile(ResolveFile(path));

    /// <summary>
    /// The file <see cref="Load"/> reads for <paramref name="path"/>: the path itself when it is a file, else the
    /// folder's tokenizer.json, tokenizer.model, tokenizer.bin or only .gguf, in that order.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing usable exists at <paramref name="path"/>.</exception>
    public static string ResolveFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            foreach (var name in new[] { "tokenizer.json", "tokenizer.model", "tokenizer.bin" })
            {
                var candidate = Path.Combine(path, name);
                if (File.Exists(candidate)) return candidate;
            }
            var ggufs = Directory.GetFiles(path, "*.gguf");
            if (ggufs.Length == 1) return ggufs[0];
            throw new FileNotFoundException(
                $"{path}: no tokenizer found; expected tokenizer.json, tokenizer.model, tokenizer.bin or a single .gguf file in the folder.", path);
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"Tokenizer file or model folder not found: {path}", path);
        return path;
    }

    private static TokenizerBase LoadFile(string path)
    {
        Span<byte> head = stackalloc byte[4];
        int read;
        using (var fs = File.OpenRead(path)) read = fs.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        if (read == 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) == Hone.Formats.Gguf.GgufFile.Magic)
            return GgufTokenizerReader.Read(path);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".gguf" => GgufTokenizerReader.Read(path), // a GGUF without the magic: the GGUF reader says what is wrong with it
            ".model" => SentencePieceModelReader.Read(path),
            ".json" => TokenizerJsonReader.Read(path),
            _ => LlamaCTokenizerReader.Read(path),
        };
    }
}
