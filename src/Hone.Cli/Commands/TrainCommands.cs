using System.CommandLine;
using Hone.Models.Train;
using Hone.App.Training;
using Hone.Training.Runs;
using Hone.Training.Sft;

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
        var local = ModelCliOptions.Local(); // the base model
        var train = new Option<string>("--train") { Description = "Training JSONL (chat SFT with loss on assistant turns, or prompt/completion).", Required = true };
        var valid = new Option<string?>("--valid") { Description = "Validation JSONL (valid_loss, valid_mean_token_accuracy, full_valid_*)." };
        var method = new Option<string>("--method") { Description = "lora (only adapter matrices train) or full.", DefaultValueFactory = _ => "lora" };
        method.AcceptOnlyFromAmong("lora", "full");
        var epochs = new Option<string>("--epochs") { Description = "auto (the rule 'hone data check' prints) or N.", DefaultValueFactory = _ => "auto" };
        var batch = new Option<string>("--batch-size") { Description = "auto (n/16 clamped to 1..8) or N examples per optimiser step.", DefaultValueFactory = _ => "auto" };
        var lrMult = new Option<double>("--lr-multiplier") { Description = $"Learning rate = base × this (base {SftOptions.LoraBaseLearningRate:0e0} for LoRA, {SftOptions.FullBaseLearningRate:0e0} for full).", DefaultValueFactory = _ => 1.0 };
        var lora = new LoraCliOptions();
        var overflow = new OverflowCliOption();
        var dropout = new Option<float>("--lora-dropout") { Description = "LoRA dropout on the adapter input.", DefaultValueFactory = _ => 0 };
        var seed = new Option<long>("--seed") { Description = "Seed: the same seed gives a bit-identical run on the same machine.", DefaultValueFactory = _ => 42 };
        var trainOnInputs = new Option<bool>("--train-on-inputs") { Description = "Take the loss on every token, not only on assistant turns." };
        var packing = new Option<bool>("--packing") { Description = "Pack several examples per row (no attention across them)." };
        var evalEvery = new Option<int>("--eval-every") { Description = "Steps between validation-batch metrics.", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "Engine threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var recompute = new Option<bool>("--recompute") { Description = "Activation checkpointing: recompute each layer's forward in the backward (less memory, same results)." };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/<run id> in the workspace)." };
        var evalSpec = EvalSpecCliOption.Create();
        var cmd = new Command("sft", "Supervised fine-tuning with the loss on assistant tokens only; LoRA or full; metrics, curves, checkpoints each epoch.")
        {
            train, valid, method, epochs, batch, lrMult, lora.Rank, lora.Alpha, dropout, lora.Targets, lora.ModulesToSave, lora.BaseDType, seed, trainOnInputs, packing, evalEvery,
            overflow.Option, threads, recompute, output, evalSpec,
        };
        local.AddTo(cmd);
        host.SetHandler(cmd, (p, ctx, ct) =>
        {
            var baseModel = local.Get(p, ctx)!;
            var options = new SftRunOptions
            {
                ModelPath = baseModel.Path,
                TrainFile = ctx.ResolvePath(p.GetValue(train)!),
                ValidFile = p.GetValue(valid) is { } v ? ctx.ResolvePath(v) : null,
                TokenizerPath = baseModel.Tokenizer,
                Template = baseModel.Template,
                Threads = p.GetValue(threads),
                Recompute = p.GetValue(recompute),
                OnOverflow = overflow.Get(p),
                Trainer = new SftOptions
                {
                    Method = p.GetValue(method) == "full" ? TrainingMethod.Full : TrainingMethod.Lora,
                    Epochs = DataCheckCommand.ParseEpochs(p.GetValue(epochs)!),
                    BatchSize = TrainDpoCommand.ParseAuto(p.GetValue(batch)!, "--batch-size"),
                    LearningRateMultiplier = p.GetValue(lrMult),
                    Seed = p.GetValue(seed),
                    TrainOnInputs = p.GetValue(trainOnInputs),
                    Packing = p.GetValue(packing),
                    EvalEvery = p.GetValue(evalEvery),
                },
                Lora = lora.Build(p, p.GetValue(seed), p.GetValue(dropout)),
            };
            static bool Given(ParseResult p, Option o) => p.GetResult(o) is { Implicit: false };
            var request = new TrainSftRequest(options, new TrainPlace(ctx.WorkingDirectory, p.GetValue(output)))
            {
                EvalSpec = p.GetValue(evalSpec), Defaults = new WorkspaceTrainDefaults(Given(p, epochs), Given(p, lrMult), Given(p, lora.Rank)),
            };
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
