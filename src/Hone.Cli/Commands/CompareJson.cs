using Hone.Evals.Compare;

namespace Hone.Cli.Commands;

/// <summary>One changed case in <see cref="CompareJson"/>.</summary>
/// <param name="CaseId">The case id.</param>
/// <param name="Change">Fixed or regressed.</param>
/// <param name="Tags">Its tags.</param>
/// <param name="Input">The input messages as <c>role: content</c> lines, when recorded.</param>
/// <param name="Reference">The reference answer, when known.</param>
/// <param name="OutputA">A's first output.</param>
/// <param name="OutputB">B's first output.</param>
public sealed record ChangedCaseJson(string CaseId, CaseChange Change, IReadOnlyList<string> Tags, string? Input, string? Reference, string OutputA, string OutputB);

/// <summary>The <c>--json</c> document of <c>hone compare</c> (and <c>hone eval compare</c>).</summary>
public sealed record CompareJson
{
    /// <summary>Run A.</summary>
    public required string RunA { get; init; }

    /// <summary>Run B.</summary>
    public required string RunB { get; init; }

    /// <summary>A's model.</summary>
    public required string ModelA { get; init; }

    /// <summary>B's model.</summary>
    public required string ModelB { get; init; }

    /// <summary>Shared cases compared.</summary>
    public int Cases { get; init; }

    /// <summary>A's accuracy over them.</summary>
    public double AccuracyA { get; init; }

    /// <summary>B's accuracy over them.</summary>
    public double AccuracyB { get; init; }

    /// <summary>B − A.</summary>
    public double Difference { get; init; }

    /// <summary>Low end of the paired-bootstrap 95% interval.</summary>
    public double DifferenceLow { get; init; }

    /// <summary>High end of the paired-bootstrap 95% interval.</summary>
    public double DifferenceHigh { get; init; }

    /// <summary>McNemar's exact p.</summary>
    public double McnemarP { get; init; }

    /// <summary>The bootstrap seed.</summary>
    public int Seed { get; init; }

    /// <summary>Cases fixed in B.</summary>
    public IReadOnlyList<string> Fixed { get; init; } = [];

    /// <summary>Cases regressed in B.</summary>
    public IReadOnlyList<string> Regressed { get; init; } = [];

    /// <summary>Cases passing in both.</summary>
    public int BothPass { get; init; }

    /// <summary>Cases failing in both.</summary>
    public int BothFail { get; init; }

    /// <summary>Cases only in A.</summary>
    public IReadOnlyList<string> OnlyInA { get; init; } = [];

    /// <summary>Cases only in B.</summary>
    public IReadOnlyList<string> OnlyInB { get; init; } = [];

    /// <summary>Cases skipped (over-long) in A or B, left out of every figure.</summary>
    public IReadOnlyList<string> NotComparable { get; init; } = [];

    /// <summary>Per-tag comparison.</summary>
    public IReadOnlyList<TagComparison> Tags { get; init; } = [];

    /// <summary>The fixed and regressed cases with input, reference and both outputs.</summary>
    public IReadOnlyList<ChangedCaseJson> Changed { get; init; } = [];

    /// <summary>True when B regresses significantly.</summary>
    public bool SignificantRegression { get; init; }

    /// <summary>The HTML report written, or null.</summary>
    public string? Html { get; init; }

    /// <summary>The document for <paramref name="cmp"/>.</summary>
    public static CompareJson From(RunComparison cmp, string? html)
    {
        ArgumentNullException.ThrowIfNull(cmp);
        return new CompareJson
        {
            RunA = cmp.RunA,
            RunB = cmp.RunB,
            ModelA = cmp.ModelA,
            ModelB = cmp.ModelB,
            Cases = cmp.Cases.Count,
            AccuracyA = cmp.AccuracyA,
            AccuracyB = cmp.AccuracyB,
            Difference = cmp.Difference,
            DifferenceLow = cmp.DifferenceInterval.Low,
            DifferenceHigh = cmp.DifferenceInterval.High,
            McnemarP = cmp.McNemarP,
            Seed = cmp.Seed,
            Fixed = cmp.Fixed,
            Regressed = cmp.Regressed,
            BothPass = cmp.BothPass,
            BothFail = cmp.BothFail,
            OnlyInA = cmp.OnlyInA,
            OnlyInB = cmp.OnlyInB,
            NotComparable = cmp.NotComparable,
            Tags = cmp.Tags,
            Changed = [.. cmp.Cases.Where(x => x.Change is CaseChange.Fixed or CaseChange.Regressed)
                .Select(x => new ChangedCaseJson(x.CaseId, x.Change, x.Tags, x.Input, x.Reference, x.OutputA, x.OutputB))],
            SignificantRegression = cmp.SignificantRegression,
            Html = html,
        };
    }
}
