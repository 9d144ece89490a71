using Hone.Evals.Compare;
using Hone.Evals.Runs;
using Hone.Store;

namespace Hone.Evals.Tests.Compare;

public class RunComparisonTests
{
    internal static LoadedEvalRun Run(string id, Func<int, bool> pass, int cases = 20, Func<int, string[]>? tags = null) =>
        new(new RunRecord(id, "eval", "spec", RunStatus.Succeeded, DateTime.UtcNow, null, null, null, "{}", null),
            [.. Enumerable.Range(0, cases).Select(i => new CaseResult
            {
                CaseId = $"c{i}",
                Tags = tags?.Invoke(i) ?? [],
                Pass = pass(i),
                Output = pass(i) ? "right" : "wrong",
            })]);

    [Fact]
    public void Known_outcomes_give_the_exact_lists_p_value_and_interval()
    {
        // A passes c0..c11. B passes c6..c13: c0..c5 regressed, c12 and c13 fixed.
        var a = Run("A", i => i < 12, tags: i => i < 4 ? ["t"] : []);
        var b = Run("B", i => i is >= 6 and < 14, tags: i => i < 4 ? ["t"] : []);
        var cmp = RunComparison.Compute(a, b, seed: 3);

        Assert.Equal(["c12", "c13"], cmp.Fixed);
        Assert.Equal(["c0", "c1", "c2", "c3", "c4", "c5"], cmp.Regressed);
        Assert.Equal(6, cmp.BothPass);  // c6..c11
        Assert.Equal(6, cmp.BothFail);  // c14..c19
        Assert.Equal(0.6, cmp.AccuracyA, 12);
        Assert.Equal(0.4, cmp.AccuracyB, 12);
        Assert.Equal(-0.2, cmp.Difference, 12);
        // McNemar exact on 6 vs 2: 2·(C(8,0)+C(8,1)+C(8,2))/2^8 = 74/256.
        Assert.Equal(74.0 / 256, cmp.McNemarP, 12);
        Assert.False(cmp.SignificantRegression);

        // The bootstrap interval, computed here by the documented procedure.
        var diffs = Enumerable.Range(0, 20).Select(i => (i is >= 6 and < 14 ? 1.0 : 0) - (i < 12 ? 1.0 : 0)).ToArray();
        var rng = new Random(3);
        var means = new double[10_000];
        for (int r = 0; r < means.Length; r++)
        {
            double s = 0;
            for (int i = 0; i < 20; i++) s += diffs[rng.Next(20)];
            means[r] = s / 20;
        }
        Array.Sort(means);
        Assert.Equal(means[250], cmp.DifferenceInterval.Low, 12);
        Assert.Equal(means[9749], cmp.DifferenceInterval.High, 12);

        var t = Assert.Single(cmp.Tags);
        Assert.Equal(("t", 4, 1.0, 0.0, 0, 4), (t.Tag, t.Cases, t.AccuracyA, t.AccuracyB, t.Fixed, t.Regressed));
    }

    [Fact]
    public void Ten_regressions_and_no_fix_is_a_significant_regression()
    {
        var cmp = RunComparison.Compute(Run("A", i => i < 15), Run("B", i => i < 5));
        Assert.Equal(2.0 / 1024, cmp.McNemarP, 12);
        Assert.True(cmp.SignificantRegression);
        Assert.True(cmp.DifferenceInterval.High < 0);
    }

    [Fact]
    public void An_improvement_is_never_a_regression()
    {
        var cmp = RunComparison.Compute(Run("A", i => i < 5), Run("B", i => i < 15));
        Assert.True(cmp.McNemarP < 0.05);
        Assert.False(cmp.SignificantRegression);
    }

    [Fact]
    public void Cases_missing_from_one_run_are_listed_not_paired()
    {
        var cmp = RunComparison.Compute(Run("A", _ => true, cases: 5), Run("B", _ => true, cases: 3));
        Assert.Equal(3, cmp.Cases.Count);
        Assert.Equal(["c3", "c4"], cmp.OnlyInA);
        Assert.Empty(cmp.OnlyInB);
    }

    [Fact]
    public void With_repeats_a_case_passes_when_at_least_half_its_repeats_pass()
    {
        var rec = new RunRecord("A", "eval", "spec", RunStatus.Succeeded, DateTime.UtcNow, null, null, null, "{}", null);
        var a = new LoadedEvalRun(rec, [
            new CaseResult { CaseId = "x", Repeat = 0, Pass = true }, new CaseResult { CaseId = "x", Repeat = 1, Pass = false },
            new CaseResult { CaseId = "y", Repeat = 0, Pass = false }, new CaseResult { CaseId = "y", Repeat = 1, Pass = false },
        ]);
        var b = new LoadedEvalRun(rec with { Id = "B" }, [
            new CaseResult { CaseId = "x", Repeat = 0, Pass = false }, new CaseResult { CaseId = "x", Repeat = 1, Pass = false },
            new CaseResult { CaseId = "y", Repeat = 0, Pass = true }, new CaseResult { CaseId = "y", Repeat = 1, Pass = true },
        ]);
        var cmp = RunComparison.Compute(a, b);
        Assert.Equal(["x"], cmp.Regressed);
        Assert.Equal(["y"], cmp.Fixed);
        Assert.Equal(0.5, cmp.Cases[0].RateA);
    }

    [Fact]
    public void A_case_skipped_in_either_run_is_not_comparable_and_counted()
    {
        // c0 is skipped in A (over-long), c1 in B; c2..c5 pass in A and fail in B.
        static CaseResult Skip(CaseResult r) => r with { Status = SampleStatus.Skipped, Pass = false, Output = "" };
        var a = Run("A", i => i >= 1, cases: 6);
        var b = Run("B", i => i < 2, cases: 6);
        a = a with { Results = [.. a.Results.Select(r => r.CaseId == "c0" ? Skip(r) : r)] };
        b = b with { Results = [.. b.Results.Select(r => r.CaseId == "c1" ? Skip(r) : r)] };
        var cmp = RunComparison.Compute(a, b);
        Assert.Equal(["c0", "c1"], cmp.NotComparable);
        Assert.Equal(4, cmp.Cases.Count);
        Assert.Equal(["c2", "c3", "c4", "c5"], cmp.Regressed);
        Assert.Empty(cmp.Fixed);
        Assert.Equal(1.0, cmp.AccuracyA);
        Assert.Equal(0.0, cmp.AccuracyB);

        // Edge cases leave a skipped case out too: it neither fails nor passes.
        Assert.False(Hone.Evals.EdgeCases.EdgeCaseReport.Outcomes(a).ContainsKey("c0"));
        Assert.DoesNotContain("c1", Hone.Evals.EdgeCases.EdgeCaseReport.Compute(b).FailingCases);
    }
}
