using Hone.Training.Improve;

namespace Hone.App.Training;

/// <summary>What <see cref="SweepUseCase"/> is asked.</summary>
/// <param name="Study">The shared study settings (its run's LoRA rank is the default rank; its epochs are replaced by the largest tried).</param>
/// <param name="Epochs">Epochs to try.</param>
/// <param name="LrMultipliers">Learning-rate multipliers to try.</param>
/// <param name="LoraRanks">LoRA ranks to try, or null for the run's rank (alpha scales with the first).</param>
public sealed record SweepRequest(StudyRequest Study, IReadOnlyList<int> Epochs, IReadOnlyList<double> LrMultipliers, IReadOnlyList<int>? LoraRanks = null)
{
    /// <summary>Successive halving over a quarter, half and all of the data.</summary>
    public bool Halving { get; init; }

    /// <summary>Wall-time budget in seconds, or null.</summary>
    public double? TimeBudgetSeconds { get; init; }

    /// <summary>Write the winner's settings to train-defaults.json.</summary>
    public bool WriteDefaults { get; init; } = true;

    /// <summary>The sweep options.</summary>
    public SweepOptions Options
    {
        get
        {
            var run = Study.Run with { Trainer = Study.Run.Trainer with { Epochs = Epochs.Count == 0 ? null : Epochs.Max() } };
            if (LoraRanks is [var first, ..]) run = run with { Lora = run.Lora with { Rank = first, Alpha = run.Lora.Alpha * first / run.Lora.Rank } };
            return new SweepOptions
            {
                Run = run, Epochs = Epochs, LrMultipliers = LrMultipliers, LoraRanks = LoraRanks, Halving = Halving, TimeBudgetSeconds = TimeBudgetSeconds,
            };
        }
    }
}

/// <summary>The estimate of a sweep (the <c>--json</c> document of <c>--estimate-only</c>).</summary>
/// <param name="Folder">The study folder.</param>
/// <param name="Estimate">The estimate for the trials still to run, or null when none is left.</param>
/// <param name="Settings">The grid's setting names.</param>
public sealed record SweepEstimateResponse(string Folder, StudyEstimateResult? Estimate, IReadOnlyList<string> Settings)
{
    /// <summary>Golden cases of the spec (the per-trial time rule needs them).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int GoldenCases { get; init; }
}

/// <summary>One trial of <see cref="SweepResponse"/>.</summary>
public sealed record SweepTrialResponse(string Name, int Epochs, double LrMultiplier, int LoraRank, int Round, int Examples, string Status, StudyScore? Score,
    double? TrainSeconds, double? ScoreSeconds, double? PValueVsBest, bool TiedWithBest, bool Best);

/// <summary>The winning setting of <see cref="SweepResponse"/>.</summary>
public sealed record SweepWinner(string Name, int Epochs, double LrMultiplier, int LoraRank);

/// <summary>The result of <see cref="SweepUseCase.Run"/> (its <c>--json</c> document).</summary>
public sealed record SweepResponse(string Folder, StudyEstimateResult? Estimate, double Seconds, IReadOnlyList<SweepTrialResponse> Trials, SweepWinner? Winner,
    string? DefaultsFile)
{
    /// <summary>The estimate against the wall time of the trials this call ran (also appended to the study's timing.json).</summary>
    public StudyTiming? Timing { get; init; }

    /// <summary>The study's own result (for screens that draw it).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public SweepResult Result { get; init; } = null!;
}

/// <summary>
/// Use case "tune epochs, learning-rate multiplier (and LoRA rank) by the golden-set metric": a grid or successive halving,
/// each trial scored with its interval and tested against the best (paired McNemar); the winner's settings written for
/// the next <c>hone train sft</c>. Estimated first from a measured probe; resumable.
/// </summary>
public static class SweepUseCase
{
    /// <summary>The plan (told to <paramref name="onPlan"/> first) and the measured estimate for the trials not yet run.</summary>
    public static SweepEstimateResponse Estimate(SweepRequest request, Action<StudyPlan>? onPlan = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var s = StudySession.Open(request.Study);
        var options = request.Options with { Judge = s.Judge };
        options.Validate();
        var folder = s.Folder("sweep", SweepStudy.Settings(options));
        var golden = s.GoldenCases;
        var study = new StudyFolder(folder, "sweep", SweepStudy.Settings(options));
        int n = File.ReadLines(options.Run.TrainFile).Count(l => !string.IsNullOrWhiteSpace(l));
        var todo = options.Grid.Where(g => options.Halving || study.Find(g.Name) is null).Select(g => new PlannedTrial(n, g.Epochs)).ToList();
        IReadOnlyList<string> names = [.. options.Grid.Select(g => g.Name)];
        return new SweepEstimateResponse(folder, s.Plan(folder, names, options.Run, todo, onPlan, ct), names) { GoldenCases = golden };
    }

    /// <summary>Runs the trials (each told to <paramref name="onTrial"/>), picks the winner and writes its defaults.</summary>
    public static SweepResponse Run(SweepRequest request, SweepEstimateResponse estimate, Action<SweepTrial>? onTrial = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(estimate);
        using var s = StudySession.Open(request.Study);
        var options = request.Options with { Judge = s.Judge };
        options.Validate();
        var golden = estimate.GoldenCases;
        Func<SweepSetting, int, double>? perTrial = estimate.Estimate?.Probe is not { } probe ? null
            : (setting, size) => probe.TrialSeconds(size, setting.Epochs, golden);
        var result = SweepStudy.Run(options, estimate.Folder, s.Scorer(), s.PairedTest(), s.Store, perTrial, t => onTrial?.Invoke(t), null, ct);
        string? defaults = null;
        if (result.Winner?.Trial is { } w && request.WriteDefaults)
            defaults = new TrainDefaults(w.Epochs, w.LrMultiplier, w.LoraRank, result.Folder, w.Score.Value).Write(s.Workspace.Root);
        return new SweepResponse(result.Folder, estimate.Estimate, result.Seconds,
            [.. result.Trials.Select(t => new SweepTrialResponse(t.Setting.Name, t.Setting.Epochs, t.Setting.LrMultiplier, t.Setting.LoraRank, t.Round, t.Examples,
                t.Status, t.Trial is null ? null : StudyScore.From(t.Trial.Score), t.Trial?.TrainSeconds, t.Trial?.ScoreSeconds, t.PValueVsBest, t.TiedWithBest,
                ReferenceEquals(t, result.Winner)))],
            result.Winner is { } win ? new SweepWinner(win.Setting.Name, win.Setting.Epochs, win.Setting.LrMultiplier, win.Setting.LoraRank) : null,
            defaults) { Result = result, Timing = StudyTiming.Record(result.Folder, estimate.Estimate, result.Seconds) };
    }
}
