using System.CommandLine;
using System.Globalization;
using Hone.App.Handoff;
using Hone.Models.Train;
using Hone.Training.Handoff;
using Hone.Training.Sft;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone handoff axolotl|trl</c>: a ready-to-run folder for a distributed trainer; <c>hone handoff import DIR</c>: its
/// result back into the run store. Parsing and printing only: the work is the use cases' (<see cref="HandoffWrite"/>, <see cref="HandoffImportUseCase"/>).
/// </summary>
public static class HandoffCommands
{
    /// <summary>Builds <c>hone handoff</c>.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var cmd = new Command("handoff", "Hand a fine-tuning job to a distributed trainer (Axolotl, TRL) when the model outgrows this machine, and bring the result back.");
        cmd.Subcommands.Add(CreateWrite(host, HandoffTrainer.Axolotl));
        cmd.Subcommands.Add(CreateWrite(host, HandoffTrainer.Trl));
        cmd.Subcommands.Add(CreateImport(host));
        return cmd;
    }

    private static Command CreateWrite(CliHost host, HandoffTrainer trainer)
    {
        var name = trainer.ToString().ToLowerInvariant();
        var baseModel = new Option<string>("--base-model") { Description = "The model the trainer loads (a Hugging Face id such as meta-llama/Llama-2-7b-hf, or a path on the training machines).", Required = true };
        var runConfig = new Option<string?>("--run-config") { Description = "A Hone run (folder or run.json) whose options to translate: data, method, epochs, lr multiplier, batch size, LoRA, β, template; its local model pre-tokenizes the data with exact masks." };
        var data = new Option<string?>("--data") { Description = "Training JSONL (OpenAI chat SFT, or preference pairs with --dpo). Required without --run-config." };
        var valid = new Option<string?>("--valid") { Description = "Validation JSONL." };
        var dpo = new Option<bool>("--dpo") { Description = "DPO instead of SFT." };
        var tokenizer = new Option<string?>("--tokenizer-model") { Description = "A local copy of the base model (tokenizer + chat template) to pre-tokenize the data with Hone's exact per-token masks." };
        var template = new Option<string?>("--template") { Description = "Built-in chat template for --tokenizer-model when it has none." };
        var method = new Option<string>("--method") { Description = "lora or full.", DefaultValueFactory = _ => "lora" };
        var epochs = new Option<string>("--epochs") { Description = "auto or N.", DefaultValueFactory = _ => "auto" };
        var lr = new Option<double>("--lr-multiplier") { Description = "Multiplier of the base learning rate (LoRA 2e-4, full 2e-5).", DefaultValueFactory = _ => 1.0 };
        var batch = new Option<string>("--batch-size") { Description = "Global batch (items per optimiser step): auto or N.", DefaultValueFactory = _ => "auto" };
        var rank = new Option<int>("--lora-rank") { Description = "LoRA rank (alpha = 2 × rank).", DefaultValueFactory = _ => 16 };
        var beta = new Option<double>("--beta") { Description = "DPO β.", DefaultValueFactory = _ => 0.1 };
        var seqLen = new Option<int>("--sequence-length") { Description = "Sequence length.", DefaultValueFactory = _ => 4096 };
        var gpus = new Option<int>("--gpus") { Description = "GPUs per node.", DefaultValueFactory = _ => 8 };
        var nodes = new Option<int>("--nodes") { Description = "Nodes.", DefaultValueFactory = _ => 1 };
        var sharding = new Option<string>("--sharding") { Description = "zero3 (DeepSpeed ZeRO-3) or fsdp2.", DefaultValueFactory = _ => "zero3" };
        sharding.AcceptOnlyFromAmong("zero3", "fsdp2");
        method.AcceptOnlyFromAmong("lora", "full");
        var output = new Option<string?>("--out") { Description = "The folder to write (default runs/handoff-TRAINER-TIME)." };
        var cmd = new Command(name, $"Write a ready-to-run {trainer} folder: data in its format (exact per-token masks with --tokenizer-model or --run-config), config from Hone's options, DeepSpeed ZeRO-3 or FSDP2, launch lines for one node and several, README. Prints the plan (epochs, batch, accumulation) as the estimate.")
        {
            baseModel, runConfig, data, valid, dpo, tokenizer, template, method, epochs, lr, batch, rank, beta, seqLen, gpus, nodes, sharding, output,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var settings = new HandoffSettings(trainer, p.GetValue(baseModel)!)
            {
                RunConfig = p.GetValue(runConfig), Data = p.GetValue(data), Valid = p.GetValue(valid), Dpo = p.GetValue(dpo), TokenizerModel = p.GetValue(tokenizer),
                Template = p.GetValue(template), Method = p.GetValue(method) == "full" ? TrainingMethod.Full : TrainingMethod.Lora,
                Epochs = (int?)AutoOption.Parse(p.GetValue(epochs)!, "--epochs"), LearningRateMultiplier = p.GetValue(lr),
                BatchSize = (int?)AutoOption.Parse(p.GetValue(batch)!, "--batch-size"), LoraRank = p.GetValue(rank), Beta = p.GetValue(beta),
                SequenceLength = p.GetValue(seqLen), GpusPerNode = p.GetValue(gpus), Nodes = p.GetValue(nodes),
                Sharding = p.GetValue(sharding) == "fsdp2" ? HandoffSharding.Fsdp2 : HandoffSharding.Zero3,
            };
            var o = settings.Build(ctx.WorkingDirectory);
            var result = HandoffWrite.Run(new HandoffWriteRequest(o, p.GetValue(output), ctx.WorkingDirectory));
            ctx.WriteJson(result);
            if (!ctx.Json)
            {
                ctx.Console.MarkupLine($"wrote {Markup.Escape(result.Folder)}: {result.Examples} items × {result.Epochs} epochs, global batch {result.GlobalBatch} "
                    + $"= {result.MicroBatch}/GPU × {result.GradientAccumulation} accumulation × {o.GpusPerNode * o.Nodes} GPUs, {(result.PreTokenized ? "pre-tokenized with exact masks" : "chat messages")}.");
                foreach (var f in result.Files) ctx.Console.MarkupLine("  " + Markup.Escape(f));
                ctx.Console.MarkupLine("one node:    " + Markup.Escape(result.SingleNode));
                ctx.Console.MarkupLine("each node:   " + Markup.Escape(result.MultiNode));
            }
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command CreateImport(CliHost host)
    {
        var folder = new Argument<string>("DIR") { Description = "The trainer's output folder: a PEFT adapter or merged model (here or in checkpoint-N) and trainer_state.json." };
        var baseModel = new Option<string?>("--base") { Description = "The local base model: the adapter is loaded over it to check it (and evaluations can use it)." };
        var cmd = new Command("import", "Bring a distributed trainer's result back as a run: the adapter or model as its artifact, trainer_state.json's log history as metrics under Hone's names.") { folder, baseModel };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var r = HandoffImportUseCase.Run(new HandoffImportRequest(p.GetValue(folder)!, p.GetValue(baseModel), ctx.WorkingDirectory));
            ctx.WriteJson(r);
            if (!ctx.Json)
                ctx.Console.MarkupLine($"run {r.RunId}: {r.ModelKind} {Markup.Escape(r.ModelFolder)}{(r.Verified ? " (loads over its base)" : "")}, {r.Steps} logged steps, {r.MetricValues} metric values.");
            return ExitCodes.Success;
        });
        return cmd;
    }
}
