using Hone.App.Training;
using System.CommandLine;
using Hone.Models.Train;
using Hone.Training.Objectives;
using Hone.Training.Rft;
using Hone.Training.Sft;

namespace Hone.Cli.Commands;

/// <summary><c>hone train rft</c>: wiring from options to <see cref="RftRun"/>, with graders as the reward.</summary>
public static class TrainRftCommand
{
    /// <summary><c>hone train rft</c>.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var defaults = new RftOptions();
        var local = ModelCliOptions.Local(); // the base model
        var train = new Option<string>("--train") { Description = "Training prompts: OpenAI reinforcement JSONL (messages ending with a user turn, plus the fields the grader reads).", Required = true };
        var valid = new Option<string>("--valid") { Description = "Validation prompts (valid_reward_mean, full_valid_mean_reward, full_valid_mean_parse_error).", Required = true };
        var grader = new Option<string>("--grader") { Description = "The reward: a grader in Hone YAML (any type; multi combines several), or OpenAI grader JSON when the file ends in .json.", Required = true };
        var samples = new Option<int>("--samples-per-prompt") { Description = "G: samples per prompt (a group); advantages are normalised within it.", DefaultValueFactory = _ => defaults.SamplesPerPrompt };
        var prompts = new Option<int>("--prompts-per-step") { Description = "Prompts per optimiser step.", DefaultValueFactory = _ => defaults.PromptsPerStep };
        var kl = new Option<double>("--kl") { Description = "Weight of the KL penalty to the reference (0 = off).", DefaultValueFactory = _ => defaults.Grpo.KlBeta };
        var epochs = new Option<string>("--epochs") { Description = "auto (the rule 'hone data check' prints) or N passes over the training prompts.", DefaultValueFactory = _ => "auto" };
        var lrMult = new Option<double>("--lr-multiplier") { Description = $"Learning rate = base × this (base {SftOptions.LoraBaseLearningRate:0e0} for LoRA, {SftOptions.FullBaseLearningRate:0e0} for full).", DefaultValueFactory = _ => 1.0 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature of the rollouts (validation decodes greedily).", DefaultValueFactory = _ => defaults.Temperature };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most new tokens per sample.", DefaultValueFactory = _ => defaults.MaxTokens };
        var method = new Option<string>("--method") { Description = "lora (the KL reference is the base with adapters off) or full.", DefaultValueFactory = _ => "lora" };
        method.AcceptOnlyFromAmong("lora", "full");
        var onError = new Option<string>("--on-grader-error") { Description = "skip (record a finding with the line, drop the group, go on) or stop.", DefaultValueFactory = _ => "skip" };
        onError.AcceptOnlyFromAmong("skip", "stop");
        var lora = new LoraCliOptions();
        var overflow = new OverflowCliOption();
        var seed = new Option<long>("--seed") { Description = "Seed of the shuffle and the samplers: the same seed gives the same run on the same machine.", DefaultValueFactory = _ => 42 };
        var evalEvery = new Option<int>("--eval-every") { Description = "Steps between validation-batch metrics (valid_reward_mean); 0 = none.", DefaultValueFactory = _ => defaults.EvalEvery };
        var threads = new Option<int>("--threads") { Description = "Engine threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/rft-<time> in the workspace)." };
        var evalSpec = EvalSpecCliOption.Create();
        var cmd = new Command("rft", "Reinforcement fine-tuning (GRPO): G samples per prompt from the current model, graders as the reward, group-normalised advantages, KL to the reference.")
        {
            train, valid, grader, samples, prompts, kl, epochs, lrMult, temperature, maxTokens, method, onError, lora.Rank, lora.Alpha, lora.Targets, lora.ModulesToSave, seed,
            evalEvery, overflow.Option, threads, output, evalSpec,
        };
        local.AddTo(cmd);
        host.SetHandler(cmd, (p, ctx, ct) =>
        {
            var baseModel = local.Get(p, ctx)!;
            var options = new RftRunOptions
            {
                ModelPath = baseModel.Path,
                TrainFile = ctx.ResolvePath(p.GetValue(train)!),
                ValidFile = ctx.ResolvePath(p.GetValue(valid)!),
                GraderFile = ctx.ResolvePath(p.GetValue(grader)!),
                TokenizerPath = baseModel.Tokenizer,
                Template = baseModel.Template,
                Threads = p.GetValue(threads),
                OnOverflow = overflow.Get(p),
                Trainer = new RftOptions
                {
                    Method = p.GetValue(method) == "full" ? TrainingMethod.Full : TrainingMethod.Lora,
                    Epochs = DataCheckCommand.ParseEpochs(p.GetValue(epochs)!),
                    PromptsPerStep = p.GetValue(prompts),
                    SamplesPerPrompt = p.GetValue(samples),
                    LearningRateMultiplier = p.GetValue(lrMult),
                    Grpo = defaults.Grpo with { KlBeta = p.GetValue(kl) },
                    Temperature = p.GetValue(temperature),
                    MaxTokens = p.GetValue(maxTokens),
                    OnGraderError = p.GetValue(onError) == "stop" ? GraderErrorPolicy.Stop : GraderErrorPolicy.Skip,
                    Seed = p.GetValue(seed),
                    EvalEvery = p.GetValue(evalEvery),
                },
                Lora = lora.Build(p, p.GetValue(seed)),
            };
            var request = new TrainRftRequest(options, new TrainPlace(ctx.WorkingDirectory, p.GetValue(output))) { EvalSpec = p.GetValue(evalSpec) };
            return Task.FromResult(TrainReports.Rft(ctx, TrainProgressView.Run(ctx, progress => TrainRft.Run(request, progress, ctx.Warn, ct))));
        });
        return cmd;
    }
}
