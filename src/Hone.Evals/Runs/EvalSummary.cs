using Hone.Evals.Compare;

namespace Hone.Evals.Runs;

/// <summary>One grader's aggregate over a run.</summary>
/// <param name="Grader">The grader's name.</param>
/// <param name="MeanScore">Mean score over graded samples.</param>
/// <param name="PassRate">Fraction of graded samples it passed.</param>
/// <param name="Errors">Samples on which it reported an error (parse failure, missing field, ...).</param>
public sealed record GraderSummary(string Grader, double MeanScore, double PassRate, int Errors);

/// <summary>Accuracy on the cases carrying one tag.</summary>
/// <param name="Tag">The tag (edge-case name).</param>
/// <param name="Cases">Cases with the tag.</param>
/// <param name="Accuracy">Passed samples / samples over those cases.</param>
public sealed record TagSummary(string Tag, int Cases, double Accuracy);

/// <summary>
/// The aggregate of a run. <see cref="Accuracy"/> is passed samples / samples. The 95% Wilson interval uses the number
/// of cases as n (repeats of one case are not independent trials, so counting samples would overstate certainty).
/// With repeats k &gt; 1: <see cref="PassAtK"/> and <see cref="PassHatK"/> are the unbiased estimators averaged over
/// cases, and a case is flaky when some but not all of its repeats pass.
/// </summary>
public sealed record EvalSummary
{
    /// <summary>Cases evaluated.</summary>
    public int Cases { get; init; }

    /// <summary>Samples (cases × repeats).</summary>
    public int Samples { get; init; }

    /// <summary>Samples that passed every grader.</summary>
    public int Passed { get; init; }

    /// <summary>Repeats per case.</summary>
    public int Repeats { get; init; }

    /// <summary>Passed / samples.</summary>
    public double Accuracy { get; init; }

    /// <summary>Lower end of the 95% Wilson interval.</summary>
    public double AccuracyLow { get; init; }

    /// <summary>Upper end of the 95% Wilson interval.</summary>
    public double AccuracyHigh { get; init; }

    /// <summary>pass@k with k = <see cref="Repeats"/> (null when repeats is 1).</summary>
    public double? PassAtK { get; init; }

    /// <summary>pass^k with k = <see cref="Repeats"/> (null when repeats is 1).</summary>
    public double? PassHatK { get; init; }

    /// <summary>Ids of the cases whose repeats disagree.</summary>
    public IReadOnlyList<string> FlakyCases { get; init; } = [];

    /// <summary>Per-grader aggregates, in spec order.</summary>
    public IReadOnlyList<GraderSummary> Graders { get; init; } = [];

    /// <summary>Per-tag accuracy, by tag name.</summary>
    public IReadOnlyList<TagSummary> Tags { get; init; } = [];

    /// <summary>Samples whose model call failed.</summary>
    public int ModelErrors { get; init; }

    /// <summary>Samples served from the response cache.</summary>
    public int CacheHits { get; init; }

    /// <summary>Prompt tokens over all samples.</summary>
    public long InputTokens { get; init; }

    /// <summary>Completion tokens over all samples.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Dollars (null when no price is known).</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>Mean latency of the model calls that were not cache hits, in ms.</summary>
    public double MeanLatencyMs { get; init; }

    /// <summary>Computes the summary of a run's samples.</summary>
    public static EvalSummary Compute(IReadOnlyList<CaseResult> samples, IReadOnlyList<string> graderNames)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(graderNames);
        var byCase = samples.GroupBy(s => s.CaseId, StringComparer.Ordinal).ToList();
        int cases = byCase.Count, n = samples.Count, passed = samples.Count(s => s.Pass);
        int repeats = byCase.Count == 0 ? 1 : byCase.Min(g => g.Count());
        double acc = n == 0 ? 0 : (double)passed / n;
        var wilson = EvalStatistics.Wilson(acc, cases);
        double? atK = null, hatK = null;
        if (repeats > 1 && cases > 0)
        {
            atK = byCase.Average(g => EvalStatistics.PassAtK(g.Count(), g.Count(s => s.Pass), repeats));
            hatK = byCase.Average(g => EvalStatistics.PassHatK(g.Count(), g.Count(s => s.Pass), repeats));
        }
        var flaky = byCase.Where(g => g.Any(s => s.Pass) && g.Any(s => !s.Pass)).Select(g => g.Key).ToList();
        var graders = graderNames.Select(name =>
        {
            var outcomes = samples.SelectMany(s => s.Grades).Where(o => o.Grader == name).ToList();
            return new GraderSummary(name,
                outcomes.Count == 0 ? 0 : outcomes.Average(o => o.Score),
                outcomes.Count == 0 ? 0 : outcomes.Count(o => o.Pass) / (double)outcomes.Count,
                outcomes.Count(o => o.ErrorKind is not null));
        }).ToList();
        var tags = samples.SelectMany(s => s.Tags.Select(t => (Tag: t, Sample: s)))
            .GroupBy(x => x.Tag, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new TagSummary(g.Key, g.Select(x => x.Sample.CaseId).Distinct(StringComparer.Ordinal).Count(),
                g.Count(x => x.Sample.Pass) / (double)g.Count()))
            .ToList();
        var called = samples.Where(s => !s.CacheHit && s.Error is null).ToList();
        return new EvalSummary
        {
            Cases = cases,
            Samples = n,
            Passed = passed,
            Repeats = repeats,
            Accuracy = acc,
            AccuracyLow = wilson.Low,
            AccuracyHigh = wilson.High,
            PassAtK = atK,
            PassHatK = hatK,
            FlakyCases = flaky,
            Graders = graders,
            Tags = tags,
            ModelErrors = samples.Count(s => s.Error is not null),
            CacheHits = samples.Count(s => s.CacheHit),
            InputTokens = samples.Sum(s => s.InputTokens),
            OutputTokens = samples.Sum(s => s.OutputTokens),
            CostUsd = samples.Any(s => s.CostUsd is not null) ? samples.Sum(s => s.CostUsd ?? 0) : null,
            MeanLatencyMs = called.Count == 0 ? 0 : called.Average(s => s.LatencyMs),
        };
    }
}
