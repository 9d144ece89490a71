using Hone.Training.Export;

namespace Hone.App.Export;

/// <summary>What <see cref="ExportRun"/> is asked.</summary>
/// <param name="Run">The training run folder (at <paramref name="WorkingDirectory"/>).</param>
/// <param name="WorkingDirectory">Where relative paths are anchored.</param>
/// <param name="Format">adapter, merged, gguf or gguf-lora.</param>
/// <param name="Output">The output folder or .gguf file, or null for RUN/exports/FORMAT.</param>
/// <param name="GgufType">f32, f16, bf16, q8_0, q4_0 or q4_k (gguf-lora: f32 or f16).</param>
/// <param name="Epoch">The kept checkpoint of this epoch, or null for the newest.</param>
/// <param name="Force">Replace an existing output.</param>
public sealed record ExportRequest(string Run, string WorkingDirectory, string Format, string? Output = null, string GgufType = "f32", int? Epoch = null,
    bool Force = false)
{
    /// <summary>Export the newest checkpoint even when the run names a best one by golden-set score.</summary>
    public bool Latest { get; init; }
}

/// <summary>The result of <see cref="ExportRun"/> (its <c>--json</c> document).</summary>
public sealed record ExportResponse(string Format, string Path, IReadOnlyList<string> Files, string Checkpoint, int Epoch, string? ChatTemplate,
    IReadOnlyList<ExportUse> Usage, string? OllamaModelfile, IReadOnlyList<string> Notes)
{
    /// <summary>True when the export carries the run's chat template.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool CarriesTemplate { get; init; }

    /// <summary>Why this checkpoint: "epoch N", "best by golden_accuracy" or "newest".</summary>
    public string ChosenBy { get; init; } = "newest";
}

/// <summary>
/// Use case "export a trained run": its newest checkpoint (or a kept earlier one) as a PEFT LoRA adapter, a merged
/// Hugging Face folder, a GGUF file or a llama.cpp GGUF LoRA adapter, with how to use what was written.
/// </summary>
public static class ExportRun
{
    /// <summary>Exports the run.</summary>
    public static ExportResponse Run(ExportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string At(string p) => System.IO.Path.GetFullPath(System.IO.Path.Combine(request.WorkingDirectory, p));
        var options = new ExportOptions
        {
            Format = request.Format switch
            {
                "adapter" => ExportFormat.Adapter,
                "merged" => ExportFormat.Merged,
                "gguf" => ExportFormat.Gguf,
                "gguf-lora" => ExportFormat.GgufLora,
                var f => throw new UseCaseException($"--format {f} is unknown; use adapter, merged, gguf or gguf-lora."),
            },
            Output = request.Output is { } o ? At(o) : null,
            GgufType = GgufExportTypes.Parse(request.GgufType) is { } gt && (gt <= GgufExportType.F16 || request.Format == "gguf")
                ? gt
                : throw new UseCaseException($"--gguf-type {request.GgufType} is unknown for --format {request.Format}; use f32, f16, bf16, q8_0, q4_0 or q4_k (gguf-lora: f32 or f16)."),
            Force = request.Force,
            Latest = request.Latest,
            Epoch = request.Epoch is { } e && e < 1 ? throw new UseCaseException("--epoch must be 1 or more.") : request.Epoch,
        };
        var r = Exporter.Export(At(request.Run), options);
        return new ExportResponse(FormatName(r.Format), r.Path, r.Files, r.Checkpoint, r.Epoch, r.ChatTemplateOrigin, ExportUsage.For(r),
            ExportUsage.OllamaModelfile(r), r.Notes) { CarriesTemplate = r.ChatTemplate is not null, ChosenBy = r.ChosenBy };
    }

    private static string FormatName(ExportFormat format) => format == ExportFormat.GgufLora ? "gguf-lora" : format.ToString().ToLowerInvariant();
}
