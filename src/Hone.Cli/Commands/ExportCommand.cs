using System.CommandLine;
using Hone.Training.Export;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone export RUN --format adapter|merged|gguf|gguf-lora [--out PATH] [--gguf-type f32|f16] [--epoch N] [--force]</c>: writes a
/// training run's newest checkpoint (or a kept earlier one) as a PEFT LoRA adapter, a merged Hugging Face model folder, a GGUF file
/// or a llama.cpp GGUF LoRA adapter.
/// </summary>
public static class ExportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var run = new Argument<string>("RUN") { Description = "The run folder `hone train sft` wrote (run.json + checkpoints/)." };
        var format = new Option<string>("--format") { Description = "adapter (PEFT LoRA, LoRA runs only), merged (Hugging Face folder), gguf, or gguf-lora (llama.cpp LoRA adapter, LoRA runs only).", Required = true };
        var output = new Option<string?>("--out") { Description = "Output folder (adapter, merged) or .gguf file; default RUN/exports/<format>." };
        var ggufType = new Option<string>("--gguf-type") { Description = "GGUF tensor type: f32 or f16 (matrices; norms stay f32).", DefaultValueFactory = _ => "f32" };
        var force = new Option<bool>("--force") { Description = "Replace an existing output." };
        var epoch = new Option<int?>("--epoch") { Description = "Export the kept checkpoint of this epoch (e.g. the best one an RFT run names) instead of the default." };
        var latest = new Option<bool>("--latest") { Description = "Export the newest checkpoint even when the run names a best one (default: the best by golden-set score when the run was trained with --eval-spec, else the newest)." };
        var cmd = new Command("export", "Export a trained run: a PEFT adapter, a merged Hugging Face model, or GGUF.") { run, format, output, ggufType, epoch, latest, force };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var options = new ExportOptions
            {
                Format = p.GetValue(format) switch
                {
                    "adapter" => ExportFormat.Adapter,
                    "merged" => ExportFormat.Merged,
                    "gguf" => ExportFormat.Gguf,
                    "gguf-lora" => ExportFormat.GgufLora,
                    var f => throw new CliUsageException($"--format {f} is unknown; use adapter, merged, gguf or gguf-lora."),
                },
                Output = p.GetValue(output) is { } o ? ctx.ResolvePath(o) : null,
                GgufType = p.GetValue(ggufType) switch
                {
                    "f32" => GgufExportType.F32,
                    "f16" => GgufExportType.F16,
                    var t => throw new CliUsageException($"--gguf-type {t} is unknown; use f32 or f16."),
                },
                Force = p.GetValue(force),
                Latest = p.GetValue(latest),
                Epoch = p.GetValue(epoch) is { } e && e < 1 ? throw new CliUsageException("--epoch must be 1 or more.") : p.GetValue(epoch),
            };
            var result = Exporter.Export(ctx.ResolvePath(p.GetValue(run)!), options);
            var usage = ExportUsage.For(result);
            var modelfile = ExportUsage.OllamaModelfile(result);
            ctx.WriteJson(new
            {
                format = FormatName(result.Format),
                path = result.Path,
                files = result.Files,
                checkpoint = result.Checkpoint,
                epoch = result.Epoch,
                chosen_by = result.ChosenBy,
                chat_template = result.ChatTemplateOrigin,
                usage,
                ollama_modelfile = modelfile,
                notes = result.Notes,
            });
            if (!ctx.Json)
            {
                ctx.Stdout.WriteLine($"Exported {FormatName(result.Format)} from epoch {result.Epoch} ({result.ChosenBy}) to {result.Path}" +
                    (result.ChatTemplate is not null ? $" (chat template: {result.ChatTemplateOrigin}, carried with it)" : ""));
                foreach (var f in result.Files) ctx.Stdout.WriteLine("  " + Path.GetFileName(f));
                ctx.Stdout.WriteLine("Use it:");
                foreach (var u in usage) ctx.Stdout.WriteLine("  " + u.How);
                if (modelfile is not null)
                {
                    ctx.Stdout.WriteLine("Ollama Modelfile (as is: the template's line breaks count):");
                    ctx.Stdout.Write(modelfile);
                }
                foreach (var n in result.Notes) ctx.Warn(n);
            }

            return ExitCodes.Success;
        });
        return cmd;
    }

    private static string FormatName(ExportFormat format) => format == ExportFormat.GgufLora ? "gguf-lora" : format.ToString().ToLowerInvariant();
}
