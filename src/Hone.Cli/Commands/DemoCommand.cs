using System.CommandLine;
using Hone.App.Demo;
using Hone.Training.Sft;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone demo</c>: the whole loop on a built-in task, offline (<see cref="DemoLoop"/>): data QA, a base model,
/// its baseline, the prompt stage, a LoRA fine-tune and the before/after table, printed step by step by
/// <see cref="DemoView"/>. <c>--model DIR</c> runs the same loop on a real model.
/// </summary>
public static class DemoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var dir = new Option<string?>("--dir") { Description = "Workspace folder for the demo (default: a new folder under the system temp folder). A second run in the same folder reuses the built base model." };
        var examples = new Option<int?>("--examples") { Description = "Training examples to generate (default 400; 60 with --quick); the golden set is 120 cases (30 with --quick)." };
        var seed = new Option<int>("--seed") { Description = "Seed for the generated task, the base model and the fine-tune.", DefaultValueFactory = _ => 1 };
        var quick = new Option<bool>("--quick") { Description = "Small sizes (a tiny base model, few examples): the loop in seconds, for tests." };
        var local = ModelCliOptions.Local(required: false); // run the loop on this model instead of the built-in one
        var epochs = new Option<int?>("--epochs") { Description = "LoRA epochs (default 30; 6 with --quick)." };
        var lrMult = new Option<double?>("--lr-multiplier") { Description = $"LoRA learning rate = {SftOptions.LoraBaseLearningRate:0e0} × this (default 25 on the built-in model, 1 on --model)." };
        var rank = new Option<int>("--lora-rank") { Description = "LoRA rank.", DefaultValueFactory = _ => 16 };
        var threads = new Option<int>("--threads") { Description = "Engine threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("demo", "Run Hone's whole loop offline on a built-in task (orders to JSON): data QA, base model, baseline, LoRA fine-tune, before/after.")
        {
            dir, examples, seed, quick, epochs, lrMult, rank, threads,
        };
        local.AddTo(cmd);
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var model = local.Get(p, ctx);
            var request = new DemoRequest
            {
                Folder = p.GetValue(dir) is { } d ? ctx.ResolvePath(d) : null,
                Examples = p.GetValue(examples),
                Seed = p.GetValue(seed),
                Quick = p.GetValue(quick),
                ModelPath = model?.Path,
                TokenizerPath = model?.Tokenizer,
                Template = model?.Template,
                Epochs = p.GetValue(epochs),
                LrMultiplier = p.GetValue(lrMult),
                LoraRank = p.GetValue(rank),
                Threads = p.GetValue(threads),
            };
            var view = new DemoView(ctx);
            var result = await DemoLoop.RunAsync(request, view, ct).ConfigureAwait(false);
            if (result.Completed) view.PrintSummary(result);
            ctx.WriteJson(result);
            return result.Completed ? ExitCodes.Success : ExitCodes.ProblemsFound;
        });
        return cmd;
    }
}
