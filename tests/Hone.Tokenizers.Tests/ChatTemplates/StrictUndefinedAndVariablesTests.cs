using System.Text.Json.Nodes;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Tests.ChatTemplates;

/// <summary>The two additions prompt files use: strict printing of undefined values, and the undeclared variables of a template.</summary>
public class StrictUndefinedAndVariablesTests
{
    private static string Render(string source, bool strict, params (string, JsonNode?)[] vars) =>
        ChatTemplate.Parse(source, "t").Render(new ChatRenderInput { Messages = [], StrictUndefined = strict, Variables = vars.ToDictionary(v => v.Item1, v => v.Item2) }).Text;

    [Fact]
    public void Strict_mode_fails_on_printing_an_undefined_value_with_its_line_and_keeps_jinja_tests_and_defaults()
    {
        Assert.Equal("a  b", Render("a {{ missing }} b", strict: false));   // Jinja2's default Undefined prints ""
        var e = Assert.Throws<ChatTemplateException>(() => Render("line one\n{{ user.name }}", strict: true, ("user", new JsonObject { ["id"] = 1 })));
        Assert.Equal(2, e.Line);
        Assert.Contains("'name'", e.Detail, StringComparison.Ordinal);
        Assert.Equal("x|False|", Render("{{ missing | default('x') }}|{{ missing is defined }}|{% if missing %}y{% endif %}", strict: true));
    }

    [Fact]
    public void Undeclared_variables_leave_out_what_the_template_binds()
    {
        var t = ChatTemplate.Parse("{% macro m(a, b=c) %}{{ a }}{{ d }}{% endmacro %}{% set e = f %}{% for g in h if g.ok %}{{ g }}{{ loop.index }}{{ e }}{% endfor %}" +
            "{{ range(3) | join }}{{ i.j['k'] }}{{ m(1) }}{{ i.l }}", "t");
        var vars = t.UndeclaredVariables();
        Assert.Equal(["c", "d", "f", "h", "i"], vars.Select(v => v.Name));
        Assert.Equal(["i.j.k", "i.l"], vars.Single(v => v.Name == "i").Paths);
        Assert.Equal((1, 1), (vars[0].Line, Math.Min(vars[0].Column, 1)));
    }
}
