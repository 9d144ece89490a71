using Hone.Evals.Graders;

namespace Hone.Evals.Tests.Graders;

public class SimpleGraderTests
{
    [Fact]
    public void Regex_search_full_match_and_case()
    {
        var search = G.Yaml("type: regex\npattern: '\\d{3}-\\d{4}'");
        G.AssertPass(G.Grade(search, G.Ctx("{}", "call 555-1234 now")));
        G.AssertFail(G.Grade(search, G.Ctx("{}", "call 555-12 now")));
        var full = G.Yaml("type: regex\npattern: 'yes|no'\nfull_match: true\nignore_case: true");
        G.AssertPass(G.Grade(full, G.Ctx("{}", "YES")));
        G.AssertFail(G.Grade(full, G.Ctx("{}", "yes, sure")));
        var onItem = G.Yaml("type: regex\npattern: '^ok'\ninput: '{{item.status}}'");
        G.AssertError(G.Grade(onItem, G.Ctx("{}", "ok")), GradeErrorKind.MissingField);
    }

    [Fact]
    public void Regex_catastrophic_backtracking_times_out_instead_of_hanging()
    {
        var g = G.Yaml("type: regex\npattern: '^(a+)+$'");
        var r = G.Grade(g, G.Ctx("{}", new string('a', 5000) + "!"));
        G.AssertError(r, GradeErrorKind.Timeout);
    }

    [Fact]
    public void Numeric_tolerance_absolute_and_relative()
    {
        var g = G.Yaml("type: numeric_tolerance\nreference: '{{item.answer}}'\nabsolute: 0.01\nrelative: 0.001");
        // allowed = 0.01 + 0.001 * 100 = 0.11
        G.AssertPass(G.Grade(g, G.Ctx("""{"answer": 100}""", " 100.1 ")));
        G.AssertFail(G.Grade(g, G.Ctx("""{"answer": 100}""", "100.12")));
        G.AssertPass(G.Grade(g, G.Ctx("""{"answer": "-2.5e1"}""", "-25")));
        G.AssertError(G.Grade(g, G.Ctx("""{"answer": 100}""", "about 100")), GradeErrorKind.ParseError);
        G.AssertError(G.Grade(g, G.Ctx("""{"answer": "n/a"}""", "100")), GradeErrorKind.ParseError);
        G.AssertError(G.Grade(g, G.Ctx("{}", "100")), GradeErrorKind.MissingField);
        G.AssertError(G.Grade(g, G.Ctx("""{"answer": 1}""", "NaN")), GradeErrorKind.ParseError);
    }

    [Fact]
    public void Classification_per_item_and_aggregate_report()
    {
        var g = G.Yaml("type: classification\nreference: '{{item.label}}'\nlabels: [spam, ham]\nignore_case: true");
        var pass = G.Grade(g, G.Ctx("""{"label": "spam"}""", " SPAM\n"));
        G.AssertPass(pass);
        Assert.Equal("spam", pass.Label);
        var fail = G.Grade(g, G.Ctx("""{"label": "spam"}""", "ham"));
        G.AssertFail(fail);
        var outside = G.Grade(g, G.Ctx("""{"label": "spam"}""", "eggs"));
        G.AssertFail(outside);
        Assert.Contains("not one of the labels", outside.Detail, StringComparison.Ordinal);
        G.AssertError(G.Grade(g, G.Ctx("{}", "spam")), GradeErrorKind.MissingField);

        // expected/predicted: (a,a) (a,a) (a,b) (b,b) (b,a) (c,c) (c,b)
        // confusion rows=expected a,b,c: a:[2,1,0] b:[1,1,0] c:[0,1,1]; accuracy 4/7
        // a: P=2/3 R=2/3 F1=2/3; b: P=1/3 R=1/2 F1=2*(1/6)/(5/6)=2/5; c: P=1 R=1/2 F1=2/3
        // macro-F1 = (2/3 + 2/5 + 2/3)/3 = (26/15)/3 = 26/45
        var report = ClassificationReport.Compute([("a", "a"), ("a", "a"), ("a", "b"), ("b", "b"), ("b", "a"), ("c", "c"), ("c", "b")]);
        Assert.Equal(["a", "b", "c"], report.Labels);
        Assert.Equal(4.0 / 7, report.Accuracy, 12);
        Assert.Equal(26.0 / 45, report.MacroF1, 12);
        Assert.Equal(new[,] { { 2, 1, 0 }, { 1, 1, 0 }, { 0, 1, 1 } }, report.Confusion);
        Assert.Equal(2.0 / 5, report.PerLabelF1[1], 12);

        var fromResults = ClassificationReport.FromResults([pass, fail, outside]);
        // (spam,spam) (spam,ham) (spam,eggs): labels eggs, ham, spam; accuracy 1/3
        Assert.Equal(["eggs", "ham", "spam"], fromResults.Labels);
        Assert.Equal(1.0 / 3, fromResults.Accuracy, 12);
        Assert.Equal(0, ClassificationReport.Compute([]).Accuracy);
    }
}
