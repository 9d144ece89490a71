using System.CommandLine;
using Hone.App.Training;

namespace Hone.Cli.Commands;

/// <summary><c>hone train sft</c> and <c>hone train resume</c>.</summary>
public static class TrainCommands
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return new Command("train", "Fine-tune a local model on this machine (SFT; LoRA or full) and resume killed runs.")
        {
            CreateSft(host),
            TrainDpoCommand.CreateDpo(host),
            TrainDpoCommand.CreateSftThenDpo(host),
            TrainRftCommand.Create(host),
            CreateResume(host),
        };
    }

    private static Command CreateSft(CliHost host)
    {
        var o = new TrainCliOptions();
        o.Output.Description = "Run folder (default: runs/<run id> in the workspace).";
        var train = new Option<string>("--train") { Description = "Training JSONL (chat SFT with loss on assistant turns, or prompt/completion).", Required = true };
        var valid = new Option<string?>("--valid") { Description = "Validation JSONL (valid_loss, valid_mean_token_accuracy, full_valid_*)." };
        var dropout = new Option<float>("--lora-dropout") { Description = "LoRA dropout on the adapter input.", DefaultValueFactory = _ => 0 };
        var trainOnInputs = new Option<bool>("--train-on-inputs") { Description = "Take the loss on every token, not only on assistant turns." };
        var packing = new Option<bool>("--packing") { Description = "Pack several examples per row (no attention across them)." };
        var dryRun = TrainCliOptions.DryRun();
        var cmd = new Command("sft", "Supervised fine-tuning with the loss on assistant tokens only; LoRA or full; metrics, curves, checkpoints each epoch.")
        {
            train, valid, dropout, trainOnInputs, packing, dryRun,
        };
        o.AddTo(cmd);
        host.SetHandler(cmd, (p, ctx, ct) =>
        {
            static bool Given(ParseResult p, Option o) => p.GetResult(o) is { Implicit: false };
            var request = new TrainSftArgs(o.Bind(p, ctx, p.GetValue(dropout)), ctx.ResolvePath(p.GetValue(train)!))
            {
                ValidFile = p.GetValue(valid) is { } v ? ctx.ResolvePath(v) : null, TrainOnInputs = p.GetValue(trainOnInputs), Packing = p.GetValue(packing),
                Defaults = new WorkspaceTrainDefaults(Given(p, o.Epochs), Given(p, o.LrMultiplier), Given(p, o.Lora.Rank)),
            }.ToRequest();
            if (p.GetValue(dryRun)) return Task.FromResult(TrainReports.DryRun(ctx, PlanSft.Run(request, ctx.Warn)));
            return Task.FromResult(TrainReports.Sft(ctx, TrainProgressView.Run(ctx, progress => TrainSft.Run(request, progress, ctx.Warn, ct))));
        });
        return cmd;
    }

    private static Command CreateResume(CliHost host)
    {
        var run = new Argument<string>("RUN") { Description = "The run's folder, or its id in this workspace's run store." };
        var cmd = new Command("resume", "Continue a killed training run from its last checkpoint, with the options it started with.") { run };
        host.SetHandler(cmd, (p, ctx, ct) =>
        {
            var request = new TrainResumeRequest(p.GetValue(run)!, ctx.WorkingDirectory);
            return Task.FromResult(TrainReports.Print(ctx, TrainProgressView.Run(ctx, progress => TrainResume.Run(request, progress, ctx.Warn, ct))));
        });
        return cmd;
    }
}
