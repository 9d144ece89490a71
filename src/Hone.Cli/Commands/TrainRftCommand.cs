using Hone.App.Training;
using System.CommandLine;
using Hone.Training.Rft;

namespace Hone.Cli.Commands;

/// <summary><c>hone train rft</c>: parse into <see cref="TrainRftArgs"/> (graders as the reward), run <see cref="TrainRft"/>, print.</summary>
public static class TrainRftCommand
{
    /// <summary><c>hone train rft</c>.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var defaults = new RftOptions();
        var o = new TrainCliOptions();
        o.Method.Description = "lora (the KL reference is the base with adapters off) or full.";
        o.Epochs.Description = "auto (the rule 'hone data check' prints) or N passes over the training prompts.";
        o.Seed.Description = "Seed of the shuffle and the samplers: the same seed gives the same run on the same machine.";
        o.EvalEvery.Description = "Steps between validation-batch metrics (valid_reward_mean); 0 = none.";
        o.EvalEvery.DefaultValueFactory = _ => defaults.EvalEvery;
        o.Output.Description = "Run folder (default: runs/rft-<time> in the workspace).";
        var train = new Option<string>("--train") { Description = "Training prompts: OpenAI reinforcement JSONL (messages ending with a user turn, plus the fields the grader reads).", Required = true };
        var valid = new Option<string>("--valid") { Description = "Validation prompts (valid_reward_mean, full_valid_mean_reward, full_valid_mean_parse_error).", Required = true };
        var grader = new Option<string>("--grader") { Description = "The reward: a grader in Hone YAML (any type; multi combines several), or OpenAI grader JSON when the file ends in .json.", Required = true };
        var samples = new Option<int>("--samples-per-prompt") { Description = "G: samples per prompt (a group); advantages are normalised within it.", DefaultValueFactory = _ => defaults.SamplesPerPrompt };
        var prompts = new Option<int>("--prompts-per-step") { Description = "Prompts per optimiser step.", DefaultValueFactory = _ => defaults.PromptsPerStep };
        var kl = new Option<double>("--kl") { Description = "Weight of the KL penalty to the reference (0 = off).", DefaultValueFactory = _ => defaults.Grpo.KlBeta };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature of the rollouts (validation decodes greedily).", DefaultValueFactory = _ => defaults.Temperature };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most new tokens per sample.", DefaultValueFactory = _ => defaults.MaxTokens };
        var onError = new Option<string>("--on-grader-error") { Description = "skip (record a finding with the line, drop the group, go on) or stop.", DefaultValueFactory = _ => "skip" };
        onError.AcceptOnlyFromAmong("skip", "stop");
        var dryRun = TrainCliOptions.DryRun();
        var cmd = new Command("rft", "Reinforcement fine-tuning (GRPO): G samples per prompt from the current model, graders as the reward, group-normalised advantages, KL to the reference.")
        {
            train, valid, grader, samples, prompts, kl, temperature, maxTokens, onError, dryRun,
        };
        o.AddTo(cmd, batch: false);
        host.SetHandler(cmd, (p, ctx, ct) =>
        {
            var request = new TrainRftArgs(o.Bind(p, ctx), ctx.ResolvePath(p.GetValue(train)!), ctx.ResolvePath(p.GetValue(valid)!), ctx.ResolvePath(p.GetValue(grader)!))
            {
                SamplesPerPrompt = p.GetValue(samples), PromptsPerStep = p.GetValue(prompts), Kl = p.GetValue(kl), Temperature = p.GetValue(temperature),
                MaxTokens = p.GetValue(maxTokens), OnGraderError = p.GetValue(onError)!,
            }.ToRequest();
            if (p.GetValue(dryRun)) return Task.FromResult(TrainReports.DryRun(ctx, PlanRft.Run(request, ctx.Warn)));
            return Task.FromResult(TrainReports.Rft(ctx, TrainProgressView.Run(ctx, progress => TrainRft.Run(request, progress, ctx.Warn, ct))));
        });
        return cmd;
    }
}
