using Hone.Training.Runs;

namespace Hone.Training.Analysis;

/// <summary>The diagnoses the curves can give.</summary>
public enum CurveFindingKind
{
    /// <summary>The training loss barely fell: the learning rate is too low (or the task too hard for the model).</summary>
    NotConverging,

    /// <summary>The training loss was still falling clearly at the end: more epochs would help.</summary>
    UnderFitting,

    /// <summary>The validation loss rose while the training loss fell: fewer epochs or more data.</summary>
    OverFitting,

    /// <summary>Not a problem: which epoch's checkpoint scored best on the golden set (kept, and exported by default).</summary>
    BestCheckpoint,
}

/// <summary>One diagnosis with the evidence and what to do.</summary>
public sealed record CurveFinding(CurveFindingKind Kind, string Message, string Suggestion);

/// <summary>
/// Reads the loss curves at the end of a run. Rules (windows are a fifth of the steps, at least one):
/// not converging — the last window's mean training loss is above 90 % of the first window's;
/// under-fitting — otherwise, the last window's mean is still more than 5 % below the window before it and the
/// validation loss (when there is one) is not rising;
/// over-fitting — the validation loss (epoch-end full validation, else the validation-batch points) ends more than 5 %
/// above its minimum, reached before the end, while the training loss fell over the same stretch.
/// </summary>
public static class CurveDiagnosis
{
    /// <summary>Relative fall below which training has not converged.</summary>
    public const double MinRelativeFall = 0.10;

    /// <summary>Relative change treated as clear.</summary>
    public const double ClearChange = 0.05;

    /// <summary>Findings (possibly none) for the curves.</summary>
    public static IReadOnlyList<CurveFinding> Diagnose(IReadOnlyList<MetricRow> history, IReadOnlyList<EpochMetrics> epochs)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(epochs);
        var findings = new List<CurveFinding>();
        if (history.Count < 4) return findings;
        var train = history.Select(r => r.TrainLoss).ToArray();
        int w = Math.Max(1, train.Length / 5);
        double first = Mean(train, 0, w), last = Mean(train, train.Length - w, w), before = Mean(train, train.Length - (2 * w), w);

        // Validation points: full validation per epoch when there are at least 3, else the validation-batch points.
        var valid = epochs.Count >= 3
            ? epochs.Select(e => (e.Step, Loss: e.FullValidLoss)).ToList()
            : history.Where(r => r.ValidLoss is not null).Select(r => (r.Step, Loss: r.ValidLoss!.Value)).ToList();
        bool overFitting = false;
        if (valid.Count >= 3)
        {
            int minAt = 0;
            for (int i = 1; i < valid.Count; i++) if (valid[i].Loss < valid[minAt].Loss) minAt = i;
            double end = valid[^1].Loss, min = valid[minAt].Loss;
            if (minAt < valid.Count - 1 && end > min * (1 + ClearChange))
            {
                double trainAtMin = TrainNear(history, valid[minAt].Step), trainAtEnd = TrainNear(history, valid[^1].Step);
                if (trainAtEnd < trainAtMin)
                {
                    overFitting = true;
                    findings.Add(new CurveFinding(CurveFindingKind.OverFitting,
                        $"Validation loss rose from {min:0.###} (step {valid[minAt].Step}) to {end:0.###} while training loss fell from {trainAtMin:0.###} to {trainAtEnd:0.###}.",
                        "Train for fewer epochs (--epochs), or add more varied training data."));
                }
            }
        }

        if (last > first * (1 - MinRelativeFall))
        {
            findings.Add(new CurveFinding(CurveFindingKind.NotConverging,
                $"Training loss barely moved: {first:0.###} at the start, {last:0.###} at the end.",
                "Raise the learning rate (--lr-multiplier, e.g. 2 or 4) or check that the trained tokens carry the task."));
        }
        else if (!overFitting && last < before * (1 - ClearChange))
        {
            findings.Add(new CurveFinding(CurveFindingKind.UnderFitting,
                $"Training loss was still falling at the end ({before:0.###} → {last:0.###} over the last two fifths of the run).",
                "Train for more epochs (--epochs)."));
        }
        return findings;
    }

    private static double Mean(double[] v, int from, int count)
    {
        from = Math.Max(0, from);
        double s = 0;
        int n = 0;
        for (int i = from; i < Math.Min(v.Length, from + count); i++) { s += v[i]; n++; }
        return n == 0 ? double.NaN : s / n;
    }

    private static double TrainNear(IReadOnlyList<MetricRow> history, long step)
    {
        // Mean training loss of the (up to) 3 steps ending at `step`: single steps are noisy.
        var rows = history.Where(r => r.Step <= step).TakeLast(3).ToList();
        return rows.Count == 0 ? history[0].TrainLoss : rows.Average(r => r.TrainLoss);
    }
}
