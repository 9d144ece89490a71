using System.Text.Json;
using Hone.Evals.Graders;
using Hone.Evals.Templating;
using Hone.Evals.Tests.Graders;

namespace Hone.Evals.Tests.Templating;

public class TemplateTests
{
    private static readonly GradeContext Ctx = G.Ctx(
        """{"answer": "Paris", "meta": {"tags": ["geo", "capital"], "n": 3, "ok": true, "odd key": "x"}}""",
        """{"city": "Paris", "scores": [1, 2.5]}""",
        new ToolCall("get_weather", """{"city":"Paris"}""", "call_1"));

    [Fact]
    public void Item_fields_and_nested_paths()
    {
        Assert.Equal("A: Paris", Template.Parse("A: {{item.answer}}").Render(Ctx));
        Assert.Equal("geo/capital", Template.Parse("{{ item.meta.tags[0] }}/{{item.meta.tags.1}}").Render(Ctx));
        Assert.Equal("3 true x", Template.Parse("{{item.meta.n}} {{item.meta.ok}} {{item.meta[\"odd key\"]}}").Render(Ctx));
        Assert.Equal("""["geo","capital"]""", Template.Parse("{{item.meta.tags}}").Render(Ctx));
    }

    [Fact]
    public void Sample_namespace_matches_openai()
    {
        Assert.Equal("""{"city": "Paris", "scores": [1, 2.5]}""", Template.Parse("{{sample.output_text}}").Render(Ctx));
        Assert.Equal("Paris 2.5", Template.Parse("{{sample.output_json.city}} {{sample.output_json.scores[1]}}").Render(Ctx));
        Assert.Equal("get_weather", Template.Parse("{{sample.output_tools[0].function.name}}").Render(Ctx));
        Assert.Equal("""{"city":"Paris"}""", Template.Parse("{{sample.output_tools[0].function.arguments}}").Render(Ctx));
        var tools = JsonDocument.Parse(Template.Parse("{{sample.output_tools}}").Render(Ctx)).RootElement;
        Assert.Equal("function", tools[0].GetProperty("type").GetString());
        Assert.Equal("call_1", tools[0].GetProperty("id").GetString());
    }

    [Fact]
    public void Sole_reference_resolves_to_the_json_value()
    {
        var t = Template.Parse(" {{item.meta}} ");
        Assert.NotNull(t.SoleReference);
        Assert.Equal(JsonValueKind.Object, t.ResolveJson(Ctx).ValueKind);
        Assert.Null(Template.Parse("x {{item.meta}}").SoleReference);
    }

    [Fact]
    public void Missing_fields_are_errors_not_empty_strings()
    {
        var e = Assert.Throws<TemplateException>(() => Template.Parse("{{item.nope}}").Render(Ctx));
        Assert.True(e.MissingField);
        Assert.Contains("nope", e.Message, StringComparison.Ordinal);
        Assert.Throws<TemplateException>(() => Template.Parse("{{item.meta.tags[5]}}").Render(Ctx));
        Assert.Throws<TemplateException>(() => Template.Parse("{{item.answer.x}}").Render(Ctx));
        var notJson = G.Ctx("{}", "plain text");
        var j = Assert.Throws<TemplateException>(() => Template.Parse("{{sample.output_json.x}}").Render(notJson));
        Assert.Contains("not valid JSON", j.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{{item.a")]
    [InlineData("{{ }}")]
    [InlineData("{{other.a}}")]
    [InlineData("{{sample}}")]
    [InlineData("{{item.a[x]}}")]
    [InlineData("{{item..a}}")]
    public void Malformed_templates_are_rejected(string text)
    {
        var e = Assert.Throws<TemplateException>(() => Template.Parse(text));
        Assert.False(e.MissingField);
    }

    [Fact]
    public void Literal_text_without_references_renders_as_is()
    {
        Assert.Equal("no refs } here {", Template.Parse("no refs } here {").Render(Ctx));
    }

    [Fact]
    public void Templates_are_jinja_rendered_by_the_chat_template_engine()
    {
        var ctx = G.Ctx("""{"items": ["a", "b"], "name": "Zoë", "n": 2}""", "x");
        Assert.Equal("a, b", Template.Parse("{{ item['items'] | join(', ') }}").Render(ctx));
        Assert.Equal("""["a","b"]""", Template.Parse("{{ item.items }}").Render(ctx)); // the field, not dict.items()
        Assert.Equal("- a\n- b\n", Template.Parse("{% for x in item.items %}- {{ x }}\n{% endfor %}").Render(ctx));
        Assert.Equal("Zoë\r\n", Template.Parse("{{ item.name }}\r\n").Render(ctx)); // text kept as written
        Assert.Equal("big", Template.Parse("{% if item.n > 1 %}big{% else %}small{% endif %}").Render(ctx));
        Assert.Equal("none", Template.Parse("{{ item.nope | default('none') }}").Render(ctx));
        var e = Assert.Throws<TemplateException>(() => Template.Parse("{% if item.nope %}x{% endif %}").Render(ctx));
        Assert.True(e.MissingField);
        Assert.Contains("item has no field 'nope'", e.Message, StringComparison.Ordinal);
    }
}
