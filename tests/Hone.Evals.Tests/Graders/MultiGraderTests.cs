using Hone.Evals.Graders;
using Hone.Evals.Graders.Config;
using Hone.Evals.Graders.Multi;

namespace Hone.Evals.Tests.Graders;

public class MultiGraderTests
{
    [Theory]
    [InlineData("1 + 2 * 3", 7)]
    [InlineData("(1 + 2) * 3", 9)]
    [InlineData("2 ^ 3 ^ 2", 512)]
    [InlineData("-2 ^ 2", 4)]
    [InlineData("10 / 4 - 1", 1.5)]
    [InlineData("min(3, a, 2.5) + max(a)", 2)]
    [InlineData("abs(a - b) + floor(2.7) + ceil(0.2)", 3.75)]
    [InlineData("sqrt(b * 4 * 16) + exp(0) + log(1)", 5)]
    [InlineData("1e-1 * 10", 1)]
    public void Formula_evaluates(string text, double expected)
    {
        // a = 1, b = 0.25
        var f = Formula.Parse(text);
        Assert.Equal(expected, f.Evaluate(new Dictionary<string, double> { ["a"] = 1, ["b"] = 0.25 }), 12);
    }

    [Theory]
    [InlineData("1 +")]
    [InlineData("(1 + 2")]
    [InlineData("pow(2, 3)")]
    [InlineData("abs(1, 2)")]
    [InlineData("a b")]
    [InlineData("a; b")]
    [InlineData("import os")]
    public void Formula_rejects_anything_else(string text)
    {
        var e = Assert.Throws<FormatException>(() => Formula.Parse(text));
        Assert.Contains("offset", e.Message, StringComparison.Ordinal);
    }

    private const string Yaml = """
        type: multi
        name: tool_score
        calculate_output: "0.5 * name_ok + 0.5 * args_ok"
        pass_threshold: 0.75
        graders:
          name_ok:
            type: string_check
            input: "{{sample.output_tools[0].function.name}}"
            reference: "{{item.tool}}"
            operation: eq
          args_ok:
            type: text_similarity
            input: "{{sample.output_tools[0].function.arguments}}"
            reference: "{{item.args}}"
            evaluation_metric: fuzzy_match
        """;

    [Fact]
    public void Multi_combines_named_graders()
    {
        var g = G.Yaml(Yaml);
        const string item = """{"tool": "set_speed", "args": "{\"mph\":10}"}""";
        var exact = G.Grade(g, G.Ctx(item, "", new ToolCall("set_speed", """{"mph":10}""")));
        G.AssertPass(exact);
        Assert.Equal(1, exact.Score, 12);
        Assert.Equal(2, exact.Children.Count);
        // right name, args {"mph":12}: fuzzy = 2*9/(10+10) = 0.9 -> 0.5 + 0.45 = 0.95
        var close = G.Grade(g, G.Ctx(item, "", new ToolCall("set_speed", """{"mph":12}""")));
        Assert.Equal(0.95, close.Score, 12);
        // wrong name, same args -> 0.5 < 0.75
        var wrong = G.Grade(g, G.Ctx(item, "", new ToolCall("land", """{"mph":10}""")));
        G.AssertFail(wrong);
        Assert.Equal(0.5, wrong.Score, 12);
        Assert.Equal(0, wrong.FieldScores["name_ok"]);
    }

    [Fact]
    public void Multi_propagates_sub_grader_errors()
    {
        var r = G.Grade(G.Yaml(Yaml), G.Ctx("""{"tool": "x", "args": "{}"}""", "no tools"));
        G.AssertError(r, GradeErrorKind.MissingField);
        Assert.Contains("name_ok", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Multi_clamps_the_reward_but_keeps_the_raw_value()
    {
        var g = G.Yaml("""
            type: multi
            calculate_output: "2 * a - 0.5"
            graders:
              a: {type: string_check, input: "{{sample.output_text}}", reference: "x", operation: eq}
            """);
        var hi = G.Grade(g, G.Ctx("{}", "x"));
        Assert.Equal(1, hi.Score);
        Assert.Equal(1.5, hi.RawScore);
        var lo = G.Grade(g, G.Ctx("{}", "y"));
        Assert.Equal(0, lo.Score);
        Assert.Equal(-0.5, lo.RawScore);
        var div = G.Yaml("""
            type: multi
            calculate_output: "1 / a"
            graders:
              a: {type: string_check, input: "{{sample.output_text}}", reference: "x", operation: eq}
            """);
        G.AssertError(G.Grade(div, G.Ctx("{}", "y")), GradeErrorKind.ParseError);
    }

    [Fact]
    public void Multi_formula_must_name_existing_graders()
    {
        var e = Assert.Throws<GraderConfigException>(() => G.Yaml(Yaml.Replace("args_ok\"", "argz\"", StringComparison.Ordinal)));
        Assert.Contains("'argz' is not a sub-grader", e.Message, StringComparison.Ordinal);
        Assert.Contains("name_ok, args_ok", e.Message, StringComparison.Ordinal);
        Assert.Equal("$.calculate_output", e.ConfigPath);
    }
}

public class RewardTests
{
    [Fact]
    public async Task Reward_is_the_unit_score_and_zero_on_errors()
    {
        var g = G.Yaml("type: text_similarity\ninput: '{{sample.output_text}}'\nreference: '{{item.r}}'\nevaluation_metric: rouge_1");
        // rouge_1("a b c d", "a b") = 2/3 (see MetricTests)
        Assert.Equal(2.0 / 3, await g.RewardAsync(G.Ctx("""{"r": "a b"}""", "a b c d"), CancellationToken.None), 12);
        Assert.Equal(0, await g.RewardAsync(G.Ctx("{}", "a b c d"), CancellationToken.None));
    }
}
