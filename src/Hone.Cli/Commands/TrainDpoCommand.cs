using System.CommandLine;
using Hone.Training.Objectives;
using Hone.App.Training;

namespace Hone.Cli.Commands;

/// <summary><c>hone train dpo</c> and <c>hone train sft-then-dpo</c>: parse into <see cref="TrainDpoArgs"/>, run <see cref="TrainDpo"/>, print.</summary>
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
        var o = new TrainCliOptions();
        o.Method.Description = "lora (only adapter matrices train; the reference is the base with adapters off) or full.";
        o.Batch.Description = "auto (n/16 clamped to 1..8) or N pairs per optimiser step.";
        var pairs = new Option<string>("--pairs") { Description = "Preference pairs: OpenAI preference JSONL, HF prompt/chosen/rejected, or ShareGPT preference JSON.", Required = true };
        var valid = new Option<string?>("--valid") { Description = "Validation pairs (valid_* and full_valid_* reward metrics)." };
        var beta = new Option<string>("--beta") { Description = $"DPO beta: auto ({DpoSettings.DefaultBeta}) or a positive number.", DefaultValueFactory = _ => "auto" };
        var loss = new Option<string>("--loss") { Description = "sigmoid (the DPO paper), ipo or hinge.", DefaultValueFactory = _ => "sigmoid" };
        loss.AcceptOnlyFromAmong("sigmoid", "ipo", "hinge");
        var sftWeight = new Option<double>("--sft-weight") { Description = "Weight of an added SFT term on the chosen completion (0 = none).", DefaultValueFactory = _ => 0 };
        var sftEpochs = new Option<string>("--sft-epochs") { Description = "Epochs of the SFT stage: auto or N.", DefaultValueFactory = _ => "auto" };
        var dryRun = TrainCliOptions.DryRun();
        var cmd = new Command(name, description) { pairs, valid, beta, loss, sftWeight, dryRun };
        o.AddTo(cmd);
        if (twoStage) cmd.Add(sftEpochs);
        host.SetHandler(cmd, (p, ctx, ct) =>
        {
            var request = new TrainDpoArgs(o.Bind(p, ctx), ctx.ResolvePath(p.GetValue(pairs)!))
            {
                ValidFile = p.GetValue(valid) is { } v ? ctx.ResolvePath(v) : null, Beta = p.GetValue(beta)!, Loss = p.GetValue(loss)!, SftWeight = p.GetValue(sftWeight),
                SftEpochs = twoStage ? p.GetValue(sftEpochs) : null,
            }.ToRequest();
            if (p.GetValue(dryRun)) return Task.FromResult(TrainReports.DryRun(ctx, PlanDpo.Run(request, ctx.Warn)));
            return Task.FromResult(TrainReports.Dpo(ctx, TrainProgressView.Run(ctx, progress => TrainDpo.Run(request, progress, ctx.Warn, ct))));
        });
        return cmd;
    }
}
