using System.Diagnostics;
using Hone.Models.Train;
using Hone.Numerics;
using Hone.Training.Analysis;
using Hone.Training.Optim;
using Hone.Training.Runs;

namespace Hone.Training.Loop;

/// <summary>
/// The one training loop, for every objective: resume from the newest checkpoint in the run folder; each epoch, a seeded
/// shuffle of the training items; each step, the next <see cref="TrainingPlan.ItemsPerStep"/> items in micro-batches the
/// objective lays out (forward, coefficients, backward: gradients accumulate), clipping by global norm, the scheduled
/// learning rate and an AdamW step; every <see cref="TrainerOptions.EvalEvery"/> steps a validation batch; metrics
/// under their fixed names in the run store and the results CSV (rewritten at most every
/// <see cref="ResultsCsvInterval"/> while an epoch runs: a rewrite is the whole history and an fsync, so writing it after
/// every step cost a short run a tenth of its time); progress; at each epoch end the results CSV, the whole validation set and
/// a checkpoint (the newest kept, or the best by the objective's metric); at the end the chart and the diagnosis.
/// The run's own memory — AdamW's moments and the per-position log-probabilities and coefficients — is one arena,
/// carved once; a step allocates nothing in the optimiser. Cancelling stops between steps; the checkpoints written so
/// far let a new loop on the same folder resume, bit-identically to an uninterrupted run.
/// </summary>
public sealed class TrainingLoop : IDisposable
{
    /// <summary>The longest the results CSV lags the steps while an epoch runs (it is complete at each epoch end).</summary>
    public static readonly TimeSpan ResultsCsvInterval = TimeSpan.FromSeconds(2);

    private readonly ITrainableModel _model;
    private readonly ITrainingObjective _objective;
    private readonly TrainerOptions _options;
    private readonly TrainingPlan _plan;
    private readonly ObjectiveReport _report;
    private readonly RunFolder _run;
    private readonly Arena _arena;
    private readonly AdamW _optimizer;
    private readonly Tensor _logProbs, _coefficients;
    private readonly bool[] _correct;
    private readonly TrainingRandom _random;
    private readonly LearningRateSchedule _schedule;
    private readonly string _optionsSha256;
    private readonly int[] _order, _validItems;

    /// <summary>Prepares a run of <paramref name="objective"/> over <paramref name="model"/> in <paramref name="run"/> (no training yet).</summary>
    public TrainingLoop(ITrainableModel model, ITrainingObjective objective, RunFolder run)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(run);
        _model = model;
        _objective = objective;
        _options = objective.Options;
        _plan = objective.Plan;
        _report = objective.Report;
        _run = run;
        int positions = objective.MaxPositions;
        _arena = new Arena(Arena.FloatsFor(positions, positions) + AdamW.FloatsFor(model.Parameters));
        try
        {
            _logProbs = _arena.Allocate("log_probs", positions);
            _coefficients = _arena.Allocate("coefficients", positions);
            _optimizer = new AdamW(model.Parameters, _options.Optimizer, _arena, model.Workers);
        }
        catch
        {
            _arena.Dispose();
            throw;
        }
        _correct = new bool[positions];
        _random = new TrainingRandom(_options.Seed);
        _schedule = _options.Schedule(_plan.TotalSteps);
        _optionsSha256 = Checkpoints.HashOptions(_options.ToJson());
        _order = new int[objective.TrainCount];
        _validItems = new int[objective.ValidCount];
    }

    /// <summary>Runs <paramref name="objective"/> over <paramref name="model"/> in <paramref name="run"/>: see <see cref="Run(IProgress{TrainingProgress}?, CancellationToken)"/>.</summary>
    public static TrainingOutcome Run(ITrainableModel model, ITrainingObjective objective, RunFolder run,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var loop = new TrainingLoop(model, objective, run);
        return loop.Run(progress, cancellationToken);
    }

    /// <summary>
    /// Runs the remaining epochs (all of them for a fresh run; those after the newest checkpoint when the run folder has
    /// one). Cancelling stops between steps.
    /// </summary>
    public TrainingOutcome Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        _objective.Prepare(_run); // before any checkpoint is loaded: e.g. a reference taken from the starting model
        var history = new List<StepRecord>();
        var epochs = new List<EpochRecord>();
        int startEpoch = 0;
        long step = 0;
        if (Checkpoints.Latest(_run.CheckpointsPath) is { } latest)
        {
            var state = Checkpoints.Load(latest, _model.Parameters, _optimizer, _optionsSha256, _report.Kind);
            _random.SetState(Checkpoints.RandomState(state));
            if (state.DropoutStep is long dropout) _model.DropoutStep = dropout;
            startEpoch = state.Epoch;
            step = state.Step;
            history.AddRange(state.History);
            epochs.AddRange(state.EpochHistory);
            if (_run.Scorer?.Scores(state.Epoch, _plan.Epochs) == true && !epochs.Any(e => e.Epoch == state.Epoch && e.Metrics.ContainsKey(MetricNames.GoldenAccuracy)))
                ScoreCheckpoint(latest, state.Epoch, step, history, epochs, cancellationToken); // killed while scoring
        }

        var plan = RunPlan.Of(_report.Kind, _plan, _order.Length, _objective.TrainTokens, _run.Scorer, startEpoch, step);
        progress?.Report(new TrainingProgress("plan", startEpoch, _plan.Epochs, step, _plan.TotalSteps, double.NaN, double.NaN, 0, TimeSpan.Zero)
            { AccuracyName = _report.AccuracyName, Plan = plan });
        var clock = Stopwatch.StartNew();
        var stepClock = new Stopwatch();
        var csvClock = Stopwatch.StartNew();
        var stepSeconds = new List<double>();
        double? checkpointSeconds = null, scoringSeconds = null;
        bool estimated = false;
        long tokensSeen = 0, stepsThisCall = 0;
        for (int epoch = startEpoch; epoch < _plan.Epochs; epoch++)
        {
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
            _random.Shuffle(_order);
            for (int s = 0; s < _plan.StepsPerEpoch; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                stepClock.Restart();
                int from = s * _plan.ItemsPerStep, count = Math.Min(_plan.ItemsPerStep, _order.Length - from);
                step++;
                stepsThisCall++;
                var metrics = new List<KeyValuePair<string, double>>(TrainStep(_order.AsSpan(from, count), step, cancellationToken, out long tokens));
                tokensSeen += tokens;
                double norm = GradientClipping.ClipByGlobalNorm(_model.Parameters, _options.MaxGradNorm);
                double lr = _schedule.RateAt(step);
                _optimizer.Step(lr);
                metrics.Add(new(MetricNames.LearningRate, lr));
                metrics.Add(new(MetricNames.GradNorm, norm));
                if (_options.EvalEvery > 0 && _validItems.Length > 0 && step % _options.EvalEvery == 0)
                    metrics.AddRange(Evaluate(TrainingPhase.ValidBatch, ValidBatch(step / _options.EvalEvery - 1), cancellationToken));
                var record = new StepRecord(step, epoch + 1, count, ToDictionary(metrics));
                history.Add(record);
                _run.LogMetrics(step, metrics);
                if (csvClock.Elapsed >= ResultsCsvInterval)
                {
                    _run.WriteResultsCsv(Results, history);
                    csvClock.Restart();
                }

                double secs = clock.Elapsed.TotalSeconds;
                var eta = TimeSpan.FromSeconds(secs / stepsThisCall * (_plan.TotalSteps - step));
                Report(progress, "train", epoch + 1, step, record, secs > 0 ? tokensSeen / secs : 0, eta);
                if (!estimated && stepSeconds.Count < RunEstimate.MeasuredSteps) stepSeconds.Add(stepClock.Elapsed.TotalSeconds);
                if (!estimated && stepSeconds.Count == RunEstimate.MeasuredSteps)
                    estimated = ReportEstimate(progress, plan, stepSeconds, epoch + 1, record, null, null);
            }
            stepClock.Restart();
            _run.WriteResultsCsv(Results, history);
            csvClock.Restart();

            if (_validItems.Length > 0)
            {
                for (int i = 0; i < _validItems.Length; i++) _validItems[i] = i;
                var full = Evaluate(TrainingPhase.FullValid, _validItems, cancellationToken);
                epochs.Add(new EpochRecord(epoch + 1, step, ToDictionary(full)));
                _run.LogMetrics(step, full);
            }
            var saved = Checkpoints.Save(_run.CheckpointsPath, _model.Parameters, _optimizer, new CheckpointState
            {
                Epoch = epoch + 1,
                Step = step,
                Random = Checkpoints.EncodeRandom(_random.GetState()),
                OptionsSha256 = _optionsSha256,
                DropoutStep = _model.DropoutStep,
                History = [.. history],
                EpochHistory = [.. epochs],
            }, _report.KeepBestBy is null && _run.Scorer is null ? _options.KeepCheckpoints : int.MaxValue);
            checkpointSeconds ??= stepClock.Elapsed.TotalSeconds;
            stepClock.Restart();
            if (_run.Scorer?.Scores(epoch + 1, _plan.Epochs) == true)
            {
                ScoreCheckpoint(saved, epoch + 1, step, history, epochs, cancellationToken);
                scoringSeconds ??= stepClock.Elapsed.TotalSeconds;
            }
            else if (_run.Scorer is not null) Checkpoints.KeepNewestAndBest(_run.CheckpointsPath, _options.KeepCheckpoints, BestCheckpoint.Read(_run.Path)?.Epoch ?? -1);
            else if (_report.KeepBestBy is { } metric) Checkpoints.KeepBest(_run.CheckpointsPath, epochs, metric, _options.KeepCheckpoints);
            Report(progress, "checkpoint", epoch + 1, step, history[^1], 0, TimeSpan.Zero);
            // A run with fewer steps than the loop times before estimating: the estimate from those it ran, with the epoch's fixed costs measured.
            if (!estimated && stepSeconds.Count > 0)
                estimated = ReportEstimate(progress, plan, stepSeconds, epoch + 1, history[^1], checkpointSeconds, scoringSeconds);
        }

        var csv = _run.WriteResultsCsv(Results, history);
        _run.AddArtifact(RunFolder.ResultsFile, csv);
        var chart = Path.Combine(_run.Path, "chart.svg");
        // With a golden-set scorer but no validation set an epoch's record holds only its score: the objective sees the validated ones.
        IReadOnlyList<EpochRecord> validated = _validItems.Length > 0 ? epochs : [];
        _objective.WriteChart(chart, history, validated);
        _run.AddArtifact("chart.svg", chart);
        _run.AddArtifact("chart.png", TrainingChart.PngPath(chart));
        var findings = _objective.Diagnose(history, validated);
        var best = _run.Scorer is null ? null : BestCheckpoint.Read(_run.Path);
        if (best is not null) findings = [.. findings, BestFinding(best, epochs.Count)];
        if (history.Count > 0) Report(progress, "done", _plan.Epochs, step, history[^1], 0, TimeSpan.Zero);
        return new TrainingOutcome(_plan, step, _options.LearningRate, history, validated, findings, csv, chart,
            Checkpoints.List(_run.CheckpointsPath), startEpoch)
        {
            Best = best,
            GoldenScores = [.. epochs.Where(e => e.Metrics.ContainsKey(MetricNames.GoldenAccuracy))
                .Select(e => new GoldenScore(e.Epoch, e.Step, e[MetricNames.GoldenAccuracy], e[MetricNames.GoldenAccuracyLow], e[MetricNames.GoldenAccuracyHigh]))],
        };
    }

    /// <summary>The results CSV's columns: the objective's, then the golden-set score when checkpoints are scored.</summary>
    private ResultsTable Results => _run.Scorer is null ? _report.Results
        : _report.Results with { Columns = [.. _report.Results.Columns, new ResultsColumn(MetricNames.GoldenAccuracy, MetricNames.GoldenAccuracy)] };

    /// <summary>
    /// Scores the checkpoint of <paramref name="epoch"/> (in <paramref name="folder"/>) with the run's scorer: the score goes
    /// into the epoch's record, the epoch's last step (results CSV), the run store and the checkpoint's manifest; the best
    /// checkpoint so far (the newest of equal scores) is named in best.json and kept beside the newest ones.
    /// </summary>
    private void ScoreCheckpoint(string folder, int epoch, long step, List<StepRecord> history, List<EpochRecord> epochs, CancellationToken ct)
    {
        var scorer = _run.Scorer!;
        var score = scorer.Score(_run.Path, epoch, ct);
        KeyValuePair<string, double>[] golden =
            [new(MetricNames.GoldenAccuracy, score.Value), new(MetricNames.GoldenAccuracyLow, score.Low), new(MetricNames.GoldenAccuracyHigh, score.High)];
        int e = epochs.FindIndex(r => r.Epoch == epoch);
        var metrics = ToDictionary(e >= 0 ? epochs[e].Metrics.Where(kv => !golden.Any(g => g.Key == kv.Key)) : []);
        foreach (var (k, v) in golden) metrics[k] = v;
        if (e >= 0) epochs[e] = new EpochRecord(epoch, step, metrics);
        else epochs.Add(new EpochRecord(epoch, step, metrics));
        int h = history.FindLastIndex(r => r.Epoch == epoch);
        if (h >= 0)
        {
            var stepMetrics = ToDictionary(history[h].Metrics.Where(kv => kv.Key != MetricNames.GoldenAccuracy));
            stepMetrics[MetricNames.GoldenAccuracy] = score.Value;
            history[h] = history[h] with { Metrics = stepMetrics };
        }
        _run.LogMetrics(step, golden);
        Checkpoints.UpdateState(folder, s => s with { History = [.. history], EpochHistory = [.. epochs] });
        _run.WriteResultsCsv(Results, history);
        var best = epochs.Where(r => r.Metrics.ContainsKey(MetricNames.GoldenAccuracy))
            .OrderByDescending(r => r[MetricNames.GoldenAccuracy]).ThenByDescending(r => r.Epoch).First();
        new BestCheckpoint(best.Epoch, MetricNames.GoldenAccuracy, best[MetricNames.GoldenAccuracy], best[MetricNames.GoldenAccuracyLow],
            best[MetricNames.GoldenAccuracyHigh], scorer.Description).Write(_run.Path);
        Checkpoints.KeepNewestAndBest(_run.CheckpointsPath, _options.KeepCheckpoints, best.Epoch);
    }

    private static CurveFinding BestFinding(BestCheckpoint best, int epochs) => new(CurveFindingKind.BestCheckpoint,
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"epoch {best.Epoch} of {epochs} scored best on the {best.Scorer}: {best.Value * 100:0.0}% (95% CI {best.Low * 100:0.0}–{best.High * 100:0.0}%)."),
        $"Its checkpoint is kept; `hone export` and `hone eval --model run:RUN` take it by default (--epoch N for another).");

    /// <summary>Frees the run's arena.</summary>
    public void Dispose() => _arena.Dispose();

    /// <summary>Zeroes the gradients, then forward, coefficients and backward over each micro-batch of the step's items.</summary>
    private IReadOnlyList<KeyValuePair<string, double>> TrainStep(ReadOnlySpan<int> items, long step, CancellationToken ct, out long tokens)
    {
        _model.ZeroGrad();
        int microBatches = _objective.Begin(TrainingPhase.Train, items, step, ct);
        tokens = 0;
        for (int i = 0; i < microBatches; i++)
        {
            var batch = _objective.Layout(i);
            int n = batch.Rows * batch.SequenceLength;
            Span<float> lp = _logProbs.Span[..n], coef = _coefficients.Span[..n];
            Span<bool> ok = _correct.AsSpan(0, n);
            _model.Forward(batch, lp, ok);
            _objective.Score(batch, lp, ok, coef);
            _model.Backward(coef);
            foreach (int segment in batch.SegmentIds) if (segment >= 0) tokens++;
        }
        return _objective.End();
    }

    /// <summary>A pass over validation items without gradients (dropout off when the objective says so).</summary>
    private IReadOnlyList<KeyValuePair<string, double>> Evaluate(TrainingPhase phase, ReadOnlySpan<int> items, CancellationToken ct)
    {
        using var mode = _report.EvaluateWithoutDropout ? ModelMode.Evaluation(_model) : default;
        int microBatches = _objective.Begin(phase, items, 0, ct);
        for (int i = 0; i < microBatches; i++)
        {
            var batch = _objective.Layout(i);
            int n = batch.Rows * batch.SequenceLength;
            Span<float> lp = _logProbs.Span[..n];
            Span<bool> ok = _correct.AsSpan(0, n);
            _model.Forward(batch, lp, ok);
            _objective.Score(batch, lp, ok, _coefficients.Span[..n]);
        }
        return _objective.End();
    }

    /// <summary>The validation items of the <paramref name="evalIndex"/>-th validation batch: the next ones, cyclically.</summary>
    private ReadOnlySpan<int> ValidBatch(long evalIndex)
    {
        int count = _validItems.Length, n = Math.Min(_plan.ItemsPerStep, count);
        long start = evalIndex * n % count;
        for (int i = 0; i < n; i++) _validItems[i] = (int)((start + i) % count);
        return _validItems.AsSpan(0, n);
    }

    private bool ReportEstimate(IProgress<TrainingProgress>? progress, RunPlan plan, List<double> stepSeconds, int epoch, StepRecord last,
        double? checkpointSeconds, double? scoringSeconds)
    {
        var estimate = RunEstimate.From(plan, stepSeconds, plan.Steps - plan.StepsLeft + 1, checkpointSeconds, scoringSeconds);
        progress?.Report(new TrainingProgress("estimate", epoch, _plan.Epochs, estimate.ToStep, _plan.TotalSteps, last[_report.LossMetric],
            last[_report.AccuracyMetric], 0, TimeSpan.FromSeconds(Math.Max(0, estimate.Seconds - stepSeconds.Sum()))) { AccuracyName = _report.AccuracyName, Estimate = estimate });
        return true;
    }

    private void Report(IProgress<TrainingProgress>? progress, string phase, int epoch, long step, StepRecord last, double tokensPerSecond, TimeSpan eta) =>
        progress?.Report(new TrainingProgress(phase, epoch, _plan.Epochs, step, _plan.TotalSteps, last[_report.LossMetric], last[_report.AccuracyMetric],
            tokensPerSecond, eta) { AccuracyName = _report.AccuracyName });

    private static Dictionary<string, double> ToDictionary(IEnumerable<KeyValuePair<string, double>> metrics)
    {
        var d = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, value) in metrics) d.Add(name, value);
        return d;
    }
}
