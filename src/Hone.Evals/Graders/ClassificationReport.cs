namespace Hone.Evals.Graders;

/// <summary>
/// Aggregate classification metrics over many (expected, predicted) pairs: accuracy, macro-F1 and the confusion matrix.
/// </summary>
/// <remarks>
/// The label set is the union of expected and predicted labels, sorted ordinally. Per label, precision = TP/(TP+FP),
/// recall = TP/(TP+FN), F1 = 2PR/(P+R), each 0 when its denominator is 0 (scikit-learn's <c>zero_division=0</c>);
/// macro-F1 is their unweighted mean.
/// </remarks>
public sealed class ClassificationReport
{
    private ClassificationReport(IReadOnlyList<string> labels, int[,] counts, int total)
    {
        Labels = labels;
        Confusion = counts;
        Total = total;
        int correct = 0;
        var f1 = new double[labels.Count];
        for (int i = 0; i < labels.Count; i++)
        {
            correct += counts[i, i];
            int tp = counts[i, i], predicted = 0, actual = 0;
            for (int j = 0; j < labels.Count; j++)
            {
                predicted += counts[j, i];
                actual += counts[i, j];
            }
            double p = predicted == 0 ? 0 : (double)tp / predicted;
            double r = actual == 0 ? 0 : (double)tp / actual;
            f1[i] = p + r == 0 ? 0 : 2 * p * r / (p + r);
        }
        PerLabelF1 = f1;
        Accuracy = total == 0 ? 0 : (double)correct / total;
        MacroF1 = labels.Count == 0 ? 0 : f1.Average();
    }

    /// <summary>The labels, in the order of the matrix rows and columns.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Counts: row = expected label index, column = predicted label index.</summary>
    public int[,] Confusion { get; }

    /// <summary>Number of pairs.</summary>
    public int Total { get; }

    /// <summary>Fraction of pairs whose prediction equals the expectation.</summary>
    public double Accuracy { get; }

    /// <summary>Unweighted mean of the per-label F1 scores.</summary>
    public double MacroF1 { get; }

    /// <summary>F1 per label, aligned with <see cref="Labels"/>.</summary>
    public IReadOnlyList<double> PerLabelF1 { get; }

    /// <summary>Builds the report from (expected, predicted) pairs.</summary>
    public static ClassificationReport Compute(IEnumerable<(string Expected, string Predicted)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var list = pairs.ToList();
        var labels = list.SelectMany(p => new[] { p.Expected, p.Predicted }).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        var counts = new int[labels.Count, labels.Count];
        foreach (var (e, p) in list) counts[index[e], index[p]]++;
        return new ClassificationReport(labels, counts, list.Count);
    }

    /// <summary>
    /// Builds the report from classification grader results (their <see cref="GradeResult.ExpectedLabel"/> and
    /// <see cref="GradeResult.Label"/>); a result without an expected label is skipped, one without a prediction counts
    /// as the label <c>(none)</c>.
    /// </summary>
    public static ClassificationReport FromResults(IEnumerable<GradeResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return Compute(results.Where(r => r.ExpectedLabel is not null).Select(r => (r.ExpectedLabel!, r.Label ?? "(none)")));
    }
}
