using Hone.Evals.Compare;

namespace Hone.Evals.Runs;

/// <summary>One grader's aggregate over a run.</summary>
/// <param name="Grader">The grader's name.</param>
/// <param name="MeanScore">Mean score over the samples it gave a verdict on (errors excluded).</param>
/// <param name="PassRate">Fraction of the samples it gave a verdict on that it passed (errors excluded).</param>
/// <param name="Errors">Samples on which it reported an error (parse failure, missing field, ...) instead of a verdict.</param>
/// <param name="Graded">Samples it gave a verdict on.</param>
public sealed record GraderSummary(string Grader, double MeanScore, double PassRate, int Errors, int Graded = 0);

/// <summary>Accuracy on the cases carrying one tag.</summary>
/// <param name="Tag">The tag (edge-case name).</param>
/// <param name="Cases">Cases with the tag.</param>
/// <param name="Accuracy">Passed samples / samples over those cases.</param>
public sealed record TagSummary(string Tag, int Cases, double Accuracy);

/// <summary>
/// The aggregate of a run. The headline is the spec's primary metric (one grader) when it names one, else every grader
/// together (a sample passes when all pass). <see cref="Accuracy"/> is passed / graded, where a graded sample is one
/// the model answered and the headline grading gave a verdict on: model errors, skipped (over-long) cases and grader
/// errors are counted apart (<see cref="ModelErrors"/>, <see cref="Skipped"/>, <see cref="GraderErrors"/>), never as
/// failures. The 95% Wilson interval uses the number of graded cases as n (repeats of one case are not independent
/// trials, so counting samples would overstate certainty). With repeats k &gt; 1: <see cref="PassAtK"/> and
/// <see cref="PassHatK"/> are the unbiased estimators averaged over the cases whose every repeat was graded, and a case
/// is flaky when some but not all of its graded repeats pass.
/// </summary>
public sealed record EvalSummary
{
    /// <summary>Cases evaluated.</summary>
    public int Cases { get; init; }

    /// <summary>Samples (cases × repeats).</summary>
    public int Samples { get; init; }

    /// <summary>Graded samples that passed the headline (the primary metric, or every grader).</summary>
    public int Passed { get; init; }

    /// <summary>Samples in the accuracy's denominator: answered, and the headline grading gave a verdict.</summary>
    public int Graded { get; init; }

    /// <summary>The grader whose verdict is the headline (the spec's <c>primary_metric</c>), or null for every grader.</summary>
    public string? PrimaryMetric { get; init; }

    /// <summary>Repeats per case.</summary>
    public int Repeats { get; init; }

    /// <summary>Passed / graded (0 when nothing was graded).</summary>
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

    /// <summary>Per-class accuracy and confusion matrix of each grader that compares labels.</summary>
    public IReadOnlyList<ClassificationSummary> Classification { get; init; } = [];

    /// <summary>Samples whose model call failed.</summary>
    public int ModelErrors { get; init; }

    /// <summary>Answered samples on which some grader reported an error instead of a verdict.</summary>
    public int GraderErrors { get; init; }

    /// <summary>Samples not sent because the prompt did not fit the model's context (--on-overflow skip).</summary>
    public int Skipped { get; init; }

    /// <summary>Samples whose prompt lost its oldest tokens to fit the context (--on-overflow truncate-start).</summary>
    public int Truncated { get; init; }

    /// <summary>Answers that ended on their own (finish reason stop or tool_calls).</summary>
    public int EndedOnOwn { get; init; }

    /// <summary>Answers cut at the token limit (finish reason length): raise max_tokens, or the model never learned to stop.</summary>
    public int HitTokenLimit { get; init; }

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
    /// <param name="samples">Every sample of the run.</param>
    /// <param name="graderNames">The spec's graders, in order.</param>
    /// <param name="primaryMetric">The grader whose verdict is the headline, or null for every grader together.</param>
    /// <param name="declaredClassifiers">Graders declared as classifiers (type <c>classification</c>): their per-class
    /// report is always given; other graders that record labels get one when their references look like labels.</param>
    public static EvalSummary Compute(IReadOnlyList<CaseResult> samples, IReadOnlyList<string> graderNames, string? primaryMetric = null,
        IReadOnlyCollection<string>? declaredClassifiers = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(graderNames);
        var byCase = samples.GroupBy(s => s.CaseId, StringComparer.Ordinal).ToList();
        int cases = byCase.Count, n = samples.Count;
        int repeats = byCase.Count == 0 ? 1 : byCase.Min(g => g.Count());
        bool Graded(CaseResult s) => s.Answered && (primaryMetric is null
            ? !s.HasGraderError
            : s.Grades.FirstOrDefault(g => g.Grader == primaryMetric) is { ErrorKind: null });
        var graded = samples.Where(Graded).ToList();
        int passed = graded.Count(s => s.Pass);
        var gradedCases = byCase.Where(g => g.Any(Graded)).ToList();
        double acc = graded.Count == 0 ? 0 : (double)passed / graded.Count;
        var wilson = EvalStatistics.Wilson(acc, gradedCases.Count);
        double? atK = null, hatK = null;
        var complete = byCase.Where(g => g.All(Graded)).ToList();
        if (repeats > 1 && complete.Count > 0)
        {
            atK = complete.Average(g => EvalStatistics.PassAtK(g.Count(), g.Count(s => s.Pass), repeats));
            hatK = complete.Average(g => EvalStatistics.PassHatK(g.Count(), g.Count(s => s.Pass), repeats));
        }
        var flaky = gradedCases.Where(g => g.Where(Graded).Any(s => s.Pass) && g.Where(Graded).Any(s => !s.Pass)).Select(g => g.Key).ToList();
        var graders = graderNames.Select(name =>
        {
            var outcomes = samples.Where(s => s.Answered).SelectMany(s => s.Grades).Where(o => o.Grader == name).ToList();
            var verdicts = outcomes.Where(o => o.ErrorKind is null).ToList();
            return new GraderSummary(name,
                verdicts.Count == 0 ? 0 : verdicts.Average(o => o.Score),
                verdicts.Count == 0 ? 0 : verdicts.Count(o => o.Pass) / (double)verdicts.Count,
                outcomes.Count - verdicts.Count,
                verdicts.Count);
        }).ToList();
        var classification = graderNames
            .Select(name => ClassificationSummary.TryCompute(name,
                [.. samples.Where(s => s.Answered).SelectMany(s => s.Grades).Where(o => o.Grader == name && o.ErrorKind is null)],
                declaredClassifiers?.Contains(name) == true))
            .OfType<ClassificationSummary>().ToList();
        var tags = graded.SelectMany(s => s.Tags.Select(t => (Tag: t, Sample: s)))
            .GroupBy(x => x.Tag, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new TagSummary(g.Key, g.Select(x => x.Sample.CaseId).Distinct(StringComparer.Ordinal).Count(),
                g.Count(x => x.Sample.Pass) / (double)g.Count()))
            .ToList();
        var called = samples.Where(s => !s.CacheHit && s.Answered).ToList();
        return new EvalSummary
        {
            Cases = cases,
            Samples = n,
            Passed = passed,
            Graded = graded.Count,
            PrimaryMetric = primaryMetric,
            Classification = classification,
            GraderErrors = samples.Count(s => s.HasGraderError),
            Skipped = samples.Count(s => s.Error is null && s.Status == SampleStatus.Skipped),
            Truncated = samples.Count(s => s.Error is null && s.Status == SampleStatus.Truncated),
            EndedOnOwn = samples.Count(s => s.Answered && s.FinishReason is "stop" or "tool_calls"),
            HitTokenLimit = samples.Count(s => s.Answered && s.FinishReason == "length"),
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
