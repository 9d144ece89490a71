using System.Diagnostics;
using Hone.Data.Cost;
using Hone.Data.Jsonl;
using Hone.Tokenizers.Chat;
using Hone.Training.Loop;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.Training.Improve;

/// <summary>A trial as an estimate sees it: its examples and epochs.</summary>
/// <param name="Examples">Training examples.</param>
/// <param name="Epochs">Epochs.</param>
public sealed record PlannedTrial(int Examples, int Epochs);

/// <summary>What a study is expected to cost before it starts.</summary>
/// <param name="TokensPerSecond">Training throughput measured by the probe on this machine.</param>
/// <param name="SecondsPerCase">Golden-set scoring time per case measured by the probe.</param>
/// <param name="OverheadSeconds">Per-trial fixed time (loading the model, writing checkpoints) measured by the probe.</param>
/// <param name="MeanTokensPerExample">Mean tokens per training example (the base model's tokenizer and template).</param>
/// <param name="TrainingTokens">Training tokens over all trials to run (examples × epochs × mean tokens).</param>
/// <param name="Seconds">Expected wall time on this machine for the trials still to run.</param>
/// <param name="HostedUsd">What the same training tokens would cost as hosted fine-tunes of <see cref="HostedModel"/>.</param>
/// <param name="HostedModel">The hosted model priced.</param>
/// <param name="ProbeSeconds">Wall time of the probe itself.</param>
public sealed record StudyEstimateResult(double TokensPerSecond, double SecondsPerCase, double OverheadSeconds, double MeanTokensPerExample,
    long TrainingTokens, double Seconds, decimal? HostedUsd, string HostedModel, double ProbeSeconds);

/// <summary>
/// Estimates a study's wall time on this machine from a short measured probe: a two-epoch run on the first few examples of
/// the data with the study's settings (tokens/s over the steps after the first, and per-run overhead), then the probe checkpoint scored on a few golden cases
/// (seconds per case); and its hosted price at the price table's rate for the same training tokens.
/// </summary>
public static class StudyEstimate
{
    /// <summary>Examples the probe trains on.</summary>
    public const int ProbeExamples = 8;

    /// <summary>Measures and estimates. The probe's run folder is <paramref name="probeFolder"/> (replaced).</summary>
    /// <param name="options">The study's settings (data, model, trainer); the probe trains two epochs on <see cref="ProbeExamples"/> of its examples.</param>
    /// <param name="trials">The trials still to run.</param>
    /// <param name="goldenCases">Golden cases each trial is scored on.</param>
    /// <param name="probeScorer">Scores the probe checkpoint on a few golden cases (its score's <see cref="CheckpointScore.Cases"/> counts them).</param>
    /// <param name="probeFolder">Where the probe runs.</param>
    /// <param name="hostedModel">The hosted model to price (a name in the price table).</param>
    /// <param name="ct">Cancels the probe.</param>
    public static StudyEstimateResult Measure(SftRunOptions options, IReadOnlyList<PlannedTrial> trials, int goldenCases, ICheckpointScorer probeScorer,
        string probeFolder, string hostedModel = "gpt-4o-mini", CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(probeScorer);
        var clock = Stopwatch.StartNew();
        var encoder = ChatEncoder.Load(options.ModelPath, options.TokenizerPath, options.Template);
        var tokens = SftRun.ReadExamples(options.TrainFile, encoder).Select(e => e.Length).ToList();
        if (tokens.Count == 0) throw new TrainingException($"{options.TrainFile}: no training examples.");
        double meanTokens = tokens.Average();

        if (Directory.Exists(probeFolder)) Directory.Delete(probeFolder, recursive: true);
        Directory.CreateDirectory(probeFolder);
        var sample = Path.Combine(probeFolder, "probe.jsonl");
        File.WriteAllLines(sample, File.ReadLines(options.TrainFile).Where(l => !string.IsNullOrWhiteSpace(l)).Take(ProbeExamples));
        int n = Math.Min(ProbeExamples, tokens.Count);
        // Two epochs of two steps: the throughput is timed over the steps after the first, whose time is mostly warm-up
        // (code generation, first touches of memory) that a trial pays once, not per token.
        int batch = Math.Max(1, (n + 1) / 2), steps = 2 * ((n + batch - 1) / batch);
        var probe = options with
        {
            TrainFile = sample, ValidFile = null, Scorer = null, EvalSpec = null,
            Trainer = options.Trainer with { Epochs = 2, BatchSize = batch, EvalEvery = 0 },
        };
        var marks = new List<double>();
        var stepClock = Stopwatch.StartNew();
        var run = SftRun.Start(probe, Path.Combine(probeFolder, "run"), null, new Progress(p => { if (p.Phase == "train") marks.Add(stepClock.Elapsed.TotalSeconds); }), null, ct);
        run.Model.Dispose();
        double probeTokens = 2.0 * tokens.Take(n).Sum();
        double steady = marks.Count >= 2 ? marks[^1] - marks[0] : 0;
        double tps = steady > 0 ? probeTokens * (marks.Count - 1) / Math.Max(1, steps) / steady : probeTokens / Math.Max(1e-3, run.Seconds);
        double overhead = Math.Max(0, run.Seconds - probeTokens / tps);
        var scoreClock = Stopwatch.StartNew();
        var score = probeScorer.Score(Path.Combine(probeFolder, "run"), 2, ct);
        double perCase = scoreClock.Elapsed.TotalSeconds / Math.Max(1, score.Cases);

        long trainingTokens = (long)Math.Round(trials.Sum(t => (double)t.Examples * t.Epochs * meanTokens));
        double seconds = trials.Sum(t => t.Examples * t.Epochs * meanTokens / tps + overhead) + trials.Count * goldenCases * perCase;
        var price = PriceTable.Default.Find(hostedModel);
        decimal? usd = price is null ? null : Math.Round(trainingTokens * price.TrainingPer1M / 1_000_000m, 2);
        return new StudyEstimateResult(tps, perCase, overhead, meanTokens, trainingTokens, seconds, usd, price?.Model ?? hostedModel, clock.Elapsed.TotalSeconds);
    }

    private sealed class Progress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
