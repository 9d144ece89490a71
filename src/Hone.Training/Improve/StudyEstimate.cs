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

/// <summary>What the probe measured on this machine, from which <see cref="StudyEstimate.FromProbe"/> reckons a study's time.</summary>
/// <param name="SecondsPerExample">Training time per example per epoch at the study's batch size and sequence length (steps after the first).</param>
/// <param name="MeanTokensPerExample">Mean tokens per training example (the base model's tokenizer and template).</param>
/// <param name="RunOverheadSeconds">Per-run fixed time: loading the model and the data before the first step, the chart and manifest after the last.</param>
/// <param name="EpochOverheadSeconds">Per-epoch fixed time: writing the epoch's checkpoint.</param>
/// <param name="SecondsPerCase">Golden-set scoring time per case, the checkpoint's load left out.</param>
/// <param name="ScoreLoadSeconds">Loading a checkpoint to score it (once per trial).</param>
/// <param name="BatchSize">Examples per step of the probe (the study's batch size).</param>
/// <param name="Steps">Optimiser steps the probe ran.</param>
/// <param name="Cases">Golden cases the probe scored.</param>
/// <param name="Seconds">Wall time of the probe itself.</param>
public sealed record StudyProbe(double SecondsPerExample, double MeanTokensPerExample, double RunOverheadSeconds, double EpochOverheadSeconds,
    double SecondsPerCase, double ScoreLoadSeconds, int BatchSize, int Steps, int Cases, double Seconds)
{
    /// <summary>Each probe step's wall time, in order (the warm-up ones first).</summary>
    public IReadOnlyList<double> StepSeconds { get; init; } = [];

    /// <summary>The expected wall time of one trial: training, its fixed costs, and scoring the golden set once.</summary>
    public double TrialSeconds(int examples, int epochs, int goldenCases) =>
        (double)examples * epochs * SecondsPerExample + RunOverheadSeconds + epochs * EpochOverheadSeconds + ScoreLoadSeconds + goldenCases * SecondsPerCase;
}

/// <summary>A scorer that says how long loading the checkpoint took in its last <see cref="ICheckpointScorer.Score"/> (paid once per trial, not per case).</summary>
public interface ITimedCheckpointScorer : ICheckpointScorer
{
    /// <summary>Seconds the last call spent loading the checkpoint.</summary>
    double LastLoadSeconds { get; }
}

/// <summary>What a study is expected to cost before it starts.</summary>
/// <param name="TokensPerSecond">Training throughput measured by the probe on this machine.</param>
/// <param name="SecondsPerCase">Golden-set scoring time per case measured by the probe (the checkpoint's load left out).</param>
/// <param name="OverheadSeconds">Per-trial fixed time (loading the model, loading the checkpoint to score it) measured by the probe.</param>
/// <param name="MeanTokensPerExample">Mean tokens per training example (the base model's tokenizer and template).</param>
/// <param name="TrainingTokens">Training tokens over all trials to run (examples × epochs × mean tokens).</param>
/// <param name="Seconds">Expected wall time on this machine for the trials still to run.</param>
/// <param name="HostedUsd">What the same training tokens would cost as hosted fine-tunes of <see cref="HostedModel"/>.</param>
/// <param name="HostedModel">The hosted model priced.</param>
/// <param name="ProbeSeconds">Wall time of the probe itself.</param>
public sealed record StudyEstimateResult(double TokensPerSecond, double SecondsPerCase, double OverheadSeconds, double MeanTokensPerExample,
    long TrainingTokens, double Seconds, decimal? HostedUsd, string HostedModel, double ProbeSeconds)
{
    /// <summary>What the probe measured (null only for estimates made before it was recorded).</summary>
    public StudyProbe? Probe { get; init; }
}

/// <summary>
/// Estimates a study's wall time on this machine from a short measured probe, then prices the same training tokens as hosted
/// fine-tunes. The probe trains <see cref="ProbeSteps"/> optimiser steps at the study's batch size on examples spread over the
/// data (its longest among them, so the sequence length is the data's): the steps after the <see cref="WarmUpSteps"/> give
/// the time per example (<see cref="SteadyStepSeconds"/>; the first ones pay one-off warm-up), the time before the steps and
/// after the last the per-run and per-epoch fixed costs. The probe checkpoint is then scored on a few golden cases (a warm-up, then the faster of two timed passes): the
/// time per case with the checkpoint's load left out (a trial loads its checkpoint once). <see cref="FromProbe"/> is the arithmetic alone.
/// </summary>
public static class StudyEstimate
{
    /// <summary>Optimiser steps the probe runs: <see cref="WarmUpSteps"/> of warm-up, then the timed ones.</summary>
    public const int ProbeSteps = 10;

    /// <summary>The probe's first steps, not timed: they pay one-off warm-up (code generation, first touches of memory) a trial does not pay again.</summary>
    public const int WarmUpSteps = 2;

    /// <summary>Consecutive timed steps averaged into one window; the fastest window is the steady rate.</summary>
    public const int Window = 3;

    /// <summary>Golden cases the probe scores at most.</summary>
    public const int ProbeCases = 8;

    /// <summary>Measures the probe and estimates. The probe's run folder is <paramref name="probeFolder"/> (replaced).</summary>
    /// <param name="options">The study's settings (data, model, trainer).</param>
    /// <param name="trials">The trials still to run.</param>
    /// <param name="goldenCases">Golden cases each trial is scored on.</param>
    /// <param name="probeScorer">Scores the probe checkpoint on a few golden cases (<see cref="ProbeCases"/>; its score's <see cref="CheckpointScore.Cases"/>
    /// counts them) without a response cache: called three times, the first a warm-up, the faster of the others timed; an <see cref="ITimedCheckpointScorer"/> says how
    /// much of that was loading the checkpoint.</param>
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
        var lines = File.ReadLines(options.TrainFile).Where(l => !string.IsNullOrWhiteSpace(l)).ToList();

        if (Directory.Exists(probeFolder)) Directory.Delete(probeFolder, recursive: true);
        Directory.CreateDirectory(probeFolder);
        var sample = Path.Combine(probeFolder, "probe.jsonl");
        int largest = trials.Count == 0 ? tokens.Count : Math.Min(tokens.Count, trials.Max(t => t.Examples));
        int batch = options.Trainer.ResolveBatchSize(largest);
        var picked = Pick(lines.Count == tokens.Count ? tokens : [.. lines.Select(_ => 0)], Math.Min(lines.Count, batch * ProbeSteps));
        File.WriteAllLines(sample, picked.Select(i => lines[i]));
        int steps = (picked.Count + batch - 1) / batch;
        var probe = options with
        {
            TrainFile = sample, ValidFile = null, Scorer = null, EvalSpec = null,
            Trainer = options.Trainer with { Epochs = 1, BatchSize = batch, EvalEvery = 0 },
        };
        var marks = new List<double>();
        double checkpoint = double.NaN;
        var runClock = Stopwatch.StartNew();
        var run = SftRun.Start(probe, Path.Combine(probeFolder, "run"), null, new Progress(p =>
        {
            if (p.Phase == "train") marks.Add(runClock.Elapsed.TotalSeconds);
            else if (p.Phase == "checkpoint") checkpoint = runClock.Elapsed.TotalSeconds;
        }), null, ct);
        double runSeconds = runClock.Elapsed.TotalSeconds;
        run.Model.Dispose();

        var stepSeconds = marks.Select((m, i) => i == 0 ? m : m - marks[i - 1]).ToList();
        double step = marks.Count == 0 ? runSeconds : SteadyStepSeconds(stepSeconds);
        double last = marks.Count > 0 ? marks[^1] : runSeconds;
        double epochOverhead = double.IsNaN(checkpoint) ? 0 : Math.Max(0, checkpoint - last);
        double runOverhead = Math.Max(0, (marks.Count > 0 ? marks[0] - step : 0) + runSeconds - (double.IsNaN(checkpoint) ? last : checkpoint));

        // Scored three times: a warm-up (the generation code's first calls), then the faster of two timed passes.
        probeScorer.Score(Path.Combine(probeFolder, "run"), 1, ct);
        var (perCase, load, cases) = (double.MaxValue, 0.0, 0);
        for (int pass = 0; pass < 2; pass++)
        {
            var scoreClock = Stopwatch.StartNew();
            var score = probeScorer.Score(Path.Combine(probeFolder, "run"), 1, ct);
            double scoring = scoreClock.Elapsed.TotalSeconds;
            double loaded = Math.Min(scoring, (probeScorer as ITimedCheckpointScorer)?.LastLoadSeconds ?? 0);
            double each = (scoring - loaded) / Math.Max(1, score.Cases);
            if (each < perCase) (perCase, load, cases) = (each, loaded, score.Cases);
        }
        var measured = new StudyProbe(step / batch, tokens.Average(), runOverhead, epochOverhead, perCase, load, batch, steps, cases, clock.Elapsed.TotalSeconds) { StepSeconds = stepSeconds };
        return FromProbe(measured, trials, goldenCases, hostedModel);
    }

    /// <summary>The estimate of <paramref name="trials"/> from what <paramref name="probe"/> measured: arithmetic only.</summary>
    public static StudyEstimateResult FromProbe(StudyProbe probe, IReadOnlyList<PlannedTrial> trials, int goldenCases, string hostedModel = "gpt-4o-mini")
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(trials);
        long trainingTokens = (long)Math.Round(trials.Sum(t => (double)t.Examples * t.Epochs * probe.MeanTokensPerExample));
        double seconds = trials.Sum(t => probe.TrialSeconds(t.Examples, t.Epochs, goldenCases));
        var price = PriceTable.Default.Find(hostedModel);
        decimal? usd = price is null ? null : Math.Round(trainingTokens * price.TrainingPer1M / 1_000_000m, 2);
        double tps = probe.SecondsPerExample > 0 ? probe.MeanTokensPerExample / probe.SecondsPerExample : 0;
        return new StudyEstimateResult(tps, probe.SecondsPerCase, probe.RunOverheadSeconds + probe.ScoreLoadSeconds, probe.MeanTokensPerExample, trainingTokens,
            seconds, usd, price?.Model ?? hostedModel, probe.Seconds) { Probe = probe };
    }

    /// <summary>
    /// The steady time of a step from the probe's step times: the fastest mean of <see cref="Window"/> consecutive steps after
    /// the <see cref="WarmUpSteps"/> (the code a step runs is still being optimised over the first steps, which a trial in the
    /// same process does not pay again); with fewer steps, the mean of those after the first, else the one step.
    /// </summary>
    public static double SteadyStepSeconds(IReadOnlyList<double> stepSeconds)
    {
        ArgumentNullException.ThrowIfNull(stepSeconds);
        if (stepSeconds.Count == 0) throw new ArgumentException("no steps", nameof(stepSeconds));
        if (stepSeconds.Count - WarmUpSteps >= Window)
            return Enumerable.Range(WarmUpSteps, stepSeconds.Count - WarmUpSteps - Window + 1).Min(i => stepSeconds.Skip(i).Take(Window).Average());
        return stepSeconds.Count == 1 ? stepSeconds[0] : stepSeconds.Skip(1).Average();
    }

    /// <summary><paramref name="count"/> indices spread evenly over the examples, the longest among them (ascending).</summary>
    public static List<int> Pick(IReadOnlyList<int> lengths, int count)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        int n = lengths.Count;
        count = Math.Clamp(count, 0, n);
        if (count == 0) return [];
        var picked = new SortedSet<int>(Enumerable.Range(0, count).Select(i => (int)((long)i * n / count)));
        int longest = Enumerable.Range(0, n).MaxBy(i => lengths[i]);
        if (!picked.Contains(longest))
        {
            picked.Remove(picked.Max);
            picked.Add(longest);
        }
        return [.. picked];
    }

    private sealed class Progress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
