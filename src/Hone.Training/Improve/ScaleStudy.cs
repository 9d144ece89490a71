using Hone.Data.Splitting;
using Hone.Store;
using Hone.Training.Loop;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Improve;

/// <summary>What <c>hone scale</c> runs.</summary>
public sealed record ScaleOptions
{
    /// <summary>The run settings every rung shares (model, template, trainer, LoRA, seed); its train file is the full data set.</summary>
    public required SftRunOptions Run { get; init; }

    /// <summary>Rung sizes, ascending; null = auto (the ladder's 25, 50, 100, … then all).</summary>
    public IReadOnlyList<int>? Sizes { get; init; }

    /// <summary>Seed of the ladder's order (the rungs are nested).</summary>
    public long Seed { get; init; } = 42;

    /// <summary>
    /// What judges the rungs (e.g. the eval spec's path and the hash of it and its golden set): part of the study's
    /// identity, so that a study folder is not reused with scores from another golden set. Null: not recorded.
    /// </summary>
    public string? Judge { get; init; }

    /// <summary>Checks the options once.</summary>
    public void Validate()
    {
        Run.Validate();
        if (Sizes is { } s && (s.Count < 2 || s.Any(x => x < 1))) throw new TrainingException("--sizes: give at least two positive sizes (or auto).");
    }
}

/// <summary>A finished run that a study adopts as one of its trials instead of training it again.</summary>
/// <param name="Folder">Its run folder.</param>
/// <param name="Epochs">Its epochs (the final checkpoint, which is scored).</param>
/// <param name="TrainSeconds">Its training wall time.</param>
public sealed record AdoptedRun(string Folder, int Epochs, double TrainSeconds);

/// <summary>One rung's outcome.</summary>
/// <param name="Size">Training examples.</param>
/// <param name="Trial">The trained and scored trial.</param>
public sealed record ScaleRung(int Size, TrialResult Trial);

/// <summary>What <c>hone scale</c> found.</summary>
/// <param name="Folder">The study folder.</param>
/// <param name="Rungs">Each rung, smallest first.</param>
/// <param name="Fit">Accuracy against log2(size), and the gain of doubling.</param>
/// <param name="ChartSvg">The plot (SVG; the PNG beside it).</param>
public sealed record ScaleResult(string Folder, IReadOnlyList<ScaleRung> Rungs, ScalingFitResult Fit, string ChartSvg);

/// <summary>
/// The data-scaling study: nested ladder subsets of the data (<see cref="Ladder"/>), one SFT run per rung with the same
/// seed and settings, each scored on the golden set by the scorer passed in from above, accuracy fitted against
/// log2(size) (<see cref="ScalingFit"/>) and plotted (<see cref="ScalingChart"/>). Resumable through its
/// <see cref="StudyFolder"/>: finished rungs are not retrained.
/// </summary>
public static class ScaleStudy
{
    /// <summary>The rung trials' names.</summary>
    public static string RungName(int size) => $"rung-{size:D6}";

    /// <summary>Builds the ladder into <c>STUDY/ladder</c> (same seed, same subsets on every call).</summary>
    public static LadderResult Ladder(ScaleOptions options, string studyFolder)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Hone.Data.Splitting.Ladder.Build(new LadderOptions
        {
            InputPath = options.Run.TrainFile, Sizes = options.Sizes, Seed = options.Seed, OutputDirectory = Path.Combine(studyFolder, "ladder"),
        });
    }

    /// <summary>
    /// Runs (or resumes) the study in <paramref name="studyFolder"/>; <paramref name="onRung"/> hears each rung as it
    /// finishes. <paramref name="allData"/>, when given, yields a finished run of <c>options.Run</c> on all of its train file
    /// (the demo's fine-tune): the largest rung adopts it (<see cref="StudyFolder.Adopt"/>) instead of training it again.
    /// It is called only when that rung is reached, after the smaller ones are trained, so it may wait for a run still
    /// training on other threads.
    /// </summary>
    public static ScaleResult Run(ScaleOptions options, string studyFolder, ICheckpointScorer scorer, RunStore? store,
        Action<ScaleRung>? onRung = null, IProgress<TrainingProgress>? progress = null, CancellationToken ct = default, Func<AdoptedRun>? allData = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scorer);
        options.Validate();
        var study = new StudyFolder(studyFolder, "scale", Settings(options));
        var ladder = Ladder(options, study.Path);
        if (ladder.Rungs.Count < 2) throw new TrainingException($"{options.Run.TrainFile}: {ladder.Total} examples make {ladder.Rungs.Count} rung; a scaling study needs two (give --sizes).");
        var rungs = new List<ScaleRung>();
        foreach (var rung in ladder.Rungs)
        {
            ct.ThrowIfCancellationRequested();
            var trial = allData is not null && rung.Size == ladder.Total
                ? Adopt(study, RungName(rung.Size), allData(), rung.Size, options.Run, scorer, ct)
                : study.Run(RungName(rung.Size), options.Run with { TrainFile = rung.Path }, scorer, store, progress, ct);
            var r = new ScaleRung(rung.Size, trial);
            rungs.Add(r);
            onRung?.Invoke(r);
        }
        var fit = ScalingFit.Fit([.. rungs.Select(r => new ScalingPoint(r.Size, r.Trial.Score.Value, r.Trial.Score.Cases))]);
        var chart = Path.Combine(study.Path, "scaling.svg");
        ScalingChart.Write(chart, fit, [.. rungs.Select(r => (r.Size, r.Trial.Score))]);
        return new ScaleResult(study.Path, rungs, fit, chart);
    }

    private static TrialResult Adopt(StudyFolder study, string name, AdoptedRun all, int size, SftRunOptions run, ICheckpointScorer scorer, CancellationToken ct) =>
        study.Adopt(name, all.Folder, size, all.Epochs, run, all.TrainSeconds, scorer, ct);

    /// <summary>What fixes a study's identity: the data, the sizes, the seed and every run setting.</summary>
    public static object Settings(ScaleOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var settings = new
        {
            data = Path.GetFullPath(o.Run.TrainFile), data_sha256 = RunFolder.Sha256File(o.Run.TrainFile), sizes = o.Sizes, seed = o.Seed,
            run = System.Text.Json.JsonDocument.Parse(o.Run.ToJson(null)).RootElement,
        };
        return o.Judge is null ? settings : new { settings.data, settings.data_sha256, settings.sizes, settings.seed, settings.run, judge = o.Judge };
    }
}
