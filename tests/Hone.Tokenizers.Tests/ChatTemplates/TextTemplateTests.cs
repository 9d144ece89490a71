using System.Text.Json;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Tests.ChatTemplates;

/// <summary>Data templates (prompts, grader templates) on the chat-template engine: strict, JSON-valued, verbatim.</summary>
public class TextTemplateTests
{
    private static readonly Dictionary<string, JsonElement> Vars = new()
    {
        ["item"] = JsonDocument.Parse("""{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}], "keys": [1, 2.5], "ok": true, "none": null}""").RootElement,
    };

    [Fact]
    public void Values_print_as_json_text_and_negative_indices_count_from_the_end()
    {
        Assert.Equal("Yo|Hi|[1,2.5]|true|null", TextTemplate.Parse("{{ item.messages[-1].content }}|{{ item.messages.0.content }}|{{ item.keys }}|{{ item.ok }}|{{ item.none }}").Render(Vars));
        Assert.Equal("""{"role":"user","content":"Hi"}""", TextTemplate.Parse("{{ item.messages[0] }}").Render(Vars));
    }

    [Fact]
    public void A_missing_field_or_element_is_an_error_naming_its_path()
    {
        var e = Assert.Throws<ChatTemplateException>(() => TextTemplate.Parse("x {{ item.messages[-3].content }}", "spec.yaml").Render(Vars));
        Assert.True(e.MissingValue);
        Assert.Equal("spec.yaml:1:19: item.messages has 2 element(s), so [-3] is out of range.", e.Message);
        var f = Assert.Throws<ChatTemplateException>(() => TextTemplate.Parse("{{ item.messages[0].content.x }}").Render(Vars));
        Assert.Contains("item.messages[0].content is a string, not an object, so it has no field 'x'", f.Message, StringComparison.Ordinal);
        Assert.Throws<ChatTemplateException>(() => TextTemplate.Parse("{% for m in item.nope %}{% endfor %}").Render(Vars));
    }

    [Fact]
    public void Free_variables_and_a_sole_expression_are_known_after_parsing()
    {
        var t = TextTemplate.Parse("{% set n = 1 %}{% for m in item.messages %}{{ m.role }}{{ sample.x }}{% endfor %}{{ n }}");
        Assert.Equal(["item", "sample"], t.FreeVariables);
        Assert.Null(t.SoleExpression);
        var sole = TextTemplate.Parse(" {{ item.keys }}\n");
        Assert.Equal("item.keys", sole.SoleExpression);
        Assert.Equal("[1,2.5]", sole.Evaluate(Vars)!.ToJsonString());
    }

    [Fact]
    public void A_field_named_like_a_dict_method_is_the_field_in_data_templates_only()
    {
        Assert.Equal("[1,2.5]", TextTemplate.Parse("{{ item.keys }}").Render(Vars));
        var chat = ChatTemplate.Parse("{{ messages[0].keys is defined }}").Render(ChatRenderInput.FromTurns(("user", "x")));
        Assert.Equal("True", chat.Text);
    }

    [Fact]
    public void A_repeated_key_keeps_its_last_value_as_json_loads_does()
    {
        var vars = new Dictionary<string, JsonElement> { ["sample"] = JsonDocument.Parse("""{"item": {"item": 1, "item": 2}}""").RootElement };
        Assert.Equal("2", TextTemplate.Parse("{{ sample.item.item }}").Render(vars));
        Assert.Equal("""{"item":2}""", TextTemplate.Parse("{{ sample.item }}").Evaluate(vars)!.ToJsonString());
    }
}
