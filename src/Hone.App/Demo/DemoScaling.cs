using Hone.App.Training;
using Hone.Store;
using Hone.Training.Improve;
using Hone.Training.Runs;
using Hone.Training.Sft;

namespace Hone.App.Demo;

/// <summary>One rung of the demo's scaling step.</summary>
/// <param name="Size">Training examples.</param>
/// <param name="Accuracy">Golden-set accuracy of the rung's run.</param>
/// <param name="Low">Lower end of its 95% interval.</param>
/// <param name="High">Upper end of its 95% interval.</param>
/// <param name="Cases">Golden cases scored.</param>
/// <param name="TrainSeconds">Training wall time.</param>
/// <param name="ScoreSeconds">Scoring wall time.</param>
/// <param name="Reused">Taken from an earlier demo in the workspace (not retrained).</param>
public sealed record DemoScalingRung(int Size, double Accuracy, double Low, double High, int Cases, double TrainSeconds, double ScoreSeconds, bool Reused);

/// <summary>The demo's last step: half the training split and all of it, same settings, and the measured gain of doubling.</summary>
/// <param name="Folder">The study folder.</param>
/// <param name="Rungs">Half, then all.</param>
/// <param name="GainPerDoubling">Accuracy gained by doubling the data (all − half).</param>
/// <param name="GainLow">Lower end of its 95% interval.</param>
/// <param name="GainHigh">Upper end of its 95% interval.</param>
/// <param name="PredictedAtDouble">The extrapolated accuracy at twice the data.</param>
/// <param name="Chart">The plot (SVG; PNG beside it).</param>
public sealed record DemoScaling(string Folder, IReadOnlyList<DemoScalingRung> Rungs, double GainPerDoubling, double GainLow, double GainHigh,
    double PredictedAtDouble, string Chart)
{
    /// <summary>
    /// Runs the step with the fine-tune's settings; scored on the demo's eval spec. The fine-tune itself
    /// (<paramref name="fineTune"/>: the same settings and seed on all of the training split; its validation passes only
    /// measure, they change no weight) is the "all" rung, its final checkpoint scored as the study scores a rung: only
    /// the half is trained here. <paramref name="fineTune"/> is asked for only once the half is trained and scored.
    /// </summary>
    internal static DemoScaling Run(Workspace ws, RunStore store, string specPath, SftRunOptions run, Func<AdoptedRun> fineTune, long seed,
        IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        int n = File.ReadLines(run.TrainFile).Count(l => !string.IsNullOrWhiteSpace(l));
        var options = new ScaleOptions { Run = run with { ValidFile = null }, Sizes = [n / 2, n], Seed = seed };
        var scorer = GoldenSetScorer.For(ws, store, specPath);
        var r = ScaleStudy.Run(options, Path.Combine(ws.RunsDir, "demo-scale"), scorer, store, null, progress, ct, fineTune);
        return new DemoScaling(r.Folder, [.. r.Rungs.Select(x => new DemoScalingRung(x.Size, x.Trial.Score.Value, x.Trial.Score.Low, x.Trial.Score.High,
                x.Trial.Score.Cases, x.Trial.TrainSeconds, x.Trial.ScoreSeconds, x.Trial.Reused))],
            r.Fit.GainPerDoubling, r.Fit.GainLow, r.Fit.GainHigh, r.Fit.PredictedAtDouble, r.ChartSvg);
    }
}

/// <summary>The scaling step is done.</summary>
/// <param name="Scaling">What it measured.</param>
public sealed record DemoScaled(DemoScaling Scaling) : DemoEvent;
