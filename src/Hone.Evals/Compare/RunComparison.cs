using Hone.Evals.Runs;

namespace Hone.Evals.Compare;

/// <summary>How one case changed from run A to run B.</summary>
public enum CaseChange
{
    /// <summary>Passed in both.</summary>
    BothPass,

    /// <summary>Failed in both.</summary>
    BothFail,

    /// <summary>Failed in A, passes in B.</summary>
    Fixed,

    /// <summary>Passed in A, fails in B.</summary>
    Regressed,
}

/// <summary>One case in both runs.</summary>
/// <param name="CaseId">The case id.</param>
/// <param name="Tags">Its tags.</param>
/// <param name="RateA">Fraction of A's repeats that passed.</param>
/// <param name="RateB">Fraction of B's repeats that passed.</param>
/// <param name="Change">The paired outcome (a case passes when at least half its repeats pass).</param>
/// <param name="OutputA">A's first output.</param>
/// <param name="OutputB">B's first output.</param>
public sealed record CasePair(string CaseId, IReadOnlyList<string> Tags, double RateA, double RateB, CaseChange Change, string OutputA, string OutputB)
{
    /// <summary>The input messages as <c>role: content</c> lines (B's, else A's), or null when neither run recorded them.</summary>
    public string? Input { get; init; }

    /// <summary>The case's reference answer (B's record, else A's), or null when unknown.</summary>
    public string? Reference { get; init; }
}

/// <summary>Accuracy on one tag in both runs.</summary>
/// <param name="Tag">The tag.</param>
/// <param name="Cases">Paired cases with the tag.</param>
/// <param name="AccuracyA">A's accuracy on them.</param>
/// <param name="AccuracyB">B's accuracy on them.</param>
/// <param name="Fixed">Cases fixed.</param>
/// <param name="Regressed">Cases regressed.</param>
public sealed record TagComparison(string Tag, int Cases, double AccuracyA, double AccuracyB, int Fixed, int Regressed);

/// <summary>
/// A paired, case-by-case comparison of two eval runs over the cases they share.
/// </summary>
/// <remarks>
/// A case passes in a run when at least half of its repeats pass (with one repeat: when it passed). Accuracies here
/// are over the shared cases with that rule. The difference B − A has a seeded paired-bootstrap 95% interval over the
/// per-case differences of pass rates; McNemar's exact test is applied to the discordant cases (fixed vs regressed).
/// <para>A case skipped in either run (over-long for the model's context) is not comparable: it is left out of every
/// figure and counted in <see cref="NotComparable"/>.</para>
/// <para><b>Regression rule</b>: B regresses significantly when more cases regressed than were fixed and McNemar's
/// p-value is below <see cref="Alpha"/> (0.05). <c>hone compare</c> (and its alias <c>hone eval compare</c>) exits 1 exactly then.</para>
/// </remarks>
public sealed record RunComparison
{
    /// <summary>The significance level of the regression rule.</summary>
    public const double Alpha = 0.05;

    /// <summary>Run A's id.</summary>
    public required string RunA { get; init; }

    /// <summary>Run B's id.</summary>
    public required string RunB { get; init; }

    /// <summary>Run A's model (its <c>eval.model</c> tag), or "?".</summary>
    public string ModelA { get; init; } = "?";

    /// <summary>Run B's model, or "?".</summary>
    public string ModelB { get; init; } = "?";

    /// <summary>Run A's spec (run name).</summary>
    public string SpecA { get; init; } = "";

    /// <summary>Run B's spec (run name).</summary>
    public string SpecB { get; init; } = "";

    /// <summary>Every shared case, in A's order.</summary>
    public required IReadOnlyList<CasePair> Cases { get; init; }

    /// <summary>Case ids only in A.</summary>
    public IReadOnlyList<string> OnlyInA { get; init; } = [];

    /// <summary>Case ids only in B.</summary>
    public IReadOnlyList<string> OnlyInB { get; init; } = [];

    /// <summary>Case ids in both runs but skipped (over-long) in A or B, so not compared.</summary>
    public IReadOnlyList<string> NotComparable { get; init; } = [];

    /// <summary>A's accuracy over the shared cases.</summary>
    public double AccuracyA { get; init; }

    /// <summary>B's accuracy over the shared cases.</summary>
    public double AccuracyB { get; init; }

    /// <summary>B − A.</summary>
    public double Difference => AccuracyB - AccuracyA;

    /// <summary>The paired-bootstrap 95% interval of the difference of mean pass rates.</summary>
    public Interval DifferenceInterval { get; init; }

    /// <summary>McNemar's exact two-sided p-value on fixed vs regressed.</summary>
    public double McNemarP { get; init; }

    /// <summary>The bootstrap seed used.</summary>
    public int Seed { get; init; }

    /// <summary>Per-tag breakdown.</summary>
    public IReadOnlyList<TagComparison> Tags { get; init; } = [];

    /// <summary>Cases fixed in B.</summary>
    public IReadOnlyList<string> Fixed => [.. Cases.Where(c => c.Change == CaseChange.Fixed).Select(c => c.CaseId)];

    /// <summary>Cases regressed in B.</summary>
    public IReadOnlyList<string> Regressed => [.. Cases.Where(c => c.Change == CaseChange.Regressed).Select(c => c.CaseId)];

    /// <summary>Cases passing in both.</summary>
    public int BothPass => Cases.Count(c => c.Change == CaseChange.BothPass);

    /// <summary>Cases failing in both.</summary>
    public int BothFail => Cases.Count(c => c.Change == CaseChange.BothFail);

    /// <summary>True when B regresses significantly (see the regression rule).</summary>
    public bool SignificantRegression => Regressed.Count > Fixed.Count && McNemarP < Alpha;

    /// <summary>Compares two runs' samples.</summary>
    public static RunComparison Compute(LoadedEvalRun a, LoadedEvalRun b, int seed = 0, int iterations = 10_000)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var byA = Group(a.Results);
        var byB = Group(b.Results);
        var pairs = new List<CasePair>();
        var notComparable = new List<string>();
        foreach (var (id, sa) in byA)
        {
            if (!byB.TryGetValue(id, out var sb)) continue;
            if (sa.Any(Skipped) || sb.Any(Skipped))
            {
                notComparable.Add(id);
                continue;
            }
            double ra = Rate(sa), rb = Rate(sb);
            bool pa = ra >= 0.5, pb = rb >= 0.5;
            var change = (pa, pb) switch
            {
                (true, true) => CaseChange.BothPass,
                (false, false) => CaseChange.BothFail,
                (false, true) => CaseChange.Fixed,
                _ => CaseChange.Regressed,
            };
            pairs.Add(new CasePair(id, sa[0].Tags, ra, rb, change, sa[0].Output, sb[0].Output)
            {
                Input = InputText(sb[0]) ?? InputText(sa[0]),
                Reference = sb[0].Reference ?? sa[0].Reference,
            });
        }
        int n = pairs.Count;
        int fixedN = pairs.Count(p => p.Change == CaseChange.Fixed), regressedN = pairs.Count(p => p.Change == CaseChange.Regressed);
        var tags = pairs.SelectMany(p => p.Tags.Select(t => (Tag: t, Pair: p))).GroupBy(x => x.Tag, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new TagComparison(g.Key, g.Count(),
                g.Count(x => x.Pair.RateA >= 0.5) / (double)g.Count(), g.Count(x => x.Pair.RateB >= 0.5) / (double)g.Count(),
                g.Count(x => x.Pair.Change == CaseChange.Fixed), g.Count(x => x.Pair.Change == CaseChange.Regressed)))
            .ToList();
        return new RunComparison
        {
            RunA = a.Run.Id,
            RunB = b.Run.Id,
            ModelA = a.Model,
            ModelB = b.Model,
            SpecA = a.Run.Name,
            SpecB = b.Run.Name,
            Cases = pairs,
            OnlyInA = [.. byA.Keys.Where(k => !byB.ContainsKey(k))],
            OnlyInB = [.. byB.Keys.Where(k => !byA.ContainsKey(k))],
            NotComparable = notComparable,
            AccuracyA = n == 0 ? 0 : pairs.Count(p => p.RateA >= 0.5) / (double)n,
            AccuracyB = n == 0 ? 0 : pairs.Count(p => p.RateB >= 0.5) / (double)n,
            DifferenceInterval = EvalStatistics.PairedBootstrap([.. pairs.Select(p => Pass(p.RateB) - Pass(p.RateA))], seed, iterations),
            McNemarP = EvalStatistics.McNemarExact(regressedN, fixedN),
            Seed = seed,
            Tags = tags,
        };
    }

    private static double Pass(double rate) => rate >= 0.5 ? 1 : 0;

    private static bool Skipped(CaseResult r) => r.Error is null && r.Status == SampleStatus.Skipped;

    /// <summary>The recorded input messages as <c>role: content</c> lines, or null.</summary>
    public static string? InputText(CaseResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.Input is not { ValueKind: System.Text.Json.JsonValueKind.Array } input) return null;
        return string.Join("\n", input.EnumerateArray().Select(m =>
            (m.TryGetProperty("role", out var role) ? role.GetString() : "?") + ": " +
            (m.TryGetProperty("content", out var content) && content.ValueKind == System.Text.Json.JsonValueKind.String ? content.GetString() : "")));
    }

    private static double Rate(List<CaseResult> samples) => samples.Count(s => s.Pass) / (double)samples.Count;

    private static Dictionary<string, List<CaseResult>> Group(IReadOnlyList<CaseResult> results)
    {
        var d = new Dictionary<string, List<CaseResult>>(StringComparer.Ordinal);
        foreach (var r in results)
        {
            if (!d.TryGetValue(r.CaseId, out var list)) d[r.CaseId] = list = [];
            list.Add(r);
        }
        return d;
    }
}
