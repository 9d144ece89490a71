using Hone.Evals.Specs;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Tests.Specs;

public class EvalSpecTests
{
    private static string Dir()
    {
        var dir = TestAssets.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "golden.jsonl"), "{\"id\":\"x\",\"q\":\"hi\",\"a\":\"hello\"}\n");
        return dir;
    }

    private static EvalSpec Parse(string dir, string yaml) => EvalSpec.Parse(yaml, Path.Combine(dir, "spec.yaml"));

    [Fact]
    public void A_full_spec_parses()
    {
        var dir = Dir();
        var spec = Parse(dir, """
            name: greet
            golden_set: golden.jsonl
            prompt:
              system: Be brief.
              template: "Say {{item.q}}"
            models: [fake:a, local:/m]
            graders:
              - type: string_check
                input: "{{sample.output_text}}"
                reference: "{{item.a}}"
                operation: eq
            repeats: 3
            concurrency: 8
            temperature: 0.5
            max_tokens: 64
            seed: 7
            price: {input_per_1m: 1.5, output_per_1m: 2}
            """);
        Assert.Equal("greet", spec.Name);
        Assert.Equal(Path.Combine(dir, "golden.jsonl"), spec.GoldenSetPath);
        Assert.Equal("Be brief.", spec.Prompt.System);
        Assert.Equal(["fake:a", "local:/m"], spec.Models);
        Assert.Equal("string_check", Assert.Single(spec.Graders).Name);
        Assert.Equal((3, 8, 0.5, 64, 7L), (spec.Repeats, spec.Concurrency, spec.Temperature, spec.MaxTokens!.Value, spec.Seed!.Value));
        Assert.Equal(1.5m, spec.Price!.InputPer1M);
    }

    [Fact]
    public void An_unknown_key_is_named_with_line_and_column()
    {
        var e = Assert.Throws<EvalSpecException>(() => Parse(Dir(), "golden_set: golden.jsonl\ngraders:\n  - type: json_valid\nrepeat: 3\n"));
        Assert.Contains("spec.yaml:4:1", e.Message, StringComparison.Ordinal);
        Assert.Contains("'repeat'", e.Message, StringComparison.Ordinal);
        Assert.Contains("repeats", e.Message, StringComparison.Ordinal); // the valid keys are listed
    }

    [Fact]
    public void An_unknown_prompt_key_is_named_with_line_and_column()
    {
        var e = Assert.Throws<EvalSpecException>(() => Parse(Dir(), "golden_set: golden.jsonl\nprompt:\n  sytem: x\ngraders:\n  - type: json_valid\n"));
        Assert.Contains("spec.yaml:3:3", e.Message, StringComparison.Ordinal);
        Assert.Contains("prompt.sytem", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Graders_and_prompts_can_come_from_files()
    {
        var dir = Dir();
        File.WriteAllText(Path.Combine(dir, "g.yaml"), "- type: json_valid\n- type: regex\n  pattern: 'h.*'\n");
        File.WriteAllText(Path.Combine(dir, "oa.json"), """{"type":"string_check","name":"oa","input":"{{sample.output_text}}","reference":"{{item.a}}","operation":"eq"}""");
        File.WriteAllText(Path.Combine(dir, "prompt.yaml"), "system_file: sys.txt\ntemplate: '{{item.q}}'\n");
        File.WriteAllText(Path.Combine(dir, "sys.txt"), "From a file.");
        var spec = Parse(dir, "golden_set: golden.jsonl\nprompt: prompt.yaml\ngraders:\n  - file: g.yaml\n  - file: oa.json\n");
        Assert.Equal(["json_valid", "regex", "oa"], spec.Graders.Select(g => g.Name));
        Assert.Equal("From a file.", spec.Prompt.System);
        Assert.Equal("{{item.q}}", spec.Prompt.UserTemplate!.Source);
    }

    [Theory]
    [InlineData("graders:\n  - type: json_valid\n", "'golden_set' is required")]
    [InlineData("golden_set: golden.jsonl\n", "'graders' is required")]
    [InlineData("golden_set: golden.jsonl\ngraders:\n  - type: nope\n", "nope")]
    [InlineData("golden_set: golden.jsonl\ngraders:\n  - type: json_valid\nrepeats: 0\n", "spec.yaml:4:1: 'repeats' must be an integer from 1 to 100")]
    [InlineData("golden_set: golden.jsonl\ngraders:\n  - type: json_valid\nprice: {input_per_1m: 1, output: 2}\n", "price.output")]
    [InlineData("golden_set: [unclosed\n", "invalid YAML")]
    [InlineData("golden_set: golden.jsonl\ngraders:\n  - file: missing.yaml\n", "not found")]
    public void Invalid_specs_say_what_and_where(string yaml, string expected)
    {
        var e = Assert.Throws<EvalSpecException>(() => Parse(Dir(), yaml));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Golden_set_reads_ids_tags_messages_and_tools()
    {
        var cases = GoldenSet.Parse([
            """{"id": 7, "tags": ["t1"], "q": "x"}""",
            "",
            """{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}, {"role": "assistant", "content": "ref"}], "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]}""",
        ], "g.jsonl");
        Assert.Equal(["7", "line-3"], cases.Select(c => c.Id));
        Assert.Equal(["t1"], cases[0].Tags);
        Assert.Null(cases[0].Messages);
        Assert.Equal(2, cases[1].Messages!.Count); // the trailing assistant reference is not sent
        Assert.Equal("f", Assert.Single(cases[1].Tools).Name);
        Assert.Equal(3, cases[1].Line);
    }

    [Theory]
    [InlineData("{\"a\":1}\nnot json\n", "g.jsonl:2: invalid JSON")]
    [InlineData("{\"id\":\"x\"}\n{\"id\":\"x\"}\n", "g.jsonl:2: id 'x' is already used on line 1")]
    [InlineData("{\"tags\":\"t\"}\n", "g.jsonl:1: 'tags' must be an array")]
    [InlineData("[1]\n", "g.jsonl:1: each line must be a JSON object")]
    [InlineData("{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}\n", "g.jsonl:1: messages[0].role 'wizard'")]
    [InlineData("\n\n", "no cases")]
    [InlineData("{\"a\":1}\n{\"messages\":[{\"role\":\"user\",\"content\":\"x\\ud800\"}]}\n", "g.jsonl:2:41: the escape \\ud800 is half of a UTF-16 surrogate pair")]
    public void Golden_set_errors_name_the_line(string text, string expected)
    {
        var e = Assert.Throws<EvalSpecException>(() => GoldenSet.Parse(text.Split('\n'), "g.jsonl"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_case_without_messages_needs_a_template_and_its_fields()
    {
        var c = GoldenSet.Parse(["""{"q": "hi"}"""], "g.jsonl")[0];
        var none = Assert.Throws<EvalSpecException>(() => EvalPromptBuilder.Build(new EvalPrompt(null, null), c, "g.jsonl"));
        Assert.Contains("g.jsonl:1", none.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<EvalSpecException>(() =>
            EvalPromptBuilder.Build(new EvalPrompt(null, Hone.Evals.Templating.Template.Parse("{{item.nope}}")), c, "g.jsonl"));
        Assert.Contains("nope", missing.Message, StringComparison.Ordinal);
        var ok = EvalPromptBuilder.Build(new EvalPrompt("sys", Hone.Evals.Templating.Template.Parse("Q: {{item.q}}")), c, "g.jsonl");
        Assert.Equal([ChatRole.System, ChatRole.User], ok.Select(m => m.Role));
        Assert.Equal("Q: hi", ok[1].Text);
    }
}
