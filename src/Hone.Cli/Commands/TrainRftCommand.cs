using System.CommandLine;
using System.Globalization;
using Hone.Evals.Graders.Config;
using Hone.Models.Train;
using Hone.Store;
using Hone.Training.Objectives;
using Hone.Training.Rft;
using Hone.Training.Runs;
using Hone.Training.Sft;
using Spectre.Console;

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
        var cmd = new Command("rft", "Reinforcement fine-tuning (GRPO): G samples per prompt from the current model, graders as the reward, group-normalised advantages, KL to the reference.")
        {
            train, valid, grader, samples, prompts, kl, epochs, lrMult, temperature, maxTokens, method, onError, lora.Rank, lora.Alpha, lora.Targets, lora.ModulesToSave, seed,
            evalEvery, overflow.Option, threads, output,
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
                    MicroBatchSize = Math.Clamp(p.GetValue(samples), 1, 16),
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
            var ws = ctx.FindWorkspace();
            using var store = ws?.OpenStore();
            var folder = TrainRunFolder.Resolve(ctx, ws, p.GetValue(output), "rft");
            var result = TrainProgressView.Run(ctx, progress => RftRun.Start(options, RewardLoader(ws, baseModel.Template), folder, store, progress, ctx.Warn, ct));
            return Task.FromResult(Report(ctx, result));
        });
        return cmd;
    }

    /// <summary>
    /// <c>hone train resume</c> on an RFT run folder: continues it with the options and grader file it started with,
    /// and prints the same report as <c>hone train rft</c>.
    /// </summary>
    public static int Resume(CliContext ctx, string folder, RunStore? store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var result = TrainProgressView.Run(ctx, progress => RftRun.Resume(folder, RewardLoader(ctx.FindWorkspace(), null), store, progress, ctx.Warn, ct));
        return Report(ctx, result);
    }

    /// <summary>Builds the reward from a grader file; model graders use the workspace's providers (or <c>local:DIR</c>).</summary>
    internal static Func<string, IRewardFunction> RewardLoader(Workspace? ws, string? template) => path =>
        RewardFromGraders.Load(path, ws is null ? GraderEnvironment.None : new GraderEnvironment { JudgeClient = EvalCommands.Resolver(ws, template).Resolve });

    private static int Report(CliContext ctx, RftRunResult r)
    {
        var s = r.Result;
        var last = s.History.Count > 0 ? s.History[^1] : null;
        double? firstReward = s.History.Count > 0 ? s.History.Take(Math.Max(1, s.History.Count / 5)).Average(h => h.RewardMean) : null;
        double? lastReward = s.History.Count > 0 ? s.History.TakeLast(Math.Max(1, s.History.Count / 5)).Average(h => h.RewardMean) : null;
        ctx.WriteJson(new
        {
            run = r.RunId,
            folder = r.RunFolder,
            reward = r.RewardName,
            epochs = s.Epochs,
            steps = s.Steps,
            learning_rate = s.LearningRate,
            train_prompts = r.TrainPrompts,
            valid_prompts = r.ValidPrompts,
            seconds = r.Seconds,
            results_csv = s.ResultsCsvPath,
            resumed_from_epoch = s.ResumedFromEpoch,
            train_reward_mean_first = firstReward,
            train_reward_mean_last = lastReward,
            final = last is null ? null : new
            {
                step = last.Step, train_loss = last.Loss, train_reward_mean = last.RewardMean, kl = last.Kl,
                zero_variance_group_share = last.ZeroVarianceShare, mean_completion_tokens = last.MeanCompletionTokens,
                train_reward = last.Components,
            },
            epochs_metrics = s.EpochHistory.Select(e => new
            {
                epoch = e.Epoch, step = e.Step, full_valid_mean_reward = e.MeanReward, full_valid_mean_parse_error = e.MeanParseError,
                full_valid_reward = e.Components,
            }),
            chart = s.ChartPath,
            checkpoints = s.KeptCheckpoints,
            diagnosis = s.Diagnosis.Select(f => new { kind = f.Kind.ToString(), message = f.Message, suggestion = f.Suggestion }),
            findings = s.Findings.Select(f => new { where = f.Where, message = f.Message }),
            overflow = TrainCommands.OverflowJson(r.Overflow),
            warnings = r.Warnings,
        });
        ctx.Console.MarkupLine($"[green]RFT[/] {r.TrainPrompts} prompts × {s.Epochs} epochs = {s.Steps} steps (lr {s.LearningRate:0.##e0}, reward {Markup.Escape(r.RewardName)}) in {r.Seconds:0.0} s" +
            (s.ResumedFromEpoch > 0 ? $", resumed after epoch {s.ResumedFromEpoch}" : ""));
        if (last is not null)
        {
            ctx.Console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"train_reward_mean {s.RewardSparkline}  first steps {firstReward:0.000} → last steps {lastReward:0.000}  kl {last.Kl:0.0000}  zero-variance groups {last.ZeroVarianceShare:0%}")));
        }
        if (s.EpochHistory.Count > 0)
        {
            var t = new Table().AddColumns("epoch", "step", "full_valid_mean_reward", "full_valid_mean_parse_error");
            foreach (var e in s.EpochHistory)
                t.AddRow(e.Epoch.ToString(CultureInfo.InvariantCulture), e.Step.ToString(CultureInfo.InvariantCulture),
                    e.MeanReward.ToString("0.000", CultureInfo.InvariantCulture), e.MeanParseError.ToString("0.000", CultureInfo.InvariantCulture));
            ctx.Console.Write(t);
        }
        DiagnosisView.Print(ctx.Console, s.Diagnosis, s.History.Count);
        foreach (var f in s.Findings.Take(20)) ctx.Console.MarkupLine($"[yellow]finding[/] {Markup.Escape(f.ToString())}");
        if (s.Findings.Count > 20) ctx.Console.MarkupLine($"[yellow]… and {s.Findings.Count - 20} more findings[/]");
        ctx.Console.MarkupLine($"run folder {Markup.Escape(r.RunFolder)} (results.csv, chart.svg, checkpoints/, run.json)");
        return ExitCodes.Success;
    }
}
