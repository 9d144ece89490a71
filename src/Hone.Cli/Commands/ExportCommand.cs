using System.CommandLine;
using Hone.App.Export;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone export RUN --format adapter|merged|gguf|gguf-lora [--out PATH] [--gguf-type f32|f16|bf16|q8_0|q4_0|q4_k] [--epoch N] [--force]</c>: writes a
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
        var ggufType = new Option<string>("--gguf-type") { Description = "GGUF tensor type of the matrices: f32, f16, bf16, q8_0, q4_0 or q4_k (norms stay f32; gguf-lora: f32 or f16).", DefaultValueFactory = _ => "f32" };
        var force = new Option<bool>("--force") { Description = "Replace an existing output." };
        var epoch = new Option<int?>("--epoch") { Description = "Export the kept checkpoint of this epoch (e.g. the best one an RFT run names) instead of the default." };
        var latest = new Option<bool>("--latest") { Description = "Export the newest checkpoint even when the run names a best one (default: the best by golden-set score when the run was trained with --eval-spec, else the newest)." };
        var cmd = new Command("export", "Export a trained run: a PEFT adapter, a merged Hugging Face model, or GGUF.") { run, format, output, ggufType, epoch, latest, force };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var r = ExportRun.Run(new ExportRequest(p.GetValue(run)!, ctx.WorkingDirectory, p.GetValue(format)!, p.GetValue(output), p.GetValue(ggufType)!,
                p.GetValue(epoch), p.GetValue(force)) { Latest = p.GetValue(latest) });
            ctx.WriteJson(r);
            if (!ctx.Json)
            {
                ctx.Stdout.WriteLine($"Exported {r.Format} from epoch {r.Epoch} ({r.ChosenBy}) to {r.Path}" +
                    (r.CarriesTemplate ? $" (chat template: {r.ChatTemplate}, carried with it)" : ""));
                foreach (var f in r.Files) ctx.Stdout.WriteLine("  " + Path.GetFileName(f));
                ctx.Stdout.WriteLine("Use it:");
                foreach (var u in r.Usage) ctx.Stdout.WriteLine("  " + u.How);
                if (r.OllamaModelfile is not null)
                {
                    ctx.Stdout.WriteLine("Ollama Modelfile (as is: the template's line breaks count):");
                    ctx.Stdout.Write(r.OllamaModelfile);
                }
                foreach (var n in r.Notes) ctx.Warn(n);
            }

            return ExitCodes.Success;
        });
        return cmd;
    }
}
