using Hone.Evals.Graders;

namespace Hone.Evals.Runs;

/// <summary>One class of a classification grader over a run.</summary>
/// <param name="Label">The expected label.</param>
/// <param name="Support">Graded samples whose expected label it is.</param>
/// <param name="Correct">Of those, samples predicted as it.</param>
/// <param name="Accuracy">Correct / support (the class's recall).</param>
/// <param name="F1">The class's F1 (precision over every prediction of the label).</param>
public sealed record ClassSummary(string Label, int Support, int Correct, double Accuracy, double F1);

/// <summary>
/// Per-class accuracy and the confusion matrix of one grader whose verdicts compare a predicted label with an expected
/// one (a <c>classification</c> grader, or a <c>string_check</c> with <c>eq</c> over label-like references).
/// </summary>
/// <param name="Grader">The grader's name.</param>
/// <param name="Classes">Per expected label, by label.</param>
/// <param name="Columns">The confusion matrix's columns: the expected labels, then <see cref="Other"/> when some
/// prediction is none of them.</param>
/// <param name="Confusion">Counts: row = expected label (as <see cref="Classes"/>), column = predicted (as <see cref="Columns"/>).</param>
/// <param name="MacroF1">Unweighted mean of the classes' F1.</param>
public sealed record ClassificationSummary(string Grader, IReadOnlyList<ClassSummary> Classes, IReadOnlyList<string> Columns,
    IReadOnlyList<IReadOnlyList<int>> Confusion, double MacroF1)
{
    /// <summary>The column of predictions that are none of the expected labels.</summary>
    public const string Other = "(other)";

    /// <summary>Most distinct labels a set may have to count as classification labels.</summary>
    public const int MaxLabels = 20;

    /// <summary>Longest label, in characters.</summary>
    public const int MaxLabelLength = 40;

    /// <summary>
    /// True when <paramref name="references"/> look like classification labels: at most <see cref="MaxLabels"/>
    /// distinct, single-line, non-empty values of at most <see cref="MaxLabelLength"/> characters (trimmed), each value
    /// on average used at least twice (so ids or free answers, all different, do not count).
    /// </summary>
    public static bool LooksLikeLabels(IReadOnlyCollection<string> references)
    {
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count < 2) return false;
        var distinct = references.Select(r => r.Trim()).Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count <= MaxLabels && distinct.Count * 2 <= references.Count
            && distinct.All(l => l.Length is > 0 and <= MaxLabelLength && !l.Contains('\n', StringComparison.Ordinal));
    }

    /// <summary>
    /// The summary of one grader's (expected, predicted) pairs; null when the grader does not compare labels (no
    /// expected labels, or, unless <paramref name="declared"/>, references that do not look like labels).
    /// </summary>
    /// <param name="grader">The grader's name.</param>
    /// <param name="outcomes">Its verdicts without errors.</param>
    /// <param name="declared">True for a grader declared as a classifier (<c>classification</c>): labels are not guessed.</param>
    public static ClassificationSummary? TryCompute(string grader, IReadOnlyList<GraderOutcome> outcomes, bool declared)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var pairs = outcomes.Where(o => o.ExpectedLabel is not null)
            .Select(o => (Expected: o.ExpectedLabel!.Trim(), Predicted: o.Pass ? o.ExpectedLabel!.Trim() : (o.Label ?? "").Trim())).ToList();
        if (pairs.Count == 0 || pairs.Count < outcomes.Count) return null;
        if (!declared && !LooksLikeLabels(pairs.Select(p => p.Expected).ToList())) return null;
        var labels = pairs.Select(p => p.Expected).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (labels.Count > MaxLabels * 5) return null; // a declared classifier over hundreds of labels: no readable matrix
        var known = labels.ToHashSet(StringComparer.Ordinal);
        var collapsed = pairs.Select(p => (p.Expected, Predicted: known.Contains(p.Predicted) ? p.Predicted : Other)).ToList();
        var report = ClassificationReport.Compute(collapsed);
        var columns = collapsed.Any(p => p.Predicted == Other) ? [.. labels, Other] : labels;
        var index = report.Labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        var rows = new List<IReadOnlyList<int>>();
        var classes = new List<ClassSummary>();
        foreach (var expected in labels)
        {
            int r = index[expected];
            var row = columns.Select(c => report.Confusion[r, index[c]]).ToList();
            rows.Add(row);
            int support = row.Sum(), correct = report.Confusion[r, r];
            classes.Add(new ClassSummary(expected, support, correct, support == 0 ? 0 : correct / (double)support, report.PerLabelF1[r]));
        }
        return new ClassificationSummary(grader, classes, columns, rows, classes.Count == 0 ? 0 : classes.Average(c => c.F1));
    }
}
