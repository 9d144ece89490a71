using System.Globalization;
using Hone.Training.Analysis;
using Hone.Training.Improve;

namespace Hone.App.Training;

/// <summary>What <see cref="ScaleUseCase"/> is asked.</summary>
/// <param name="Study">The shared study settings.</param>
/// <param name="Sizes">Rung sizes, or null for auto (25, 50, 100, … then all).</param>
public sealed record ScaleRequest(StudyRequest Study, IReadOnlyList<int>? Sizes)
{
    /// <summary>The scale options: the study's run, the sizes, the run's seed for the ladder.</summary>
    public ScaleOptions Options => new() { Run = Study.Run, Sizes = Sizes, Seed = Study.Run.Trainer.Seed };
}

/// <summary>The estimate of a scale study (the <c>--json</c> document of <c>--estimate-only</c>).</summary>
/// <param name="Folder">The study folder.</param>
/// <param name="Estimate">The estimate for the rungs still to train, or null when none is left.</param>
/// <param name="Rungs">The rung sizes.</param>
public sealed record ScaleEstimateResponse(string Folder, StudyEstimateResult? Estimate, IReadOnlyList<int> Rungs);

/// <summary>One rung of <see cref="ScaleResponse"/>.</summary>
public sealed record ScaleRungResponse(int Size, string Folder, int Epochs, StudyScore Score, double TrainSeconds, double ScoreSeconds, bool Reused);

/// <summary>The fit of <see cref="ScaleResponse"/>: accuracy against log2(size).</summary>
public sealed record ScaleFitResponse(double Intercept, double GainPerDoubling, double GainLow, double GainHigh, int LargestSize, double PredictedAtDouble, string Method);

/// <summary>The result of <see cref="ScaleUseCase.Run"/> (its <c>--json</c> document).</summary>
public sealed record ScaleResponse(string Folder, StudyEstimateResult? Estimate, IReadOnlyList<ScaleRungResponse> Rungs, ScaleFitResponse Fit, string Chart, string ChartPng)
{
    /// <summary>The estimate against the wall time of the rungs this call trained (also appended to the study's timing.json).</summary>
    public StudyTiming? Timing { get; init; }

    /// <summary>The study's own result (for screens that draw it).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ScaleResult Result { get; init; } = null!;
}

/// <summary>
/// Use case "measure the gain of more data": train on nested ladder subsets with the same settings, score each on the
/// golden set, fit accuracy against log2(size); estimated first from a measured probe; resumable.
/// </summary>
public static class ScaleUseCase
{
    /// <summary>The plan (told to <paramref name="onPlan"/> first) and the measured estimate for the rungs not yet trained.</summary>
    public static ScaleEstimateResponse Estimate(ScaleRequest request, Action<StudyPlan>? onPlan = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var s = StudySession.Open(request.Study);
        var options = request.Options with { Judge = s.Judge };
        options.Validate();
        var folder = s.Folder("scale", ScaleStudy.Settings(options));
        _ = s.GoldenCases; // the spec loads before anything trains
        var ladder = ScaleStudy.Ladder(options, folder);
        var study = new StudyFolder(folder, "scale", ScaleStudy.Settings(options));
        var todo = ladder.Rungs.Where(r => study.Find(ScaleStudy.RungName(r.Size)) is null)
            .Select(r => new PlannedTrial(r.Size, options.Run.Trainer.Epochs ?? Hone.Data.Cost.EpochRule.AutoEpochs(r.Size))).ToList();
        var estimate = s.Plan(folder, [.. ladder.Rungs.Select(r => r.Size.ToString(CultureInfo.InvariantCulture))], options.Run, todo, onPlan, ct);
        return new ScaleEstimateResponse(folder, estimate, [.. ladder.Rungs.Select(r => r.Size)]);
    }

    /// <summary>Trains and scores every rung (each told to <paramref name="onRung"/>), fits and plots; <paramref name="estimate"/> is carried into the result.</summary>
    public static ScaleResponse Run(ScaleRequest request, ScaleEstimateResponse estimate, Action<ScaleRung>? onRung = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(estimate);
        using var s = StudySession.Open(request.Study);
        var options = request.Options with { Judge = s.Judge };
        options.Validate();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = ScaleStudy.Run(options, estimate.Folder, s.Scorer(), s.Store, r => onRung?.Invoke(r), null, ct);
        var timing = StudyTiming.Record(result.Folder, estimate.Estimate, clock.Elapsed.TotalSeconds);
        var f = result.Fit;
        return new ScaleResponse(result.Folder, estimate.Estimate,
            [.. result.Rungs.Select(r => new ScaleRungResponse(r.Size, r.Trial.Folder, r.Trial.Epochs, StudyScore.From(r.Trial.Score), r.Trial.TrainSeconds,
                r.Trial.ScoreSeconds, r.Trial.Reused))],
            new ScaleFitResponse(f.Intercept, f.GainPerDoubling, f.GainLow, f.GainHigh, f.LargestSize, f.PredictedAtDouble, f.Method),
            result.ChartSvg, TrainingChart.PngPath(result.ChartSvg)) { Result = result, Timing = timing };
    }
}
