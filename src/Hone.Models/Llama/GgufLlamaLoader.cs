using Hone.Formats;
using Hone.Formats.Gguf;
using Hone.Numerics;

namespace Hone.Models.Llama;

/// <summary>
/// Loads a GGUF model (llama.cpp's format) into a float32 arena: tensors of type F32, F16, BF16, Q8_0 (and whatever
/// else <see cref="GgufDequantize"/> supports) are dequantised on load, except that with <c>keepStored</c> the
/// BF16, Q8_0, Q4_0 and Q4_K matrices stay in their stored type (<see cref="StoredMatrix"/>, read by the stored-type
/// kernels); every F16/BF16 value and Q8_0/Q4_0/Q4_K block scale is checked finite (<see cref="GgufValueCheck"/>). The configuration comes from the
/// <c>{arch}.*</c> metadata (<see cref="LlamaConfigSources.FromGguf"/>). Before anything is allocated, every tensor the
/// metadata implies is found in the file with its shape and a readable type (so the sizes are ones the file really
/// holds), and the arena is checked against the memory available (<see cref="ModelMemory"/>).
/// </summary>
internal static class GgufLlamaLoader
{
    public static LlamaWeights Load(string path, bool keepStored = false)
    {
        using var file = Open(path);
        var (config, sources) = Plan(file);
        var stored = new Dictionary<string, StoredMatrix>(StringComparer.Ordinal);
        StoredType? Kept(GgufTensorInfo info) =>
            keepStored && info.Shape.Count == 2 && AsStored(info.Type) is { } type && StoredRows.Fits(type, checked((int)info.Shape[0])) ? type : null;

        // Every kept matrix in one native block (huge pages), so each streams from 2 MiB pages however small it is.
        long blockBytes = NativeBytes.BytesFor(sources.Values.Where(i => Kept(i) is not null)
            .Select(i => (long)checked((int)i.Shape[1]) * StoredRows.RowBytes(KernelLayout(Kept(i)!.Value, checked((int)i.Shape[1]), (int)i.Shape[0]), (int)i.Shape[0])));
        var block = blockBytes > 0 ? new NativeBytes(blockBytes) : null;
        foreach (var (name, info) in sources)
        {
            Guard(path, info, () => GgufValueCheck.Check(file, info));
            if (Kept(info) is { } type)
            {
                int rows = checked((int)info.Shape[1]), cols = (int)info.Shape[0];
                var source = file.GetTensorBytes(info);
                var kernel = KernelLayout(type, rows, cols);
                int length = checked(rows * StoredRows.RowBytes(kernel, cols));
                long offset = block!.Carve(length);
                var bytes = block.Slice(offset, length);
                if (kernel == StoredType.Q4_KSplit)
                {
                    StoredQ4KSplit.Repack(source, cols, bytes);
                }
                else if (kernel == StoredType.Q4_Kx16)
                {
                    StoredQ4Kx16.Interleave(StoredQ4KSplit.Repack(source, cols), cols, bytes);
                }
                else if (kernel == StoredType.Q4_0x16)
                {
                    StoredQ4x16.Interleave(source, cols, bytes);
                }
                else if (kernel == StoredType.Q8_0x16)
                {
                    StoredQ8x16.Interleave(source, cols, bytes);
                }
                else
                {
                    source.CopyTo(bytes);
                    if (kernel != type)
                    {
                        StoredSplit.Repack(type, bytes, cols);
                    }
                }

                stored[name] = new StoredMatrix(kernel, rows, cols, block, offset);
            }
        }

        return LlamaWeights.Create(config, (name, tensor) =>
        {
            var info = sources[name];
            Guard(path, info, () => GgufDequantize.ToF32(info.Type, file.GetTensorBytes(info), tensor.Span));
        }, stored, path);
    }

    /// <summary>The stored type the kernels read for a ggml type, or null when it is expanded to float32.</summary>
    private static StoredType? AsStored(GgmlType type) => type switch
    {
        GgmlType.BF16 => StoredType.BF16,
        GgmlType.Q8_0 => StoredType.Q8_0,
        GgmlType.Q4_0 => StoredType.Q4_0,
        GgmlType.Q4_K => StoredType.Q4_K,
        _ => null,
    };

    /// <summary>Q4_0 matrices interleaved by 16 rows where that kernel runs (<see cref="StoredQ4x16"/>: AVX-512BW, rows a
    /// multiple of 16 and k of 64; same bytes, one stream and one vector of results per 16 rows), else repacked in place
    /// to their split layout where its kernel is the faster
    /// (<see cref="StoredSplit.Pays"/>: same bytes, four blocks a vector), Q4_K rows to theirs
    /// (<see cref="StoredQ4KSplit"/>: scales and mins decoded once, 148 bytes per 256 values instead of 144), and those
    /// interleaved by 16 rows as Q4_0's where that kernel runs (<see cref="StoredQ4Kx16"/>); other types
    /// as the file has them. Q8_0 is interleaved as Q4_0 where AVX-VNNI runs that kernel (<see cref="StoredQ8x16"/>),
    /// else stays: its split kernel measured no faster than the GGUF one (stored-kernels, q8_0s).</summary>
    private static StoredType KernelLayout(StoredType type, int rows, int cols) => type switch
    {
        StoredType.Q4_0 when StoredQ4x16.Pays && StoredInterleaved.Fits(StoredType.Q4_0x16, rows, cols) => StoredType.Q4_0x16,
        StoredType.Q8_0 when StoredQ8x16.Pays && StoredInterleaved.Fits(StoredType.Q8_0x16, rows, cols) => StoredType.Q8_0x16,
        StoredType.Q4_0 when StoredSplit.Pays => StoredType.Q4_0Split,
        StoredType.Q4_K when StoredQ4Kx16.Pays && StoredInterleaved.Fits(StoredType.Q4_Kx16, rows, cols) => StoredType.Q4_Kx16,
        StoredType.Q4_K when StoredSplit.Pays => StoredType.Q4_KSplit,
        _ => type,
    };

    private static void Guard(string path, GgufTensorInfo info, Action read)
    {
        try
        {
            read();
        }
        catch (Exception e) when (e is HoneFormatException or ArgumentException)
        {
            throw new ModelLoadException($"{path}: tensor '{info.Name}' cannot be read: {e.Message}", e) { FilePath = path };
        }
    }

    /// <summary>Everything <see cref="Load"/> checks, without allocating the weights.</summary>
    public static LlamaConfig Validate(string path)
    {
        using var file = Open(path);
        var (config, _) = Plan(file);
        ModelMemory.Check(LlamaWeights.ArenaBytes(config), config.Describe(), path);
        return config;
    }

    private static GgufFile Open(string path)
    {
        try
        {
            return GgufFile.Open(path);
        }
        catch (HoneFormatException e)
        {
            throw new ModelLoadException($"{path}: not a valid GGUF file: {e.Message}", e) { FilePath = path };
        }
    }

    /// <summary>The configuration and, for each HF tensor name of its manifest, the GGUF tensor that fills it.</summary>
    private static (LlamaConfig Config, Dictionary<string, GgufTensorInfo> Sources) Plan(GgufFile file)
    {
        var path = file.Path;
        var config = LlamaConfigSources.FromGguf(file);
        var sources = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
        foreach (var (name, shape) in LlamaWeights.Manifest(config))
        {
            var ggufName = LlamaGguf.FromHuggingFace(name) ?? throw new ModelLoadException($"{path}: no GGUF counterpart for tensor '{name}'.") { FilePath = path };
            if (!file.HasTensor(ggufName))
            {
                throw Unheld(file, config, $"tensor '{ggufName}' (HF '{name}') is missing");
            }

            var info = file.GetTensor(ggufName);
            // Row-major [rows, cols]; ggml lists the contiguous dimension first.
            bool sameShape = info.Shape.Count == shape.Length;
            for (int i = 0; sameShape && i < shape.Length; i++)
            {
                sameShape = info.Shape[i] == shape[shape.Length - 1 - i];
            }

            if (!sameShape)
            {
                throw Unheld(file, config,
                    $"tensor '{ggufName}' has ggml shape {{{string.Join(", ", info.Shape)}}} but the metadata implies {{{string.Join(", ", shape.Reverse())}}}");
            }

            if (!GgufDequantize.IsSupported(info.Type))
            {
                throw new ModelLoadException(
                    $"{path}: tensor '{ggufName}' is {info.Type}, which Hone cannot dequantise (supported: {string.Join(", ", GgufDequantize.Supported)}). Re-export the model as F32, F16, BF16 or Q8_0.") { FilePath = path };
            }

            sources[name] = info;
        }

        return (config, sources);
    }

    /// <summary>The metadata claims a model the file does not hold: say what was claimed, what the file holds, how to fix it.</summary>
    private static ModelLoadException Unheld(GgufFile file, LlamaConfig config, string what) => new(
        $"{file.Path}: the metadata claims {config.Describe()} ({ModelMemory.Size(LlamaWeights.ArenaBytes(config))} of float32 weights), "
        + $"but the file ({file.Length:N0} bytes, {file.Tensors.Count} tensors) does not hold that model: {what}. "
        + "The file is damaged or its metadata is wrong; export or download the model again.") { FilePath = file.Path };
}
