using System.Buffers.Binary;

namespace Hone.Formats.Inspection;

/// <summary>
/// Reports what a model is (architecture, sizes, parameter counts, dtypes, special tokens, chat template) from a
/// Hugging Face folder, a .safetensors file, a GGUF file or a llama2.c checkpoint. Backs <c>hone model inspect</c>.
/// </summary>
public static class ModelInspector
{
    /// <summary>
    /// Inspects <paramref name="path"/>. An unknown architecture is reported, not an error; a missing path, an
    /// unrecognised file or a corrupt file is a <see cref="HoneFormatException"/> (a format-specific subtype where the
    /// file's own format is at fault, otherwise <see cref="ModelInspectException"/>).
    /// </summary>
    public static ModelInfo Inspect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return HfInspector.InspectFolder(full);
        if (!File.Exists(full)) throw new ModelInspectException($"{full}: no such file or folder") { FilePath = full };
        Span<byte> magic = stackalloc byte[4];
        long length;
        try
        {
            using var fs = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
            length = fs.Length;
            magic.Clear();
            fs.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelInspectException($"{full}: cannot read: {e.Message}", e) { FilePath = full };
        }
        var m = BinaryPrimitives.ReadUInt32LittleEndian(magic);
        if (m == Gguf.GgufFile.Magic) return GgufInspector.Inspect(full);
        if (full.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || full.EndsWith(".safetensors.index.json", StringComparison.OrdinalIgnoreCase))
            return HfInspector.InspectWeights(full, Path.GetDirectoryName(full)!);
        if (m == Llama2c.Llama2cCheckpoint.V1Magic || full.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
            return Llama2cInspector.Inspect(full);
        throw new ModelInspectException(
            $"{full}: byte 0: not a recognised model file ({length} bytes; expected a GGUF file, a .safetensors file, a llama2.c .bin or a Hugging Face folder)")
        { FilePath = full, Offset = 0 };
    }
}
