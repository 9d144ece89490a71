using Hone.Evals.Graders;
using Hone.Evals.Graders.Config;
using Hone.Evals.Graders.Model;
using Hone.Evals.Graders.Multi;

namespace Hone.Evals.Tests.Graders;

public class GraderFactoryTests
{
    private static readonly GraderEnvironment Judge = new() { JudgeClient = _ => new ScriptedChatClient().Reply("""{"result": 0.8}""") };

    [Fact]
    public void OpenAi_multi_grader_json_from_the_rft_guide_works()
    {
        var g = GraderFactory.FromOpenAiJson("""
            {
              "type": "multi",
              "name": "function_call",
              "graders": {
                "function_name": {"name": "function_name", "type": "string_check", "input": "{{sample.output_tools[0].function.name}}", "operation": "eq", "reference": "{{item.function_name}}"},
                "arguments": {"name": "arguments", "type": "text_similarity", "input": "{{sample.output_tools[0].function.arguments}}", "reference": "{{item.arguments}}", "evaluation_metric": "fuzzy_match", "pass_threshold": 0.9}
              },
              "calculate_output": "0.5 * function_name + 0.5 * arguments"
            }
            """);
        var multi = Assert.IsType<MultiGrader>(g);
        Assert.Equal("function_call", multi.Name);
        var r = G.Grade(g, G.Ctx("""{"function_name": "land", "arguments": "{}"}""", "", new ToolCall("land", "{}")));
        Assert.Equal(1, r.Score);
        Assert.Equal(0.5, G.Grade(g, G.Ctx("""{"function_name": "land", "arguments": "{}"}""", "", new ToolCall("fly", "{}"))).Score);
    }

    [Fact]
    public void OpenAi_model_graders_with_content_parts_and_sampling_params()
    {
        var score = Assert.IsType<ScoreModelGrader>(GraderFactory.FromOpenAiJson("""
            {"type": "score_model", "name": "s", "model": "o3-mini",
             "input": [{"role": "developer", "content": {"type": "input_text", "text": "Rate {{sample.output_text}}"}, "type": "message"},
                       {"role": "user", "content": [{"type": "input_text", "text": "ref: "}, {"type": "input_text", "text": "{{item.ref}}"}]}],
             "range": [0, 10], "pass_threshold": 7, "sampling_params": {"seed": 42, "temperature": 1, "max_completions_tokens": 500}}
            """, Judge));
        Assert.Equal(0.7, score.PassThreshold, 12);
        Assert.Equal(42, score.Seed);
        Assert.Equal(500, score.MaxTokens);
        Assert.Equal("ref: {{item.ref}}", score.Messages[1].Content.Source);
        var label = Assert.IsType<LabelModelGrader>(GraderFactory.FromOpenAiJson("""
            {"type": "label_model", "name": "l", "model": "gpt-4o", "input": [{"role": "user", "content": "{{sample.output_text}}"}],
             "labels": ["good", "bad"], "passing_labels": ["good"]}
            """, Judge));
        Assert.Equal(["good"], label.PassingLabels);
    }

    [Theory]
    [InlineData("""{"type": "string_check", "name": "x", "input": "a", "reference": "b", "operation": "eq", "extra": 1}""", "$.extra", "unknown key 'extra'", "valid keys: type, name, input, reference, operation")]
    [InlineData("""{"type": "string_check", "name": "x", "input": "a", "reference": "b", "operation": "contains"}""", "$.operation", "unknown value 'contains'", "valid values: eq, ne, like, ilike")]
    [InlineData("""{"type": "string_check", "input": "a", "reference": "b", "operation": "eq"}""", "$.name", "missing required key 'name'", "name")]
    [InlineData("""{"type": "fancy", "name": "x"}""", "$.type", "unknown grader type 'fancy'", "valid types: string_check, text_similarity, score_model, label_model, multi")]
    [InlineData("""{"type": "regex", "name": "x", "pattern": "a"}""", "$.type", "exists only in Hone's YAML shape", "regex")]
    [InlineData("""{"type": "python", "name": "x", "source": "def grade(s, i): return 1"}""", "$.type", "python graders cannot run here", "command")]
    [InlineData("""{"type": "text_similarity", "name": "x", "input": "a", "reference": "b", "evaluation_metric": "cosine"}""", "$.evaluation_metric", "embedding", "rouge_l")]
    [InlineData("""{"type": "text_similarity", "name": "x", "input": "a", "reference": "b", "evaluation_metric": "bleu", "pass_threshold": 2}""", "$.pass_threshold", "between 0 and 1", "normalised")]
    [InlineData("""{"type": "string_check", "name": "x", "input": "{{item.a", "reference": "b", "operation": "eq"}""", "$.input", "never closed", "}}")]
    [InlineData("""{"type": "string_check", "name": "x", "input": 5, "reference": "b", "operation": "eq"}""", "$.input", "expected a string", "number 5")]
    [InlineData("""{"type": "multi", "name": "m", "graders": {"a": {"type": "string_check", "input": "a", "reference": "b", "operation": "eq"}}, "calculate_output": "a +"}""", "$.calculate_output", "expected a number", "offset")]
    [InlineData("""{"type": "score_model", "name": "s", "model": "m", "input": [{"role": "judge", "content": "x"}]}""", "$.input[0].role", "unknown role 'judge'", "system, developer, user, assistant")]
    [InlineData("""{"type": "score_model", "name": "s", "model": "m", "input": [{"role": "user", "content": "x"}], "range": [1, 0]}""", "$.range", "greater than min", "max")]
    [InlineData("""{"type": "score_model", "name": "s", "model": "m", "input": [{"role": "user", "content": "x"}], "sampling_params": {"temp": 0}}""", "$.sampling_params.temp", "unknown key 'temp'", "seed")]
    [InlineData("""{"type": "label_model", "name": "l", "model": "m", "input": [{"role": "user", "content": {"type": "input_image", "image_url": "x"}}], "labels": ["a"], "passing_labels": ["a"]}""", "$.input[0].content.type", "'input_image' is not supported (text only)", "input_text, output_text")]
    [InlineData("""[1, 2]""", "$", "expected an object", "list")]
    [InlineData("""{"type": "string_check", """, "$", "invalid JSON", "line 1")]
    public void OpenAi_json_errors_name_the_key_and_list_the_valid_choices(string json, string path, string what, string hint)
    {
        var e = Assert.Throws<GraderConfigException>(() => GraderFactory.FromOpenAiJson(json, Judge));
        Assert.Equal(path, e.ConfigPath);
        Assert.Contains(what, e.Message, StringComparison.Ordinal);
        Assert.Contains(hint, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Yaml_names_default_and_lists_reject_duplicates()
    {
        Assert.Equal("json_valid", G.Yaml("type: json_valid").Name);
        var list = GraderFactory.ListFromYaml("""
            - type: json_valid
            - type: regex
              name: has_digit
              pattern: '\d'
            """);
        Assert.Equal(["json_valid", "has_digit"], list.Select(g => g.Name));
        var dup = Assert.Throws<GraderConfigException>(() => GraderFactory.ListFromYaml("- type: json_valid\n- type: json_valid"));
        Assert.Contains("two graders are named 'json_valid'", dup.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("type: regex\npattern: a\ncase: true", "$.case", "valid keys: type, name, input, pattern, ignore_case, full_match")]
    [InlineData("type: regexp", "$.type", "valid types: string_check, text_similarity, score_model, label_model, multi, regex, json_valid")]
    [InlineData("type: regex\npattern: '(a'", "$.pattern", "invalid regular expression")]
    [InlineData("type: numeric_tolerance\nreference: '{{item.x}}'\nabsolute: -1", "$.absolute", "zero or positive")]
    [InlineData("type: command\ncommand: []\n", "$.command", "no shell")]
    [InlineData("type: command\ncommand: [a]\ntimeout_seconds: 0", "$.timeout_seconds", "more than 0")]
    [InlineData("type: json_valid\ntype: regex", "$", "invalid YAML")]
    [InlineData("base: &b {type: json_valid}\nother: *b", "$.base", "anchors and aliases")]
    [InlineData("type: multi\ncalculate_output: x\ngraders:\n  bad-name: {type: json_valid}", "$.graders.bad-name", "identifier")]
    [InlineData("type: string_check\ninput: a\nreference: b\noperation: eq\nextra: [1]", "$.extra", "unknown key 'extra' for a string_check grader")]
    public void Yaml_errors_name_the_key(string yaml, string path, string message)
    {
        var e = Assert.Throws<GraderConfigException>(() => G.Yaml(yaml));
        Assert.Equal(path, e.ConfigPath);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Yaml_scalars_follow_the_core_schema()
    {
        // quoted "1" is a string reference; plain 0.25 a number; plain true a boolean
        var g = G.Yaml("type: numeric_tolerance\nreference: '1'\nabsolute: 0.25");
        G.AssertPass(G.Grade(g, G.Ctx("{}", "1.2")));
        G.AssertFail(G.Grade(g, G.Ctx("{}", "1.3")));
        var e = Assert.Throws<GraderConfigException>(() => G.Yaml("type: regex\npattern: a\nfull_match: 'yes'"));
        Assert.Contains("expected true or false", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_grader_type_reports_scores_in_the_unit_interval()
    {
        Assert.Equal(14, GraderFactory.Types(GraderDialect.Hone).Count);
        Assert.Contains("python", GraderFactory.Types(GraderDialect.OpenAi));
        foreach (var g in GraderFactory.ListFromYaml("""
            - {type: string_check, input: "{{sample.output_text}}", reference: x, operation: ne}
            - {type: text_similarity, input: "{{sample.output_text}}", reference: x y, evaluation_metric: gleu}
            - {type: regex, pattern: x}
            - {type: json_valid}
            - {type: numeric_tolerance, reference: "3"}
            - {type: classification, reference: x}
            """))
        {
            Assert.InRange(g.PassThreshold, 0, 1);
            var r = G.Grade(g, G.Ctx("{}", "x y"));
            Assert.InRange(r.Score, 0, 1);
        }
    }
}

public class HostileConfigTests
{
    [Fact]
    public void Deep_nesting_is_refused()
    {
        var yaml = "type: json_schema\nschema: " + string.Concat(Enumerable.Repeat("{not: ", 80)) + "{}" + new string('}', 80);
        var e = Assert.Throws<GraderConfigException>(() => G.Yaml(yaml));
        Assert.Contains("deeper than 64", e.Message, StringComparison.Ordinal);
        var json = """{"type": "string_check", "name": "x", "input": """ + new string('[', 100) + new string(']', 100) + "}";
        var j = Assert.Throws<GraderConfigException>(() => GraderFactory.FromOpenAiJson(json));
        Assert.Contains("invalid JSON", j.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_nested_model_output_is_not_json_rather_than_a_crash()
    {
        var output = new string('[', 200) + new string(']', 200);
        var r = G.Grade(G.Yaml("type: json_valid"), G.Ctx("{}", output));
        G.AssertError(r, GradeErrorKind.ParseError);
    }

    [Fact]
    public void Overlong_formula_is_refused()
    {
        var e = Assert.Throws<FormatException>(() => Hone.Evals.Graders.Multi.Formula.Parse(string.Join("+", Enumerable.Repeat("1", 1500))));
        Assert.Contains("longer than", e.Message, StringComparison.Ordinal);
        var deep = new string('(', 100) + "1" + new string(')', 100);
        Assert.Throws<FormatException>(() => Hone.Evals.Graders.Multi.Formula.Parse(deep));
    }
}
