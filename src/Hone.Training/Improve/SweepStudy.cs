using System.Diagnostics;
using System.Globalization;
using Hone.Store;
using Hone.Training.Loop;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Improve;

/// <summary>One setting of a sweep's grid.</summary>
/// <param name="Epochs">Epochs.</param>
/// <param name="LrMultiplier">Learning-rate multiplier.</param>
/// <param name="LoraRank">LoRA rank.</param>
public sealed record SweepSetting(int Epochs, double LrMultiplier, int LoraRank)
{
    /// <summary>The trial's name, e.g. <c>e3-lr2-r8</c>.</summary>
    public string Name => string.Create(CultureInfo.InvariantCulture, $"e{Epochs}-lr{LrMultiplier:0.####}-r{LoraRank}");
}

/// <summary>What <c>hone sweep</c> runs.</summary>
public sealed record SweepOptions
{
    /// <summary>The run settings every trial shares besides the swept ones; its train file is the data.</summary>
    public required SftRunOptions Run { get; init; }

    /// <summary>Epochs to try.</summary>
    public required IReadOnlyList<int> Epochs { get; init; }

    /// <summary>Learning-rate multipliers to try.</summary>
    public required IReadOnlyList<double> LrMultipliers { get; init; }

    /// <summary>LoRA ranks to try (default: the run's rank).</summary>
    public IReadOnlyList<int>? LoraRanks { get; init; }

    /// <summary>
    /// Successive halving: every setting is first trained on a quarter of the data (nested ladder subsets), the better half
    /// by golden-set score goes on to half the data, the better half of those to all of it.
    /// </summary>
    public bool Halving { get; init; }

    /// <summary>Wall-time budget in seconds: a trial whose expected time no longer fits is not started (null: no budget).</summary>
    public double? TimeBudgetSeconds { get; init; }

    /// <summary>Significance level under which a trial differs from the best.</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>
    /// What judges the trials (e.g. the eval spec's path and the hash of it and its golden set): part of the study's
    /// identity, so that a study folder is not reused with scores from another golden set. Null: not recorded.
    /// </summary>
    public string? Judge { get; init; }

    /// <summary>The grid, in order: epochs, then multipliers, then ranks.</summary>
    public IReadOnlyList<SweepSetting> Grid =>
        [.. from e in Epochs from lr in LrMultipliers from r in LoraRanks ?? [Run.Lora.Rank] select new SweepSetting(e, lr, r)];

    /// <summary>Checks the options once.</summary>
    public void Validate()
    {
        Run.Validate();
        if (Epochs.Count == 0 || Epochs.Any(e => e is < 1 or > 1000)) throw new TrainingException("--epochs: give one or more whole numbers from 1 to 1000, e.g. 1,2,3.");
        if (LrMultipliers.Count == 0 || LrMultipliers.Any(m => !(m > 0) || double.IsInfinity(m))) throw new TrainingException("--lr-multiplier: give one or more positive numbers, e.g. 0.5,1,2.");
        if (LoraRanks is { } r && (r.Count == 0 || r.Any(x => x is < 1 or > 1024))) throw new TrainingException("--lora-rank: give one or more ranks from 1 to 1024.");
        if (Grid.Select(g => g.Name).Distinct().Count() != Grid.Count) throw new TrainingException("The sweep's grid lists a setting twice.");
        if (TimeBudgetSeconds is <= 0) throw new TrainingException("--time-budget must be positive.");
    }
}

/// <summary>One trial of a sweep: a setting at a data size, run or not.</summary>
/// <param name="Setting">The setting.</param>
/// <param name="Round">The halving round (0 for a plain grid).</param>
/// <param name="Examples">Training examples of the round.</param>
/// <param name="Trial">The trained and scored trial, or null when it was not run.</param>
/// <param name="Status">scored, reused (from an earlier call), skipped: time budget, or stopped: halved out.</param>
public sealed record SweepTrial(SweepSetting Setting, int Round, int Examples, TrialResult? Trial, string Status)
{
    /// <summary>p-value of the paired test against the best trial of the final round (null: the best itself, or not compared).</summary>
    public double? PValueVsBest { get; init; }

    /// <summary>Whether this trial is not significantly different from the best (the best itself included).</summary>
    public bool TiedWithBest { get; init; }
}

/// <summary>What <c>hone sweep</c> found.</summary>
/// <param name="Folder">The study folder.</param>
/// <param name="Trials">Every trial, in the order run.</param>
/// <param name="Winner">The best trial of the final round (ties: fewer epochs, then the lower multiplier, then the lower rank).</param>
/// <param name="Seconds">Wall time of this call.</param>
public sealed record SweepResult(string Folder, IReadOnlyList<SweepTrial> Trials, SweepTrial? Winner, double Seconds);

/// <summary>
/// The settings sweep: a grid over epochs × learning-rate multiplier (× LoRA rank), each setting trained with the same
/// data and seed and judged by the golden-set score with its interval (the scorer is passed in from above); optionally
/// successive halving over nested data subsets; under an optional time budget. The paired test against the best (passed
/// in: it needs the per-case results) marks trials not significantly different from it. Resumable through its
/// <see cref="StudyFolder"/>.
/// </summary>
public static class SweepStudy
{
    /// <summary>Runs (or resumes) the sweep in <paramref name="studyFolder"/>.</summary>
    /// <param name="options">The sweep.</param>
    /// <param name="studyFolder">Its folder.</param>
    /// <param name="scorer">Scores a trial's final checkpoint on the golden set.</param>
    /// <param name="pValue">The two-sided p-value of a paired test between two trials' golden-set results.</param>
    /// <param name="store">The run store for the trials' runs, or null.</param>
    /// <param name="estimateSeconds">Expected seconds of a trial (setting, examples) for the budget; null: from the trials done so far.</param>
    /// <param name="onTrial">Hears each trial as it finishes or is passed over.</param>
    /// <param name="progress">Training progress.</param>
    /// <param name="ct">Cancels between steps.</param>
    public static SweepResult Run(SweepOptions options, string studyFolder, ICheckpointScorer scorer, Func<TrialResult, TrialResult, double> pValue,
        RunStore? store, Func<SweepSetting, int, double>? estimateSeconds = null, Action<SweepTrial>? onTrial = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(pValue);
        options.Validate();
        var clock = Stopwatch.StartNew();
        var study = new StudyFolder(studyFolder, "sweep", Settings(options));
        var rounds = Rounds(options, study.Path);
        var trials = new List<SweepTrial>();
        var alive = options.Grid.ToList();
        double spent = 0; // seconds of trials run by this call, for the budget's fallback estimate
        long examplesEpochsRun = 0;
        for (int round = 0; round < rounds.Count; round++)
        {
            var (size, path) = rounds[round];
            var scored = new List<SweepTrial>();
            foreach (var setting in alive)
            {
                ct.ThrowIfCancellationRequested();
                var name = rounds.Count == 1 ? setting.Name : $"{setting.Name}-n{size}";
                SweepTrial t;
                if (study.Find(name) is { } done) t = new SweepTrial(setting, round, size, done, "reused");
                else
                {
                    double expected = estimateSeconds?.Invoke(setting, size)
                        ?? (examplesEpochsRun == 0 ? 0 : spent / examplesEpochsRun * size * setting.Epochs);
                    if (options.TimeBudgetSeconds is { } budget && clock.Elapsed.TotalSeconds + expected > budget)
                        t = new SweepTrial(setting, round, size, null, "skipped: time budget");
                    else
                    {
                        var run = options.Run with
                        {
                            TrainFile = path,
                            Trainer = options.Run.Trainer with { Epochs = setting.Epochs, LearningRateMultiplier = setting.LrMultiplier },
                            Lora = options.Run.Lora with { Rank = setting.LoraRank, Alpha = options.Run.Lora.Alpha * setting.LoraRank / options.Run.Lora.Rank },
                        };
                        var result = study.Run(name, run, scorer, store, progress, ct);
                        spent += result.TrainSeconds + result.ScoreSeconds;
                        examplesEpochsRun += (long)size * setting.Epochs;
                        t = new SweepTrial(setting, round, size, result, "scored");
                    }
                }
                trials.Add(t);
                if (t.Trial is not null) scored.Add(t);
                onTrial?.Invoke(t);
            }
            if (scored.Count == 0) break;
            if (round < rounds.Count - 1)
            {
                var keep = Ranked(scored).Take(Math.Max(1, (scored.Count + 1) / 2)).Select(s => s.Setting).ToHashSet();
                foreach (var s in alive.Where(s => !keep.Contains(s))) trials.Add(new SweepTrial(s, round + 1, rounds[round + 1].Size, null, "stopped: halved out"));
                alive = [.. alive.Where(keep.Contains)];
            }
        }

        // The final round's best, and the paired test of every other trial of that round against it.
        int last = trials.Where(t => t.Trial is not null).Select(t => t.Round).DefaultIfEmpty(-1).Max();
        var final = trials.Where(t => t.Trial is not null && t.Round == last).ToList();
        var winner = final.Count == 0 ? null : Ranked(final).First();
        for (int i = 0; i < trials.Count; i++)
        {
            var t = trials[i];
            if (winner is null || t.Trial is null || t.Round != last) continue;
            if (ReferenceEquals(t, winner)) { trials[i] = t with { TiedWithBest = true }; continue; }
            double p = pValue(winner.Trial!, t.Trial);
            trials[i] = t with { PValueVsBest = p, TiedWithBest = p >= options.Alpha };
        }
        return new SweepResult(study.Path, trials, winner is null ? null : trials.First(t => t.Trial == winner.Trial && t.Round == winner.Round), clock.Elapsed.TotalSeconds);
    }

    /// <summary>Best first: score, then fewer epochs, a lower multiplier, a lower rank (the cheaper of equals).</summary>
    private static IEnumerable<SweepTrial> Ranked(IEnumerable<SweepTrial> trials) =>
        trials.OrderByDescending(t => t.Trial!.Score.Value).ThenBy(t => t.Setting.Epochs).ThenBy(t => t.Setting.LrMultiplier).ThenBy(t => t.Setting.LoraRank);

    /// <summary>The data of each round: all of it for a grid; a quarter, a half and all of it (nested) with halving.</summary>
    private static List<(int Size, string Path)> Rounds(SweepOptions o, string studyFolder)
    {
        if (!o.Halving) return [(CountLines(o.Run.TrainFile), o.Run.TrainFile)];
        int n = CountLines(o.Run.TrainFile);
        int[] sizes = [.. new[] { n / 4, n / 2, n }.Where(s => s >= 2).Distinct()];
        var ladder = Hone.Data.Splitting.Ladder.Build(new Hone.Data.Splitting.LadderOptions
        {
            InputPath = o.Run.TrainFile, Sizes = sizes, Seed = o.Run.Trainer.Seed, OutputDirectory = Path.Combine(studyFolder, "ladder"),
        });
        return [.. ladder.Rungs.Select(r => (r.Size, r.Path))];
    }

    private static int CountLines(string path) => File.ReadLines(path).Count(l => !string.IsNullOrWhiteSpace(l));

    /// <summary>What fixes a sweep's identity.</summary>
    public static object Settings(SweepOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var settings = new
        {
            data = Path.GetFullPath(o.Run.TrainFile), data_sha256 = RunFolder.Sha256File(o.Run.TrainFile), epochs = o.Epochs, lr_multipliers = o.LrMultipliers,
            lora_ranks = o.LoraRanks, halving = o.Halving, run = System.Text.Json.JsonDocument.Parse(o.Run.ToJson(null)).RootElement,
        };
        return o.Judge is null ? settings : new { settings.data, settings.data_sha256, settings.epochs, settings.lr_multipliers, settings.lora_ranks, settings.halving, settings.run, judge = o.Judge };
    }
}
