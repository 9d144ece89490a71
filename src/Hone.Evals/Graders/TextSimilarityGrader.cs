using Hone.Evals.Metrics;
using Hone.Evals.Templating;

namespace Hone.Evals.Graders;

/// <summary>The metric a <see cref="TextSimilarityGrader"/> uses; each lives in <c>Hone.Evals.Metrics</c>.</summary>
public enum TextSimilarityMetric
{
    /// <summary><c>fuzzy_match</c>: <see cref="Metrics.FuzzyMatch"/>.</summary>
    FuzzyMatch,

    /// <summary><c>bleu</c>: <see cref="Metrics.Bleu"/>.</summary>
    Bleu,

    /// <summary><c>gleu</c>: <see cref="Metrics.Gleu"/>.</summary>
    Gleu,

    /// <summary><c>meteor</c>: <see cref="Metrics.Meteor"/>.</summary>
    Meteor,

    /// <summary><c>rouge_1</c>: <see cref="Rouge.N(string, string, int)"/> with n = 1.</summary>
    Rouge1,

    /// <summary><c>rouge_2</c>.</summary>
    Rouge2,

    /// <summary><c>rouge_3</c>.</summary>
    Rouge3,

    /// <summary><c>rouge_4</c>.</summary>
    Rouge4,

    /// <summary><c>rouge_5</c>.</summary>
    Rouge5,

    /// <summary><c>rouge_l</c>: <see cref="Rouge.L(string, string)"/>.</summary>
    RougeL,
}

/// <summary>
/// OpenAI's <c>text_similarity</c> grader: the metric of the rendered <c>input</c> (hypothesis) against the rendered
/// <c>reference</c>. The score is the metric itself, in [0, 1].
/// </summary>
public sealed class TextSimilarityGrader : IGrader
{
    /// <summary>Creates the grader.</summary>
    public TextSimilarityGrader(string name, Template input, Template reference, TextSimilarityMetric metric, double passThreshold)
    {
        Name = name;
        Input = input;
        Reference = reference;
        Metric = metric;
        PassThreshold = passThreshold;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double PassThreshold { get; }

    /// <summary>The text graded.</summary>
    public Template Input { get; }

    /// <summary>The text graded against.</summary>
    public Template Reference { get; }

    /// <summary>The metric.</summary>
    public TextSimilarityMetric Metric { get; }

    /// <summary>Computes a metric on two strings.</summary>
    public static double Compute(TextSimilarityMetric metric, string hypothesis, string reference) => metric switch
    {
        TextSimilarityMetric.FuzzyMatch => FuzzyMatch.Score(hypothesis, reference),
        TextSimilarityMetric.Bleu => Bleu.Score(hypothesis, reference),
        TextSimilarityMetric.Gleu => Gleu.Score(hypothesis, reference),
        TextSimilarityMetric.Meteor => Meteor.Score(hypothesis, reference),
        TextSimilarityMetric.Rouge1 => Rouge.N(hypothesis, reference, 1),
        TextSimilarityMetric.Rouge2 => Rouge.N(hypothesis, reference, 2),
        TextSimilarityMetric.Rouge3 => Rouge.N(hypothesis, reference, 3),
        TextSimilarityMetric.Rouge4 => Rouge.N(hypothesis, reference, 4),
        TextSimilarityMetric.Rouge5 => Rouge.N(hypothesis, reference, 5),
        TextSimilarityMetric.RougeL => Rouge.L(hypothesis, reference),
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };

    /// <summary>
    /// The longest text (in UTF-16 units) either side may have: the LCS-based metrics are quadratic, so longer inputs
    /// give a <see cref="GradeErrorKind.TooLarge"/> result instead of an unbounded computation.
    /// </summary>
    public const int MaxTextLength = 20_000;

    /// <inheritdoc/>
    public ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct) => GraderSupport.Run(Name, () =>
    {
        var hyp = Input.Render(ctx);
        var reference = Reference.Render(ctx);
        if (hyp.Length > MaxTextLength || reference.Length > MaxTextLength)
            return GradeResult.Failed(Name, GradeErrorKind.TooLarge, $"text_similarity compares texts up to {MaxTextLength} characters; got {hyp.Length} (input) and {reference.Length} (reference). Grade a shorter field or use string_check.");
        return GradeResult.Scored(Name, Compute(Metric, hyp, reference), PassThreshold);
    });
}
