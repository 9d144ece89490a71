using Hone.Formats;
using Hone.Formats.Gguf;

namespace Hone.Models.Llama;

/// <summary>
/// Loads a GGUF model (llama.cpp's format) into a float32 arena: tensors of type F32, F16, BF16, Q8_0 (and whatever
/// else <see cref="GgufDequantize"/> supports) are dequantised on load; the configuration comes from the
/// <c>{arch}.*</c> metadata (<see cref="LlamaConfig.FromGguf"/>).
/// </summary>
internal static class GgufLlamaLoader
{
    public static LlamaWeights Load(string path)
    {
        GgufFile file;
        try
        {
            file = GgufFile.Open(path);
        }
        catch (HoneFormatException e)
        {
            throw new ModelLoadException($"{path}: not a valid GGUF file: {e.Message}", e) { FilePath = path };
        }

        using (file)
        {
            var config = LlamaConfig.FromGguf(file);
            return LlamaWeights.Create(config, (name, tensor) =>
            {
                var ggufName = LlamaGguf.FromHuggingFace(name) ?? throw new ModelLoadException($"{path}: no GGUF counterpart for tensor '{name}'.") { FilePath = path };
                if (!file.HasTensor(ggufName))
                {
                    throw new ModelLoadException(
                        $"{path}: tensor '{ggufName}' (HF '{name}') is missing; the metadata ({config.Describe()}) needs it.") { FilePath = path };
                }

                var info = file.GetTensor(ggufName);
                var shape = tensor.Shape; // row-major [rows, cols]; ggml lists the contiguous dimension first
                bool sameShape = info.Shape.Count == shape.Count;
                for (int i = 0; sameShape && i < shape.Count; i++)
                {
                    sameShape = info.Shape[i] == shape[shape.Count - 1 - i];
                }

                if (!sameShape)
                {
                    throw new ModelLoadException(
                        $"{path}: tensor '{ggufName}' has ggml shape {{{string.Join(", ", info.Shape)}}} but the metadata implies {{{string.Join(", ", shape.Reverse())}}}.") { FilePath = path };
                }

                if (!GgufDequantize.IsSupported(info.Type))
                {
                    throw new ModelLoadException(
                        $"{path}: tensor '{ggufName}' is {info.Type}, which Hone cannot dequantise (supported: {string.Join(", ", GgufDequantize.Supported)}). Re-export the model as F32, F16, BF16 or Q8_0.") { FilePath = path };
                }

                try
                {
                    GgufDequantize.ToF32(info.Type, file.GetTensorBytes(info), tensor.Span);
                }
                catch (Exception e) when (e is HoneFormatException or ArgumentException)
                {
                    throw new ModelLoadException($"{path}: tensor '{ggufName}' cannot be read: {e.Message}", e) { FilePath = path };
                }
            });
        }
    }
}
