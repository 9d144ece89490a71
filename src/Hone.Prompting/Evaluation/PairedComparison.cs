using Hone.Evals.Compare;
using Hone.Evals.Runs;
using Hone.Store;

namespace Hone.Prompting.Evaluation;

/// <summary>
/// A paired comparison of two candidates on the cases both graded, with Hone's statistics (<see cref="RunComparison"/>):
/// McNemar's exact p on the flips, the seeded paired-bootstrap 95% interval of the accuracy difference, and each side's
/// 95% Wilson interval.
/// </summary>
/// <param name="A">The reference candidate.</param>
/// <param name="B">The candidate compared with it.</param>
/// <param name="Cases">Cases both graded.</param>
/// <param name="AccuracyA">A's accuracy on them.</param>
/// <param name="AccuracyB">B's accuracy on them.</param>
/// <param name="Difference">B − A.</param>
/// <param name="DifferenceLow">Lower end of the bootstrap interval of the difference.</param>
/// <param name="DifferenceHigh">Upper end.</param>
/// <param name="McNemarP">McNemar's exact two-sided p.</param>
/// <param name="WrongToRight">Cases A failed and B passed.</param>
/// <param name="RightToWrong">Cases A passed and B failed.</param>
/// <param name="WilsonA">A's Wilson interval.</param>
/// <param name="WilsonB">B's Wilson interval.</param>
public sealed record PairedComparison(string A, string B, int Cases, double AccuracyA, double AccuracyB, double Difference, double DifferenceLow,
    double DifferenceHigh, double McNemarP, IReadOnlyList<string> WrongToRight, IReadOnlyList<string> RightToWrong, Interval WilsonA, Interval WilsonB)
{
    /// <summary>The significance level.</summary>
    public const double Alpha = RunComparison.Alpha;

    /// <summary>B is better: more fixed than broken and McNemar's p below α.</summary>
    public bool SignificantGain => WrongToRight.Count > RightToWrong.Count && McNemarP < Alpha;

    /// <summary>B is worse: more broken than fixed and McNemar's p below α.</summary>
    public bool SignificantLoss => RightToWrong.Count > WrongToRight.Count && McNemarP < Alpha;

    /// <summary>Compares <paramref name="b"/> with <paramref name="a"/> over the cases both graded.</summary>
    public static PairedComparison Of(CandidateRun a, CandidateRun b, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var pa = a.PassById;
        var pb = b.PassById;
        var shared = pa.Keys.Where(pb.ContainsKey).ToHashSet(StringComparer.Ordinal);
        var cmp = RunComparison.Compute(Loaded(a, shared), Loaded(b, shared), seed);
        int n = cmp.Cases.Count;
        return new PairedComparison(a.Name, b.Name, n, cmp.AccuracyA, cmp.AccuracyB, cmp.Difference, cmp.DifferenceInterval.Low, cmp.DifferenceInterval.High,
            cmp.McNemarP, cmp.Fixed, cmp.Regressed, EvalStatistics.Wilson(cmp.AccuracyA, n), EvalStatistics.Wilson(cmp.AccuracyB, n));
    }

    private static LoadedEvalRun Loaded(CandidateRun c, HashSet<string> ids) =>
        new(new RunRecord(c.Name, "prompt", c.Name, RunStatus.Succeeded, DateTime.UnixEpoch, null, null, null, "{}", null),
            [.. c.Results.Where(r => ids.Contains(r.CaseId))]);
}
