using System.Text.Json;
using Hone.Testing;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Tests.ChatTemplates;

/// <summary>Hostile templates end in a typed, located error within bounded time and memory.</summary>
public class SandboxTests
{
    private static readonly ChatTemplateLimits Small = new(MaxOutputChars: 100_000, MaxLoopIterations: 20_000, MaxCallDepth: 32);

    private static ChatTemplateException Fails(string template, ChatTemplateLimits? limits = null)
    {
        var input = new ChatRenderInput { Messages = [], Limits = limits ?? Small };
        return Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(template).Render(input));
    }

    [Fact]
    public void Runaway_loops_stop_at_the_iteration_limit()
    {
        var ex = Fails("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}");
        Assert.Contains("MaxLoopIterations", ex.Message, StringComparison.Ordinal);
        Fails("{{ range(1000000000000) | length }}");
    }

    [Fact]
    public void Unbounded_recursion_stops_at_the_call_depth_limit()
    {
        var ex = Fails("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
        Assert.Contains("MaxCallDepth", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, ex.Line);
    }

    [Fact]
    public void Output_and_value_sizes_are_capped()
    {
        Assert.Contains("MaxOutputChars", Fails("{% set s = 'x' * 1000 %}{% for i in range(1000) %}{{ s }}{% endfor %}").Message, StringComparison.Ordinal);
        Fails("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}");
        Fails("{{ 'x' * 1000000000000 }}");
        Fails("{{ [1] * 1000000000000 }}");
        Fails("{{ 'abc' | replace('', 'xxxxxxxxxx' * 10000) }}");
    }

    [Fact]
    public void Deep_nesting_is_a_parse_error_not_a_stack_overflow()
    {
        var ex = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{{ " + new string('(', 5000) + "1" + new string(')', 5000) + " }}"));
        Assert.Contains("nests more than", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(string.Concat(Enumerable.Repeat("{% if x %}", 3000))));
    }

    [Fact]
    public void Syntax_errors_name_line_and_column()
    {
        var ex = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("line one\nline two\n  {{ 1 + }}", "t.jinja"));
        Assert.Equal("t.jinja", ex.TemplateName);
        Assert.Equal(3, ex.Line);
        Assert.Equal(10, ex.Column);
        Assert.StartsWith("t.jinja:3:10: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("endif", Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{% if x %}a")).Message, StringComparison.Ordinal);
        Assert.Contains("never closed", Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("a {{ b")).Message, StringComparison.Ordinal);
        Assert.Contains("unknown or unsupported statement", Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{% include 'x' %}")).Message, StringComparison.Ordinal);
        Assert.Contains("'{% endfor %}' with no block", Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{% endfor %}")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Runtime_errors_name_line_and_column()
    {
        var ex = Fails("ok\n{{ 'a' + 1 }}");
        Assert.Equal(2, ex.Line);
        Assert.Contains("can only concatenate str", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no filter named 'nosuch'", Fails("{{ 1 | nosuch }}").Message, StringComparison.Ordinal);
        Assert.Contains("no test named 'nosuch'", Fails("{{ 1 is nosuch }}").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Raise_exception_is_marked_as_raised_by_the_template()
    {
        var ex = Fails("{{ raise_exception('System role not supported') }}");
        Assert.True(ex.RaisedByTemplate);
        Assert.Contains("System role not supported", ex.Message, StringComparison.Ordinal);
        Assert.False(Fails("{{ 1 / 0 }}").RaisedByTemplate);
    }

    [Fact]
    public void Templates_cannot_reach_dotnet_members_or_mutate_values()
    {
        Fails("{{ messages.GetType() }}");
        Fails("{{ ''.GetType().Assembly }}");
        Fails("{{ messages.append(1) }}");
        Fails("{{ {'a': 1}.update({'b': 2}) }}");
        Fails("{{ cycler }}{{ lipsum() }}");
        var input = new ChatRenderInput { Messages = [] };
        Assert.Equal("", ChatTemplate.Parse("{{ ''.__class__ }}{{ range.__globals__ }}").Render(input).Text);
    }

    [Fact]
    public void Corrupted_real_templates_fail_cleanly()
    {
        // Seeded random edits of every real template; each render must succeed or raise ChatTemplateException.
        var golden = JsonDocument.Parse(File.ReadAllText(TestAssets.Path("chat-templates", "golden_renders.json")));
        var results = golden.RootElement.GetProperty("results");
        var rng = new Random(1234);
        var pieces = new[] { "{{", "}}", "{%", "%}", "{#", "#}", "-", "(", ")", "[", "]", "'", "\"", "|", ".", " for ", " if ", " endfor ", " endif ", "\\", "{", "}" };
        var ok = 0;
        var failed = 0;
        for (var i = 0; i < results.GetArrayLength(); i += 5)
        {
            var (template, input, _) = GoldenRenderTests.Load(i);
            var src = template.Source;
            for (var k = 0; k < 25; k++)
            {
                var chars = src.ToCharArray().ToList();
                for (var e = 0; e < 1 + rng.Next(4); e++)
                {
                    var at = rng.Next(chars.Count);
                    switch (rng.Next(3))
                    {
                        case 0: chars.RemoveRange(at, Math.Min(1 + rng.Next(8), chars.Count - at)); break;
                        case 1: chars.InsertRange(at, pieces[rng.Next(pieces.Length)]); break;
                        default: chars[at] = (char)rng.Next(32, 127); break;
                    }
                }
                try
                {
                    var t = ChatTemplate.Parse(new string([.. chars]));
                    t.Render(new ChatRenderInput
                    {
                        Messages = input.Messages, Tools = input.Tools, BosToken = input.BosToken, EosToken = input.EosToken,
                        Variables = input.Variables, StrftimeNow = input.StrftimeNow, Limits = Small,
                    });
                    ok++;
                }
                catch (ChatTemplateException)
                {
                    failed++;
                }
            }
        }
        Assert.True(ok > 0 && failed > 0, $"ok={ok} failed={failed}");
    }
}
