using System.CommandLine;
using System.Globalization;
using Hone.Models.Train;
using Hone.Training.Dpo;
using Hone.App.Training;
using Hone.Training.Objectives;
using Hone.Training.Sft;

namespace Hone.Cli.Commands;

/// <summary><c>hone train dpo</c> and <c>hone train sft-then-dpo</c>: wiring from options to <see cref="DpoRun"/>.</summary>
public static class TrainDpoCommand
{
    /// <summary><c>hone train dpo</c>.</summary>
    public static Command CreateDpo(CliHost host) => Create(host, "dpo",
        "Direct preference optimisation on preference pairs (prompt masked, completions scored; reference log-probs computed once).", twoStage: false);

    /// <summary><c>hone train sft-then-dpo</c>.</summary>
    public static Command CreateSftThenDpo(CliHost host) => Create(host, "sft-then-dpo",
        "SFT on the preferred outputs, then DPO from the SFT model: one run with two stages (sft/, dpo/).", twoStage: true);

    private static Command Create(CliHost host, string name, string description, bool twoStage)
    {
        ArgumentNullException.ThrowIfNull(host);
        var local = ModelCliOptions.Local(); // the base model
        var pairs = new Option<string>("--pairs") { Description = "Preference pairs: OpenAI preference JSONL, HF prompt/chosen/rejected, or ShareGPT preference JSON.", Required = true };
        var valid = new Option<string?>("--valid") { Description = "Validation pairs (valid_* and full_valid_* reward metrics)." };
        var beta = new Option<string>("--beta") { Description = $"DPO beta: auto ({DpoSettings.DefaultBeta}) or a positive number.", DefaultValueFactory = _ => "auto" };
        var loss = new Option<string>("--loss") { Description = "sigmoid (the DPO paper), ipo or hinge.", DefaultValueFactory = _ => "sigmoid" };
        loss.AcceptOnlyFromAmong("sigmoid", "ipo", "hinge");
        var sftWeight = new Option<double>("--sft-weight") { Description = "Weight of an added SFT term on the chosen completion (0 = none).", DefaultValueFactory = _ => 0 };
        var method = new Option<string>("--method") { Description = "lora (only adapter matrices train; the reference is the base with adapters off) or full.", DefaultValueFactory = _ => "lora" };
        method.AcceptOnlyFromAmong("lora", "full");
        var epochs = new Option<string>("--epochs") { Description = "auto (the rule 'hone data check' prints) or N.", DefaultValueFactory = _ => "auto" };
        var sftEpochs = new Option<string>("--sft-epochs") { Description = "Epochs of the SFT stage: auto or N.", DefaultValueFactory = _ => "auto" };
        var batch = new Option<string>("--batch-size") { Description = "auto (n/16 clamped to 1..8) or N pairs per optimiser step.", DefaultValueFactory = _ => "auto" };
        var lrMult = new Option<double>("--lr-multiplier") { Description = $"Learning rate = base × this (base {SftOptions.LoraBaseLearningRate:0e0} for LoRA, {SftOptions.FullBaseLearningRate:0e0} for full).", DefaultValueFactory = _ => 1.0 };
        var lora = new LoraCliOptions();
        var overflow = new OverflowCliOption();
        var seed = new Option<long>("--seed") { Description = "Seed: the same seed gives a bit-identical run on the same machine.", DefaultValueFactory = _ => 42 };
        var evalEvery = new Option<int>("--eval-every") { Description = "Steps between validation-batch metrics.", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "Engine threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/<kind>-<time> in the workspace)." };
        var evalSpec = EvalSpecCliOption.Create();
        var cmd = new Command(name, description)
        {
            pairs, valid, beta, loss, sftWeight, method, epochs, batch, lrMult, lora.Rank, lora.Alpha, lora.Targets, lora.ModulesToSave, seed, evalEvery,
            overflow.Option, threads, output, evalSpec,
        };
        local.AddTo(cmd);
        if (twoStage) cmd.Add(sftEpochs);
        host.SetHandler(cmd, (p, ctx, ct) =>
        {
            var full = p.GetValue(method) == "full";
            var betaText = p.GetValue(beta)!;
            double betaValue = betaText == "auto" ? DpoSettings.DefaultBeta
                : double.TryParse(betaText, NumberStyles.Float, CultureInfo.InvariantCulture, out var b) && b > 0 ? b
                : throw new CliUsageException($"--beta '{betaText}' must be 'auto' or a positive number.");
            var lossKind = p.GetValue(loss) switch { "ipo" => DpoLossKind.Ipo, "hinge" => DpoLossKind.Hinge, _ => DpoLossKind.Sigmoid };
            var baseModel = local.Get(p, ctx)!;
            var options = new DpoRunOptions
            {
                ModelPath = baseModel.Path,
                PairsFile = ctx.ResolvePath(p.GetValue(pairs)!),
                ValidFile = p.GetValue(valid) is { } v ? ctx.ResolvePath(v) : null,
                TokenizerPath = baseModel.Tokenizer,
                Template = baseModel.Template,
                Threads = p.GetValue(threads),
                OnOverflow = overflow.Get(p),
                Trainer = new DpoOptions
                {
                    Method = full ? TrainingMethod.Full : TrainingMethod.Lora,
                    Epochs = DataCheckCommand.ParseEpochs(p.GetValue(epochs)!),
                    BatchSize = ParseAuto(p.GetValue(batch)!, "--batch-size"),
                    LearningRateMultiplier = p.GetValue(lrMult),
                    Seed = p.GetValue(seed),
                    EvalEvery = p.GetValue(evalEvery),
                    Dpo = new DpoSettings(betaValue, lossKind, p.GetValue(sftWeight)),
                },
                SftStage = !twoStage ? null : new SftOptions
                {
                    Method = full ? TrainingMethod.Full : TrainingMethod.Lora,
                    Epochs = DataCheckCommand.ParseEpochs(p.GetValue(sftEpochs)!),
                    BatchSize = ParseAuto(p.GetValue(batch)!, "--batch-size"),
                    LearningRateMultiplier = p.GetValue(lrMult),
                    Seed = p.GetValue(seed),
                    EvalEvery = p.GetValue(evalEvery),
                },
                Lora = lora.Build(p, p.GetValue(seed)),
            };
            var request = new TrainDpoRequest(options, new TrainPlace(ctx.WorkingDirectory, p.GetValue(output))) { EvalSpec = p.GetValue(evalSpec) };
            return Task.FromResult(TrainReports.Dpo(ctx, TrainProgressView.Run(ctx, progress => TrainDpo.Run(request, progress, ctx.Warn, ct))));
        });
        return cmd;
    }

    /// <summary><c>auto</c> → null, else a whole number ≥ 1.</summary>
    internal static int? ParseAuto(string s, string name) =>
        s == "auto" ? null
        : int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n
        : throw new CliUsageException($"{name} '{s}' must be 'auto' or a whole number of at least 1.");
}
