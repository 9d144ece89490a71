using System.Text.Json;
using Hone.Evals.Graders;
using Hone.Evals.Runs;
using Hone.Evals.Specs;
using Hone.Evals.Templating;
using Hone.Testing;

namespace Hone.Evals.Tests.Specs;

/// <summary>Writing specs: eval init from examples, the example spec, negative path indices, warnings.</summary>
public class SpecAuthoringTests
{
    private static string Example(string label, string user = "Headline") =>
        JsonSerializer.Serialize(new { messages = new object[] { new { role = "system", content = "Classify." }, new { role = "user", content = user }, new { role = "assistant", content = label } } });

    private static string Write(string dir, string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Messages_minus_one_reaches_the_last_message_and_out_of_range_is_an_error()
    {
        var ctx = GradeContext.FromJson(Example("World"), "World");
        Assert.Equal("World", Template.Parse("{{item.messages[-1].content}}").Render(ctx));
        Assert.Equal("Headline", Template.Parse("{{item.messages[-2].content}}").Render(ctx));
        Assert.Equal("system", Template.Parse("{{ item.messages[0].role }}").Render(ctx));
        var e = Assert.Throws<TemplateException>(() => Template.Parse("{{item.messages[-4].content}}").Render(ctx));
        Assert.Contains("[-4] is out of range", e.Message, StringComparison.Ordinal);
        Assert.Throws<TemplateException>(() => Template.Parse("{{item.messages[-].content}}"));
    }

    [Fact]
    public async Task Json_field_paths_take_negative_indices_too()
    {
        var grader = GraderFactoryFromYaml("""
            type: json_field_match
            reference: '{"items": [1, 2, 3]}'
            fields: ["items[-1]"]
            """);
        var pass = await grader.GradeAsync(GradeContext.FromJson("{}", """{"items": [0, 3]}"""), default);
        var fail = await grader.GradeAsync(GradeContext.FromJson("{}", """{"items": [3, 0]}"""), default);
        Assert.True(pass.Pass);
        Assert.False(fail.Pass);
    }

    private static IGrader GraderFactoryFromYaml(string yaml) => Hone.Evals.Graders.Config.GraderFactory.FromYaml(yaml);

    [Fact]
    public void A_regex_pattern_holding_a_template_is_a_warning_not_an_error()
    {
        var dir = TestAssets.NewTempDir();
        Write(dir, "golden.jsonl", [Example("World")]);
        var spec = EvalSpec.Parse("""
            golden_set: golden.jsonl
            graders:
              - type: regex
                name: label
                pattern: "^{{item.label}}$"
              - type: multi
                graders:
                  inner: {type: regex, pattern: "{{ item.x }}"}
                calculate_output: inner
            """, Path.Combine(dir, "spec.yaml"));
        Assert.Equal(2, spec.Warnings.Count);
        Assert.Contains("grader 'label'", spec.Warnings[0], StringComparison.Ordinal);
        Assert.Contains("'{{item.label}}'", spec.Warnings[0], StringComparison.Ordinal);
        Assert.Contains("not a template", spec.Warnings[0], StringComparison.Ordinal);
        Assert.Contains("spec.yaml:2:1", spec.Warnings[0], StringComparison.Ordinal); // the graders key
        Assert.Contains("multi.inner", spec.Warnings[1], StringComparison.Ordinal);

        var clean = EvalSpec.Parse("golden_set: golden.jsonl\ngraders:\n  - type: regex\n    pattern: '^a{2}$'\n", Path.Combine(dir, "spec.yaml"));
        Assert.Empty(clean.Warnings);
    }

    [Fact]
    public async Task Eval_init_on_labels_writes_a_classification_spec_that_grades_the_trimmed_output()
    {
        var dir = TestAssets.NewTempDir();
        var labels = new[] { "World", "Sports", "Business", "Sci/Tech" };
        var examples = Write(dir, "ag.jsonl", Enumerable.Range(0, 12).Select(i => Example(labels[i % 4], $"Headline {i}")));
        var before = File.ReadAllText(examples);
        var specPath = Path.Combine(dir, "evals", "ag.yaml");
        var result = EvalSpecInit.Write(examples, specPath);

        Assert.Equal(InitialGrader.Classification, result.Grader);
        Assert.Equal(["Business", "Sci/Tech", "Sports", "World"], result.Labels);
        Assert.Equal(12, result.Cases);
        Assert.Equal(before, File.ReadAllText(examples)); // the input is never modified
        var text = File.ReadAllText(specPath);
        Assert.Contains("golden_set: \"../ag.jsonl\"", text, StringComparison.Ordinal);
        Assert.Contains("# ", text, StringComparison.Ordinal);

        var spec = EvalSpec.Load(specPath);
        Assert.Equal("label", spec.PrimaryMetric);
        Assert.Empty(spec.Warnings);
        var grader = Assert.IsType<ClassificationGrader>(Assert.Single(spec.Graders));
        var golden = GoldenSet.Load(spec.GoldenSetPath);
        Assert.Equal(2, golden[0].Messages!.Count); // the assistant answer is not sent
        // The trimmed output is matched against the last assistant message.
        Assert.True((await grader.GradeAsync(new GradeContext(golden[1].Item, new GradeSample(" Sports\n")), default)).Pass);
        Assert.False((await grader.GradeAsync(new GradeContext(golden[1].Item, new GradeSample("World")), default)).Pass);
        Assert.Equal("Sports", CaseReference.Of(spec, golden[1]));
    }

    [Fact]
    public void Eval_init_on_free_text_chooses_a_similarity_grader_and_says_why()
    {
        var dir = TestAssets.NewTempDir();
        var examples = Write(dir, "qa.jsonl", Enumerable.Range(0, 6).Select(i => Example($"A different long answer number {i}.", $"Question {i}")));
        var result = EvalSpecInit.Write(examples, Path.Combine(dir, "qa.yaml"));
        Assert.Equal(InitialGrader.FreeText, result.Grader);
        var spec = EvalSpec.Load(result.SpecPath);
        Assert.IsType<TextSimilarityGrader>(Assert.Single(spec.Graders));
        Assert.Contains("free text", File.ReadAllText(result.SpecPath), StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_init_on_json_objects_and_on_tool_calls_chooses_matching_graders()
    {
        var dir = TestAssets.NewTempDir();
        var json = Write(dir, "j.jsonl", Enumerable.Range(0, 4).Select(i => Example($"{{\"n\": {i}}}", $"Q{i}")));
        Assert.Equal(InitialGrader.JsonFields, EvalSpecInit.Write(json, Path.Combine(dir, "j.yaml")).Grader);
        Assert.IsType<Hone.Evals.Graders.Json.JsonFieldMatchGrader>(EvalSpec.Load(Path.Combine(dir, "j.yaml")).Graders[0]);

        var call = """{"messages": [{"role": "user", "content": "weather?"}, {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\": \"Oslo\"}"}}]}]}""";
        var calls = Write(dir, "t.jsonl", [call, call.Replace("Oslo", "Rome", StringComparison.Ordinal)]);
        Assert.Equal(InitialGrader.ToolCalls, EvalSpecInit.Write(calls, Path.Combine(dir, "t.yaml")).Grader);
        Assert.IsType<Hone.Evals.Graders.Json.ToolCallMatchGrader>(EvalSpec.Load(Path.Combine(dir, "t.yaml")).Graders[0]);
    }

    [Fact]
    public void Eval_init_names_the_line_of_an_example_without_an_assistant_answer_and_writes_nothing()
    {
        var dir = TestAssets.NewTempDir();
        var bad = JsonSerializer.Serialize(new { messages = new object[] { new { role = "user", content = "hi" } } });
        var examples = Write(dir, "x.jsonl", [Example("a"), bad]);
        var spec = Path.Combine(dir, "x.yaml");
        var e = Assert.Throws<EvalSpecException>(() => EvalSpecInit.Write(examples, spec));
        Assert.Contains("x.jsonl:2:", e.Message, StringComparison.Ordinal);
        Assert.Contains("assistant", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(spec));
    }

    [Fact]
    public void The_example_spec_of_hone_init_loads_and_names_its_primary_metric()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllText(Path.Combine(dir, ExampleSpec.GoldenSetFile), ExampleSpec.GoldenSet);
        File.WriteAllText(Path.Combine(dir, ExampleSpec.SpecFile), ExampleSpec.Spec);
        var spec = EvalSpec.Load(Path.Combine(dir, ExampleSpec.SpecFile));
        Assert.Equal("label", spec.PrimaryMetric);
        Assert.Empty(spec.Warnings);
        Assert.Equal(4, GoldenSet.Load(spec.GoldenSetPath).Count);
        Assert.True(ClassificationSummary.LooksLikeLabels(["positive", "negative", "positive", "negative"]));
    }

    [Theory]
    [InlineData(new[] { "a", "b", "a", "b" }, true)]
    [InlineData(new[] { "2", "4", "6", "81" }, false)] // every answer different: not labels
    [InlineData(new[] { "a" }, false)]
    public void Labels_are_few_short_values_used_more_than_once(string[] references, bool labels) =>
        Assert.Equal(labels, ClassificationSummary.LooksLikeLabels(references));
}
