using System.Globalization;
using Hone.App.Training;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>What the training commands print: the JSON response, or the run's summary, curves and diagnosis.</summary>
internal static class TrainReports
{
    /// <summary>Prints a response of any training kind (what <c>hone train resume</c> gets back).</summary>
    public static int Print(CliContext ctx, TrainResponse response) => response switch
    {
        TrainSftResponse sft => Sft(ctx, sft),
        TrainDpoResponse dpo => Dpo(ctx, dpo),
        TrainRftResponse rft => Rft(ctx, rft),
        _ => throw new InvalidOperationException($"No report for {response.GetType().Name}."),
    };

    public static int Sft(CliContext ctx, TrainSftResponse r)
    {
        ctx.WriteJson(r);
        var s = r.Detail;
        ctx.Console.MarkupLine($"[green]Trained[/] {r.TrainExamples} examples × {s.Epochs} epochs = {s.Steps} steps (batch {s.BatchSize}, lr {s.LearningRate:0.##e0}) in {r.Seconds:0.0} s" +
            (s.ResumedFromEpoch > 0 ? $", resumed after epoch {s.ResumedFromEpoch}" : ""));
        ctx.Console.MarkupLine($"loss {Markup.Escape(s.LossSparkline)}");
        if (s.EpochHistory.Count > 0)
        {
            var t = new Table().AddColumns("epoch", "step", "full_valid_loss", "full_valid_mean_token_accuracy");
            foreach (var e in s.EpochHistory)
                t.AddRow(e.Epoch.ToString(CultureInfo.InvariantCulture), e.Step.ToString(CultureInfo.InvariantCulture),
                    e.FullValidLoss.ToString("0.0000", CultureInfo.InvariantCulture), e.FullValidAccuracy.ToString("0.000", CultureInfo.InvariantCulture));
            ctx.Console.Write(t);
        }
        Golden(ctx, r);
        DiagnosisView.Print(ctx.Console, s.Findings, s.History.Count);
        ctx.Console.MarkupLine($"run folder {Markup.Escape(r.Folder)} (results.csv, chart.svg, checkpoints/, run.json)");
        return ExitCodes.Success;
    }

    /// <summary>Prints what <c>--dry-run</c> planned: a plan line per stage and the hosted price of the same training tokens.</summary>
    public static int DryRun(CliContext ctx, TrainDryRunResponse r)
    {
        ctx.WriteJson(r);
        foreach (var plan in r.Plans) ctx.Console.WriteLine(TrainProgressView.PlanLine(plan));
        ctx.Console.WriteLine(r.HostedUsd is { } usd
            ? string.Create(CultureInfo.InvariantCulture, $"hosted equivalent: ${usd:0.00} to fine-tune {r.HostedModel} on the same training tokens (price table)")
            : $"hosted equivalent: not priced ({r.HostedModel} is not in the price table, or the training tokens are sampled during the run)");
        ctx.Console.WriteLine("dry run: nothing trained, nothing written; the wall-time estimate is printed after the first steps of a real run.");
        return ExitCodes.Success;
    }

    /// <summary>The golden-set score of each checkpoint (runs with --eval-spec), the best marked.</summary>
    private static void Golden(CliContext ctx, TrainResponse r)
    {
        if (r.GoldenScores.Count == 0) return;
        var g = new Table().AddColumns("epoch", "step", "golden_accuracy", "95% CI", "");
        foreach (var e in r.GoldenScores)
            g.AddRow(e.Epoch.ToString(CultureInfo.InvariantCulture), e.Step.ToString(CultureInfo.InvariantCulture), EvalCommands.Pct(e.Accuracy),
                $"{EvalCommands.Pct(e.Low)}–{EvalCommands.Pct(e.High)}", r.BestCheckpoint?.Epoch == e.Epoch ? "best (kept)" : "");
        ctx.Console.Write(g);
    }

    public static int Dpo(CliContext ctx, TrainDpoResponse r)
    {
        ctx.WriteJson(r);
        var s = r.Detail;
        var last = s.History.Count > 0 ? s.History[^1].Train : default;
        if (r.SftDetail is { } sft)
            ctx.Console.MarkupLine($"[green]SFT stage[/] {sft.Epochs} epochs = {sft.Steps} steps, loss {Markup.Escape(sft.LossSparkline)}");
        ctx.Console.MarkupLine($"[green]DPO[/] {r.TrainPairs} pairs × {s.Epochs} epochs = {s.Steps} steps (batch {s.BatchSize}, lr {s.LearningRate:0.##e0}) in {r.Seconds:0.0} s" +
            (s.ResumedFromEpoch > 0 ? $", resumed after epoch {s.ResumedFromEpoch}" : ""));
        ctx.Console.MarkupLine($"loss {Markup.Escape(s.LossSparkline)}  rewards/accuracies {last.RewardAccuracy:0.000}  rewards/margins {last.RewardMargin:0.000}");
        if (s.EpochHistory.Count > 0)
        {
            var t = new Table().AddColumns("epoch", "full_valid_loss", "full_valid_rewards/accuracies", "full_valid_rewards/margins");
            foreach (var e in s.EpochHistory)
                t.AddRow(e.Epoch.ToString(CultureInfo.InvariantCulture), e.FullValid.Loss.ToString("0.0000", CultureInfo.InvariantCulture),
                    e.FullValid.RewardAccuracy.ToString("0.000", CultureInfo.InvariantCulture), e.FullValid.RewardMargin.ToString("0.000", CultureInfo.InvariantCulture));
            ctx.Console.Write(t);
        }
        Golden(ctx, r);
        DiagnosisView.Print(ctx.Console, s.Findings, s.History.Count);
        ctx.Console.MarkupLine($"run folder {Markup.Escape(r.Folder)} (results.csv, chart.svg, reference_logprobs.json, checkpoints/, run.json)");
        return ExitCodes.Success;
    }

    public static int Rft(CliContext ctx, TrainRftResponse r)
    {
        ctx.WriteJson(r);
        var s = r.Detail;
        ctx.Console.MarkupLine($"[green]RFT[/] {r.TrainPrompts} prompts × {s.Epochs} epochs = {s.Steps} steps (lr {s.LearningRate:0.##e0}, reward {Markup.Escape(r.Reward)}) in {r.Seconds:0.0} s" +
            (s.ResumedFromEpoch > 0 ? $", resumed after epoch {s.ResumedFromEpoch}" : ""));
        if (r.Final is { } last)
        {
            ctx.Console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"train_reward_mean {s.RewardSparkline}  first steps {r.TrainRewardMeanFirst:0.000} → last steps {r.TrainRewardMeanLast:0.000}  kl {last.Kl:0.0000}  zero-variance groups {last.ZeroVarianceGroupShare:0%}")));
        }
        if (s.EpochHistory.Count > 0)
        {
            var t = new Table().AddColumns("epoch", "step", "full_valid_mean_reward", "full_valid_mean_parse_error");
            foreach (var e in s.EpochHistory)
                t.AddRow(e.Epoch.ToString(CultureInfo.InvariantCulture), e.Step.ToString(CultureInfo.InvariantCulture),
                    e.MeanReward.ToString("0.000", CultureInfo.InvariantCulture), e.MeanParseError.ToString("0.000", CultureInfo.InvariantCulture));
            ctx.Console.Write(t);
        }
        Golden(ctx, r);
        DiagnosisView.Print(ctx.Console, s.Diagnosis, s.History.Count);
        foreach (var f in s.Findings.Take(20)) ctx.Console.MarkupLine($"[yellow]finding[/] {Markup.Escape(f.ToString())}");
        if (s.Findings.Count > 20) ctx.Console.MarkupLine($"[yellow]… and {s.Findings.Count - 20} more findings[/]");
        ctx.Console.MarkupLine($"run folder {Markup.Escape(r.Folder)} (results.csv, chart.svg, checkpoints/, run.json)");
        return ExitCodes.Success;
    }
}
