namespace Hone.Evals.Graders;

/// <summary>Why a grade could not be computed normally. A result with an error never passes.</summary>
public enum GradeErrorKind
{
    /// <summary>No error.</summary>
    None,

    /// <summary>The output (or a judge's reply, or a command's stdout) could not be parsed as the grader requires.</summary>
    ParseError,

    /// <summary>A template or path named a field the item or sample does not have.</summary>
    MissingField,

    /// <summary>The judge model call failed.</summary>
    ModelError,

    /// <summary>An external command failed to start or exited non-zero.</summary>
    CommandFailed,

    /// <summary>An external command ran past its time limit and was killed (or a pattern took too long to match).</summary>
    Timeout,

    /// <summary>An input exceeds a size limit that keeps grading bounded in time and memory.</summary>
    TooLarge,
}

/// <summary>
/// The outcome of one grader on one sample.
/// </summary>
/// <remarks>
/// <see cref="Score"/> is always normalised to [0, 1] so that any grader can serve as a reinforcement-fine-tuning reward;
/// a grader with a natural scale (score_model's <c>range</c>, a multi formula) keeps the unnormalised value in
/// <see cref="RawScore"/>. <see cref="Pass"/> is <c>Score &gt;= threshold</c> and is always false when
/// <see cref="ErrorKind"/> is not <see cref="GradeErrorKind.None"/>.
/// </remarks>
public sealed record GradeResult
{
    /// <summary>The grader's name.</summary>
    public required string Grader { get; init; }

    /// <summary>The score in [0, 1] (0 when there is an error).</summary>
    public required double Score { get; init; }

    /// <summary>The score on the grader's own scale, when it differs from <see cref="Score"/>.</summary>
    public double? RawScore { get; init; }

    /// <summary>Whether the sample passed: no error and <see cref="Score"/> at least the grader's pass threshold.</summary>
    public required bool Pass { get; init; }

    /// <summary>The kind of error, or <see cref="GradeErrorKind.None"/>.</summary>
    public GradeErrorKind ErrorKind { get; init; }

    /// <summary>What went wrong, where, and how to fix it; null when there is no error.</summary>
    public string? Error { get; init; }

    /// <summary>Per-field (or per-sub-check) scores in [0, 1], keyed by field path; empty when not applicable.</summary>
    public IReadOnlyDictionary<string, double> FieldScores { get; init; } = new Dictionary<string, double>();

    /// <summary>The label chosen (label_model, classification), if any.</summary>
    public string? Label { get; init; }

    /// <summary>The expected label (classification), for aggregate reports such as <see cref="ClassificationReport"/>.</summary>
    public string? ExpectedLabel { get; init; }

    /// <summary>A short human-readable explanation (a judge's reasoning, a failing schema path, ...), if any.</summary>
    public string? Detail { get; init; }

    /// <summary>Sub-grader results (multi), keyed by sub-grader name; empty otherwise.</summary>
    public IReadOnlyDictionary<string, GradeResult> Children { get; init; } = new Dictionary<string, GradeResult>();

    /// <summary>True when the result carries an error.</summary>
    public bool IsError => ErrorKind != GradeErrorKind.None;

    /// <summary>A scored result: <see cref="Pass"/> is <c>score &gt;= passThreshold</c>.</summary>
    public static GradeResult Scored(string grader, double score, double passThreshold, double? raw = null) => new()
    {
        Grader = grader,
        Score = score,
        RawScore = raw,
        Pass = score >= passThreshold,
    };

    /// <summary>A failed result carrying an error: score 0, never a pass.</summary>
    public static GradeResult Failed(string grader, GradeErrorKind kind, string message) => new()
    {
        Grader = grader,
        Score = 0,
        Pass = false,
        ErrorKind = kind == GradeErrorKind.None ? throw new ArgumentException("An error result needs an error kind.", nameof(kind)) : kind,
        Error = message,
    };
}
