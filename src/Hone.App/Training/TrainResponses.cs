using System.Text.Json.Serialization;
using Hone.Training.Analysis;
using Hone.Training.Batching;
using Hone.Training.Dpo;
using Hone.Training.Loop;
using Hone.Training.Objectives;
using Hone.Training.Rft;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.App.Training;

/// <summary>What a training use case returns (its <c>--json</c> document is the concrete type's).</summary>
public abstract record TrainResponse
{
    /// <summary>Each epoch checkpoint's golden-set score (runs with an eval spec), else empty.</summary>
    public IReadOnlyList<GoldenScore> GoldenScores { get; init; } = [];

    /// <summary>The checkpoint that scored best on the golden set (kept; export takes it by default), or null.</summary>
    public BestCheckpoint? BestCheckpoint { get; init; }

    /// <summary>Each training stage's plan, said before its first step (two for sft-then-dpo).</summary>
    public IReadOnlyList<RunPlan> Plans { get; init; } = [];

    /// <summary>Each stage's wall-time estimate from its first steady steps.</summary>
    public IReadOnlyList<RunEstimate> Estimates { get; init; } = [];
}

/// <summary>One finding of the curve diagnosis.</summary>
/// <param name="Kind">The finding's kind (e.g. OverFitting).</param>
/// <param name="Message">What was seen.</param>
/// <param name="Suggestion">What to do.</param>
public sealed record DiagnosisEntry(string Kind, string Message, string Suggestion)
{
    /// <summary>The entries of <paramref name="findings"/>.</summary>
    public static IReadOnlyList<DiagnosisEntry> Of(IEnumerable<CurveFinding> findings) =>
        [.. findings.Select(f => new DiagnosisEntry(f.Kind.ToString(), f.Message, f.Suggestion))];
}

/// <summary>What <c>--on-overflow</c> did to one data set.</summary>
/// <param name="Policy">drop, truncate or fail.</param>
/// <param name="Context">The context in tokens.</param>
/// <param name="Examples">Examples in the set.</param>
/// <param name="Dropped">Examples left out.</param>
/// <param name="Truncated">Examples cut to fit.</param>
/// <param name="Entries">The over-long examples.</param>
public sealed record OverflowSummary(string Policy, int Context, int Examples, int Dropped, int Truncated, IReadOnlyList<OverflowItem> Entries)
{
    /// <summary>The summaries of <paramref name="reports"/>, by data set.</summary>
    public static IReadOnlyDictionary<string, OverflowSummary> Of(IReadOnlyList<OverflowReport> reports) =>
        reports.ToDictionary(r => r.Set, r => new OverflowSummary(OverflowPolicies.Name(r.Policy), r.Limit, r.Total, r.Dropped, r.Truncated,
            [.. r.Entries.Select(e => new OverflowItem(e.Where, e.Tokens, e.Truncated ? "truncated" : "dropped", e.Detail))]), StringComparer.Ordinal);
}

/// <summary>One over-long example.</summary>
/// <param name="Where">file:line.</param>
/// <param name="Tokens">Its length in tokens.</param>
/// <param name="Action">truncated or dropped.</param>
/// <param name="Detail">What was cut, or why it was dropped.</param>
public sealed record OverflowItem(string Where, int Tokens, string Action, string Detail);

/// <summary>The result of an SFT run (<see cref="TrainSft"/>).</summary>
public sealed record TrainSftResponse(string? Run, string Folder, int Epochs, int BatchSize, long Steps, double LearningRate, int TrainExamples,
    int ValidExamples, double Seconds, string ResultsCsv, string Chart, int ResumedFromEpoch, MetricRow? Final, IReadOnlyList<EpochMetrics> EpochsMetrics,
    IReadOnlyList<DiagnosisEntry> Diagnosis, IReadOnlyDictionary<string, OverflowSummary> Overflow, IReadOnlyList<string> Warnings) : TrainResponse
{
    /// <summary>The trainer's full result (history, findings, sparkline) for a report.</summary>
    [JsonIgnore]
    public SftResult Detail { get; init; } = null!;

    /// <summary>The response of <paramref name="r"/>.</summary>
    public static TrainSftResponse Of(SftRunResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var s = r.Result;
        return new(r.RunId, r.RunFolder, s.Epochs, s.BatchSize, s.Steps, s.LearningRate, r.TrainExamples, r.ValidExamples, r.Seconds, s.ResultsCsvPath,
            s.ChartPath, s.ResumedFromEpoch, s.History.Count > 0 ? s.History[^1] : null, s.EpochHistory, DiagnosisEntry.Of(s.Findings),
            OverflowSummary.Of(r.Overflow), r.Warnings) { Detail = s, GoldenScores = s.GoldenScores, BestCheckpoint = s.Best };
    }
}

/// <summary>The SFT stage of an SFT-then-DPO run.</summary>
public sealed record SftStageSummary(int Epochs, long Steps, double? FinalTrainLoss, string ResultsCsv);

/// <summary>One epoch's full-validation metrics of a DPO run.</summary>
public sealed record DpoEpochSummary(int Epoch, long Step, IReadOnlyDictionary<string, double> Metrics);

/// <summary>The result of a DPO or SFT-then-DPO run (<see cref="TrainDpo"/>).</summary>
public sealed record TrainDpoResponse(string? Run, string Folder, int Epochs, int BatchSize, long Steps, double LearningRate, int TrainPairs,
    int ValidPairs, double Seconds, string ResultsCsv, string Chart, int ResumedFromEpoch, SftStageSummary? SftStage,
    IReadOnlyDictionary<string, double> Final, IReadOnlyList<DpoEpochSummary> EpochsMetrics, IReadOnlyList<DiagnosisEntry> Diagnosis,
    IReadOnlyDictionary<string, OverflowSummary> Overflow, IReadOnlyList<string> Warnings) : TrainResponse
{
    /// <summary>The DPO trainer's full result for a report.</summary>
    [JsonIgnore]
    public DpoResult Detail { get; init; } = null!;

    /// <summary>The SFT stage's full result (sft-then-dpo only).</summary>
    [JsonIgnore]
    public SftResult? SftDetail { get; init; }

    /// <summary>The response of <paramref name="r"/>.</summary>
    public static TrainDpoResponse Of(DpoRunResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var s = r.Result;
        var last = s.History.Count > 0 ? s.History[^1].Train : default;
        return new(r.RunId, r.RunFolder, s.Epochs, s.BatchSize, s.Steps, s.LearningRate, r.TrainPairs, r.ValidPairs, r.Seconds, s.ResultsCsvPath,
            s.ChartPath, s.ResumedFromEpoch,
            r.Sft is null ? null : new SftStageSummary(r.Sft.Epochs, r.Sft.Steps, r.Sft.History.Count > 0 ? r.Sft.History[^1].TrainLoss : null, r.Sft.ResultsCsvPath),
            Named(last, "train_loss", ""),
            [.. s.EpochHistory.Select(e => new DpoEpochSummary(e.Epoch, e.Step, Named(e.FullValid, "full_valid_loss", "full_valid_")))],
            DiagnosisEntry.Of(s.Findings), OverflowSummary.Of(r.Overflow), r.Warnings)
        { Detail = s, SftDetail = r.Sft, GoldenScores = s.GoldenScores, BestCheckpoint = s.Best };
    }

    private static Dictionary<string, double> Named(DpoMetrics m, string lossName, string prefix) =>
        m.Named(lossName, prefix).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
}

/// <summary>The last step of an RFT run.</summary>
public sealed record RftFinalStep(long Step, double TrainLoss, double TrainRewardMean, double Kl, double ZeroVarianceGroupShare, double MeanCompletionTokens,
    IReadOnlyDictionary<string, double> TrainReward);

/// <summary>One epoch's full-validation results of an RFT run.</summary>
public sealed record RftEpochSummary(int Epoch, long Step, double FullValidMeanReward, double FullValidMeanParseError, IReadOnlyDictionary<string, double> FullValidReward);

/// <summary>A grader failure recorded during an RFT run.</summary>
public sealed record RftFinding(string Where, string Message);

/// <summary>The result of an RFT run (<see cref="TrainRft"/>).</summary>
public sealed record TrainRftResponse(string? Run, string Folder, string Reward, int Epochs, long Steps, double LearningRate, int TrainPrompts, int ValidPrompts,
    double Seconds, string ResultsCsv, int ResumedFromEpoch, double? TrainRewardMeanFirst, double? TrainRewardMeanLast, RftFinalStep? Final,
    IReadOnlyList<RftEpochSummary> EpochsMetrics, string? Chart, IReadOnlyList<string> Checkpoints, IReadOnlyList<DiagnosisEntry> Diagnosis,
    IReadOnlyList<RftFinding> Findings, IReadOnlyDictionary<string, OverflowSummary> Overflow, IReadOnlyList<string> Warnings) : TrainResponse
{
    /// <summary>The trainer's full result for a report.</summary>
    [JsonIgnore]
    public RftResult Detail { get; init; } = null!;

    /// <summary>The response of <paramref name="r"/>: the mean reward of the first and last fifth of the steps, the last step, every epoch.</summary>
    public static TrainRftResponse Of(RftRunResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var s = r.Result;
        var last = s.History.Count > 0 ? s.History[^1] : null;
        double? first = s.History.Count > 0 ? s.History.Take(Math.Max(1, s.History.Count / 5)).Average(h => h.RewardMean) : null;
        double? final = s.History.Count > 0 ? s.History.TakeLast(Math.Max(1, s.History.Count / 5)).Average(h => h.RewardMean) : null;
        return new(r.RunId, r.RunFolder, r.RewardName, s.Epochs, s.Steps, s.LearningRate, r.TrainPrompts, r.ValidPrompts, r.Seconds, s.ResultsCsvPath,
            s.ResumedFromEpoch, first, final,
            last is null ? null : new RftFinalStep(last.Step, last.Loss, last.RewardMean, last.Kl, last.ZeroVarianceShare, last.MeanCompletionTokens, last.Components),
            [.. s.EpochHistory.Select(e => new RftEpochSummary(e.Epoch, e.Step, e.MeanReward, e.MeanParseError, e.Components))],
            s.ChartPath, s.KeptCheckpoints, DiagnosisEntry.Of(s.Diagnosis), [.. s.Findings.Select(f => new RftFinding(f.Where, f.Message))],
            OverflowSummary.Of(r.Overflow), r.Warnings) { Detail = s, GoldenScores = s.GoldenScores, BestCheckpoint = s.Best };
    }
}
