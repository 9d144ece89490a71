using Hone.Evals.Graders;
using Hone.Evals.Metrics;

namespace Hone.Evals.Tests.Graders;

public class StringAndSimilarityTests
{
    private static IGrader Check(string op, string reference = "{{item.answer}}") => G.Yaml($"""
        type: string_check
        name: check
        input: "{"{{sample.output_text}}"}"
        reference: "{reference}"
        operation: {op}
        """);

    [Theory]
    [InlineData("eq", "Paris", true)]
    [InlineData("eq", "paris", false)]
    [InlineData("ne", "London", true)]
    [InlineData("ne", "Paris", false)]
    [InlineData("like", "It is Paris.", true)]
    [InlineData("like", "It is PARIS.", false)]
    [InlineData("ilike", "It is PARIS.", true)]
    [InlineData("ilike", "It is Lyon.", false)]
    public void String_check_operations(string op, string output, bool pass)
    {
        var r = G.Grade(Check(op), G.Ctx("""{"answer": "Paris"}""", output));
        Assert.Equal(pass, r.Pass);
        Assert.Equal(pass ? 1 : 0, r.Score);
        Assert.False(r.IsError);
    }

    [Fact]
    public void String_check_missing_item_field_is_an_error_not_a_pass()
    {
        // "ne" would pass against an empty string; a missing field must never do that
        var r = G.Grade(Check("ne", "{{item.missing}}"), G.Ctx("""{"answer": "Paris"}""", "anything"));
        G.AssertError(r, GradeErrorKind.MissingField);
        Assert.Contains("missing", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_similarity_scores_with_the_metric_and_threshold()
    {
        var g = G.Yaml("""
            type: text_similarity
            name: sim
            input: "{{sample.output_text}}"
            reference: "{{item.reference}}"
            evaluation_metric: rouge_1
            pass_threshold: 0.6
            """);
        var ctx = """{"reference": "the cat ran"}""";
        // rouge_1("The cat sat.", "the cat ran") = 2/3 (see MetricTests) >= 0.6
        var pass = G.Grade(g, G.Ctx(ctx, "The cat sat."));
        G.AssertPass(pass);
        Assert.Equal(2.0 / 3, pass.Score, 12);
        // "a dog ran": overlap 1 (ran): P = R = 1/3 -> F = 1/3 < 0.6
        var fail = G.Grade(g, G.Ctx(ctx, "a dog ran"));
        G.AssertFail(fail);
        Assert.Equal(1.0 / 3, fail.Score, 12);
        G.AssertError(G.Grade(g, G.Ctx("{}", "x")), GradeErrorKind.MissingField);
    }

    [Theory]
    [InlineData("fuzzy_match")]
    [InlineData("bleu")]
    [InlineData("gleu")]
    [InlineData("meteor")]
    [InlineData("rouge_1")]
    [InlineData("rouge_2")]
    [InlineData("rouge_3")]
    [InlineData("rouge_4")]
    [InlineData("rouge_5")]
    [InlineData("rouge_l")]
    public void Every_metric_is_wired_to_its_function(string metric)
    {
        var g = G.Yaml($"""
            type: text_similarity
            input: "{"{{sample.output_text}}"}"
            reference: "{"{{item.r}}"}"
            evaluation_metric: {metric}
            """);
        const string hyp = "the quick brown fox jumps over the lazy dog today";
        const string reference = "the quick brown fox jumps over the lazy cat";
        double expected = metric switch
        {
            "fuzzy_match" => FuzzyMatch.Score(hyp, reference),
            "bleu" => Bleu.Score(hyp, reference),
            "gleu" => Gleu.Score(hyp, reference),
            "meteor" => Meteor.Score(hyp, reference),
            "rouge_l" => Rouge.L(hyp, reference),
            _ => Rouge.N(hyp, reference, metric[^1] - '0'),
        };
        var r = G.Grade(g, G.Ctx("""{"r": "the quick brown fox jumps over the lazy cat"}""", hyp));
        Assert.Equal(expected, r.Score, 12);
        Assert.InRange(r.Score, 0.0001, 0.9999);
        Assert.Equal(r.Score >= 0.5, r.Pass);
        Assert.Equal("text_similarity", r.Grader);
    }
}

public class TextSimilarityLimitTests
{
    [Fact]
    public void Overlong_texts_are_refused_not_computed_for_minutes()
    {
        var g = G.Yaml("type: text_similarity\ninput: '{{sample.output_text}}'\nreference: '{{item.r}}'\nevaluation_metric: fuzzy_match");
        var r = G.Grade(g, G.Ctx("""{"r": "abc"}""", new string('x', TextSimilarityGrader.MaxTextLength + 1)));
        G.AssertError(r, GradeErrorKind.TooLarge);
        var ok = G.Grade(g, G.Ctx("""{"r": "abc"}""", new string('x', 2000) + "abc"));
        Assert.False(ok.IsError);
    }
}
