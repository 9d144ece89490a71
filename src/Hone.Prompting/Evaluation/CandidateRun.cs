using Hone.Evals.Runs;

namespace Hone.Prompting.Evaluation;

/// <summary>
/// One prompt (a candidate) evaluated on a set of golden cases: every sample, and what it cost. A sample counts when the
/// model answered and the graders gave a verdict; an answer a grader could not parse (not JSON where JSON was asked)
/// counts as a failure here, since a prompt that makes the model write unparsable answers is the worse prompt (the eval
/// summary of <c>hone eval</c> counts such grader errors apart). Other grader errors (a missing field, a failed judge)
/// leave the sample out.
/// </summary>
/// <param name="Name">The candidate's name.</param>
/// <param name="Results">One sample per case, in case order.</param>
public sealed record CandidateRun(string Name, IReadOnlyList<CaseResult> Results)
{
    /// <summary>Samples that were answered and graded (model errors and grader errors left out).</summary>
    public int Graded => Results.Count(Counts);

    /// <summary>Graded samples that passed.</summary>
    public int Passed => Results.Count(r => Counts(r) && r.Pass);

    /// <summary>Passed / graded (0 when nothing was graded).</summary>
    public double Accuracy => Graded == 0 ? 0 : Passed / (double)Graded;

    /// <summary>Model calls that failed.</summary>
    public int Errors => Results.Count(r => r.Error is not null);

    /// <summary>Prompt tokens per case.</summary>
    public double InputTokensPerCase => Results.Count == 0 ? 0 : Results.Average(r => (double)r.InputTokens);

    /// <summary>Completion tokens per case.</summary>
    public double OutputTokensPerCase => Results.Count == 0 ? 0 : Results.Average(r => (double)r.OutputTokens);

    /// <summary>Dollars per case when a price is known (what the calls would cost uncached), else null.</summary>
    public decimal? CostPerCase { get; init; }

    /// <summary>Mean latency per case in milliseconds (cache hits are near 0).</summary>
    public double LatencyMsPerCase => Results.Count == 0 ? 0 : Results.Average(r => r.LatencyMs);

    /// <summary>Whether each case passed, by id (graded cases only).</summary>
    public IReadOnlyDictionary<string, bool> PassById => Results.Where(Counts).ToDictionary(r => r.CaseId, r => r.Pass, StringComparer.Ordinal);

    /// <summary>Ids of the graded cases that failed.</summary>
    public IReadOnlyList<string> Failing => [.. Results.Where(r => Counts(r) && !r.Pass).Select(r => r.CaseId)];

    /// <summary>Whether a sample counts (see the type's remarks).</summary>
    public static bool Counts(CaseResult r) => r is not null && r.Answered && (r.FailedStep is not null
        || r.Grades.All(g => g.ErrorKind is null || g.ErrorKind == nameof(Hone.Evals.Graders.GradeErrorKind.ParseError)));
}
