namespace Hone.Training.Export;

/// <summary>What <c>hone export</c> writes.</summary>
public enum ExportFormat
{
    /// <summary>A PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors); LoRA runs only.</summary>
    Adapter,

    /// <summary>A Hugging Face model folder with the tuned weights (config.json, model.safetensors, tokenizer files).</summary>
    Merged,

    /// <summary>A single llama.cpp GGUF file with the tuned weights and the tokenizer.</summary>
    Gguf,

    /// <summary>A llama.cpp GGUF LoRA adapter (general.type "adapter"), applied over the base model's GGUF; LoRA runs only.</summary>
    GgufLora,
}

/// <summary>Tensor type of a GGUF export.</summary>
public enum GgufExportType
{
    /// <summary>Every tensor float32.</summary>
    F32,

    /// <summary>Matrices float16, vectors (norms, biases) float32 — llama.cpp's "mostly F16".</summary>
    F16,

    /// <summary>Matrices bfloat16 (round to nearest even), vectors float32 — "mostly BF16".</summary>
    BF16,

    /// <summary>Matrices Q8_0 (blocks of 32 int8 with a half scale), vectors float32 — "mostly Q8_0". A matrix whose
    /// rows are not a multiple of 32 values is written F16, as llama.cpp's converter does.</summary>
    Q8_0,

    /// <summary>Matrices Q4_0 (blocks of 32 4-bit values with a half scale), vectors float32 — "mostly Q4_0"; rows not a
    /// multiple of 32 values are written F16.</summary>
    Q4_0,

    /// <summary>Matrices Q4_K (llama.cpp's k-quant: super-blocks of 256 4-bit values with 6-bit sub-block scales and
    /// mins, by ggml's reference quantiser), vectors float32 — every matrix Q4_K, as llama.cpp's Q4_K_S writes most of
    /// them (its Q4_K_M also mixes Q6_K in, which Hone does not write); rows not a multiple of 256 values are written
    /// Q8_0 (F16 when not a multiple of 32 either).</summary>
    Q4_K,
}

/// <summary>The ggml encodings of <see cref="GgufExportType"/>.</summary>
public static class GgufExportTypes
{
    /// <summary>The CLI spelling (f32, f16, bf16, q8_0, q4_0, q4_k).</summary>
    public static string Name(this GgufExportType type) => type.ToString().ToLowerInvariant();

    /// <summary>Parses a CLI spelling; null when unknown.</summary>
    public static GgufExportType? Parse(string text) =>
        Enum.GetValues<GgufExportType>().Cast<GgufExportType?>().FirstOrDefault(t => t!.Value.Name() == text.ToLowerInvariant());

    /// <summary>general.file_type (llama_ftype): 0 all F32, 1 mostly F16, 2 mostly Q4_0, 7 mostly Q8_0, 14 Q4_K_S, 32 mostly BF16.</summary>
    public static uint FileType(this GgufExportType type) => type switch
    {
        GgufExportType.F16 => 1u,
        GgufExportType.Q4_0 => 2u,
        GgufExportType.Q8_0 => 7u,
        GgufExportType.Q4_K => 14u,
        GgufExportType.BF16 => 32u,
        _ => 0u,
    };

    /// <summary>The ggml type a tensor of <paramref name="shape"/> (row-major; the last dimension is a row) is written as:
    /// vectors F32; matrices the export type, F16 where their rows do not fill whole quantisation blocks (Q4_K: Q8_0 first).</summary>
    public static Hone.Formats.Gguf.GgmlType TensorType(this GgufExportType type, IReadOnlyList<int> shape)
    {
        if (shape.Count != 2) return Hone.Formats.Gguf.GgmlType.F32;
        return type switch
        {
            GgufExportType.F16 => Hone.Formats.Gguf.GgmlType.F16,
            GgufExportType.BF16 => Hone.Formats.Gguf.GgmlType.BF16,
            GgufExportType.Q8_0 => shape[1] % 32 == 0 ? Hone.Formats.Gguf.GgmlType.Q8_0 : Hone.Formats.Gguf.GgmlType.F16,
            GgufExportType.Q4_0 => shape[1] % 32 == 0 ? Hone.Formats.Gguf.GgmlType.Q4_0 : Hone.Formats.Gguf.GgmlType.F16,
            GgufExportType.Q4_K => shape[1] % 256 == 0 ? Hone.Formats.Gguf.GgmlType.Q4_K
                : shape[1] % 32 == 0 ? Hone.Formats.Gguf.GgmlType.Q8_0 : Hone.Formats.Gguf.GgmlType.F16,
            _ => Hone.Formats.Gguf.GgmlType.F32,
        };
    }
}

/// <summary>Options of one export, validated once.</summary>
public sealed record ExportOptions
{
    /// <summary>The format.</summary>
    public ExportFormat Format { get; init; } = ExportFormat.Merged;

    /// <summary>The output folder (adapter, merged) or .gguf file; null = RUN/exports/adapter, RUN/exports/merged, RUN/exports/model-f32.gguf or RUN/exports/adapter-f32.gguf.</summary>
    public string? Output { get; init; }

    /// <summary>Replace an existing output.</summary>
    public bool Force { get; init; }

    /// <summary>GGUF tensor type.</summary>
    public GgufExportType GgufType { get; init; } = GgufExportType.F32;

    /// <summary>
    /// The epoch whose kept checkpoint to export (e.g. the best one an RFT run's diagnosis names); null = the checkpoint
    /// that scored best on the golden set when the run scored them (best.json), else the newest.
    /// </summary>
    public int? Epoch { get; init; }

    /// <summary>Export the newest checkpoint even when the run names a best one.</summary>
    public bool Latest { get; init; }

    /// <summary>The output path for <paramref name="runPath"/>.</summary>
    public string ResolveOutput(string runPath) => Path.GetFullPath(Output ?? Path.Combine(runPath, "exports", Format switch
    {
        ExportFormat.Adapter => "adapter",
        ExportFormat.Merged => "merged",
        ExportFormat.GgufLora => GgufType == GgufExportType.F16 ? "adapter-f16.gguf" : "adapter-f32.gguf",
        _ => $"model-{GgufType.Name()}.gguf",
    }));
}

/// <summary>What an export wrote.</summary>
/// <param name="Format">The format.</param>
/// <param name="Path">The folder or file written.</param>
/// <param name="Files">The files written (full paths).</param>
/// <param name="Checkpoint">The checkpoint folder the weights came from.</param>
/// <param name="Epoch">Its epoch.</param>
/// <param name="Notes">Anything the user should know (e.g. where the tokenizer is).</param>
public sealed record ExportResult(ExportFormat Format, string Path, IReadOnlyList<string> Files, string Checkpoint, int Epoch, IReadOnlyList<string> Notes)
{
    /// <summary>The base model the run trained (an adapter is applied over it).</summary>
    public string? BaseModel { get; init; }

    /// <summary>The chat template the export carries (the run's full source text), or null (none, or a GGUF LoRA adapter, which uses its base's).</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Where the run's chat template came from (e.g. "builtin:plain", "tokenizer_config.json"), or null.</summary>
    public string? ChatTemplateOrigin { get; init; }

    /// <summary>The EOS token text the run's template renders (e.g. "&lt;/s&gt;"), or null.</summary>
    public string? EosToken { get; init; }

    /// <summary>Why this checkpoint was exported: "epoch N", "best by golden_accuracy" or "newest".</summary>
    public string ChosenBy { get; init; } = "newest";
}
