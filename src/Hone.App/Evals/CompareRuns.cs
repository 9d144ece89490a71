using Hone.Evals.Compare;
using Hone.Evals.Reports;
using Hone.Evals.Runs;
using Hone.Store;

namespace Hone.App.Evals;

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

    /// <summary>The comparison in full (every case) for a report.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public RunComparison? Comparison { get; init; }

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
            Comparison = cmp,
        };
    }
}

/// <summary>What <see cref="CompareRuns"/> is asked.</summary>
/// <param name="RunA">The reference run id (or unique prefix), or <c>baseline</c> for the baseline of B's spec.</param>
/// <param name="RunB">The run to judge.</param>
/// <param name="WorkingDirectory">Where the workspace is found and relative paths are anchored.</param>
/// <param name="Seed">Seed of the paired bootstrap.</param>
/// <param name="Html">Also write a self-contained HTML report to this file, or null.</param>
public sealed record CompareRequest(string RunA, string RunB, string WorkingDirectory, int Seed = 0, string? Html = null);

/// <summary>
/// Use case "compare two eval runs" case by case: fixed, regressed, the accuracy difference with a paired-bootstrap 95%
/// interval and McNemar's exact p, per-tag accuracy, the changed cases; optionally an HTML report.
/// </summary>
public static class CompareRuns
{
    /// <summary>Compares the runs.</summary>
    /// <exception cref="WorkspaceException">A run is unknown, or B's spec has no baseline.</exception>
    public static CompareJson Run(CompareRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ws = Workspace.Require(request.WorkingDirectory);
        using var store = ws.OpenStore();
        var runB = EvalRuns.Load(store, request.RunB);
        var aId = request.RunA;
        if (aId == "baseline")
            aId = EvalRuns.FindBaseline(store, runB.Run.Name)?.Id
                ?? throw new WorkspaceException($"The spec '{runB.Run.Name}' has no baseline; mark one with 'hone eval baseline RUN'.");
        var cmp = RunComparison.Compute(EvalRuns.Load(store, aId), runB, request.Seed);
        string? htmlPath = null;
        if (request.Html is { } file)
        {
            htmlPath = Path.GetFullPath(Path.Combine(request.WorkingDirectory, file));
            CompareHtmlReport.Write(htmlPath, cmp);
        }
        return CompareJson.From(cmp, htmlPath);
    }
}
