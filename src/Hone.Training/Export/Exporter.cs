using Hone.Models.Adapters;
using Hone.Training.Sft;

namespace Hone.Training.Export;

/// <summary>
/// Exports a training run's newest checkpoint (or the one of <see cref="ExportOptions.Epoch"/>) as a PEFT adapter, a merged Hugging Face folder or a GGUF file. Every
/// output is written into a temporary sibling and renamed into place, so a folder or file at the output path is always
/// whole; an existing output is replaced only with <see cref="ExportOptions.Force"/>. The run folder is never changed.
/// </summary>
public static class Exporter
{
    /// <summary>Runs one export.</summary>
    /// <exception cref="TrainingException">The run is unusable, the format does not fit the run, or the output exists.</exception>
    public static ExportResult Export(string runPath, ExportOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(runPath);
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(options.Format)) throw new TrainingException($"Export format {options.Format} is unknown; use adapter, merged, gguf or gguf-lora.");
        if (options.Latest && options.Epoch is not null) throw new TrainingException("Give --epoch N or --latest, not both.");
        var run = TrainedRun.Open(runPath, options.Epoch, preferBest: !options.Latest);
        if (options.Format is ExportFormat.Adapter or ExportFormat.GgufLora && run.Method != TrainingMethod.Lora)
            throw new TrainingException($"{run.Path}: this is a full fine-tuning run; it has no adapter. Export it with --format merged or --format gguf.");
        var output = options.ResolveOutput(run.Path);
        if (output.StartsWith(Path.Combine(run.Path, "checkpoints"), StringComparison.Ordinal))
            throw new TrainingException($"{output}: do not export into the run's checkpoints folder; choose another --out.");
        if ((File.Exists(output) || Directory.Exists(output)) && !options.Force)
            throw new TrainingException($"{output} already exists; pass --force to replace it, or choose another --out.");
        if (options.Format == ExportFormat.GgufLora && options.GgufType > GgufExportType.F16)
            throw new TrainingException($"A GGUF LoRA adapter is written F32 or F16, not {options.GgufType.Name()}; quantise the merged model instead (--format gguf --gguf-type {options.GgufType.Name()}).");
        if (options.Format == ExportFormat.Gguf && !output.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            throw new TrainingException($"{output}: a GGUF export is a file ending in .gguf.");

        using var baseModel = run.LoadBase();
        Directory.CreateDirectory(Path.GetDirectoryName(output)!); // the inputs are valid: only now is anything made
        var notes = new List<string>();
        List<string> files;
        if (options.Format == ExportFormat.GgufLora)
        {
            if (!output.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || Directory.Exists(output)) throw new TrainingException($"{output}: a GGUF LoRA export is a file ending in .gguf.");
            GgufLoraExport.Build(run.ToAdapter(baseModel.Config), baseModel.Config, Path.GetFileNameWithoutExtension(output), options.GgufType).Write(output);
            notes.Add($"A llama.cpp LoRA adapter: load it over a GGUF of the base model {run.ModelPath} (llama-cli -m BASE.gguf --lora {output}).");
            files = [output];
        }
        else if (options.Format == ExportFormat.Gguf)
        {
            var tokenizer = GgufTokenizerMetadata.Build(run.ModelPath, run.TokenizerSource, baseModel.Config.ModelType, baseModel.Config.VocabSize, notes,
                run.ChatTemplate);
            using var weights = run.TunedWeights(baseModel);
            var writer = GgufExport.Build(weights, Path.GetFileNameWithoutExtension(output), options.GgufType, tokenizer, notes);
            if (Directory.Exists(output)) throw new TrainingException($"{output} is a folder; give a .gguf file path.");
            writer.Write(output); // temporary file renamed over the target
            files = [output];
        }
        else
        {
            files = WriteFolder(output, options.Force, temp =>
            {
                if (options.Format == ExportFormat.Adapter)
                {
                    PeftAdapterFiles.Write(run.ToAdapter(baseModel.Config), temp);
                }
                else
                {
                    using var weights = run.TunedWeights(baseModel);
                    HfFolderExport.WriteModel(weights, run.ModelPath, temp);
                }

                // The tokenizer and the run's chat template travel with the folder (beside an adapter as TRL saves them).
                TokenizerExport.Write(run, temp, baseModel.Config.MaxSeqLen, options.Format == ExportFormat.Merged, notes);
            });
        }

        return new ExportResult(options.Format, output, files, run.Checkpoint, run.Epoch, notes)
        {
            ChosenBy = run.ChosenBy, BaseModel = run.ModelPath, ChatTemplateOrigin = run.ChatTemplateOrigin, EosToken = run.EosToken, ChatTemplate = options.Format == ExportFormat.GgufLora ? null : run.ChatTemplate,
        };
    }

    /// <summary>Fills a temporary sibling folder, then renames it to <paramref name="output"/> (replacing it when forced).</summary>
    private static List<string> WriteFolder(string output, bool force, Action<string> fill)
    {
        var temp = Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            fill(temp);
            if (File.Exists(output))
            {
                if (!force) throw new TrainingException($"{output} already exists; pass --force to replace it.");
                File.Delete(output);
            }

            if (Directory.Exists(output))
            {
                if (!force) throw new TrainingException($"{output} already exists; pass --force to replace it.");
                var old = temp + ".old";
                Directory.Move(output, old);
                Directory.Move(temp, output);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temp, output);
            }
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }

        return [.. Directory.GetFiles(output).Order(StringComparer.Ordinal)];
    }
}
