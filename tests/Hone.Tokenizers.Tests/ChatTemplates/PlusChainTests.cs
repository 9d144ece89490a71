using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Tests.ChatTemplates;

/// <summary>
/// A chain <c>a + b + c + ...</c> joins a run of strs once (ExpressionEvaluator.EvalPlusChain); its naive twin is the
/// same chain taken one <c>+</c> at a time, which a template forces by setting each partial sum. Both must give the same
/// text, assistant spans (provenance) and errors, whatever the operands: strs, message content, Markup, numbers, lists,
/// undefined names.
/// </summary>
public class PlusChainTests
{
    public static TheoryData<string[]> Chains => new()
    {
        new[] { "'a'", "'b'", "'c'" },
        new[] { "'<|im_start|>'", "message.role", "'\\n'", "message.content", "'<|im_end|>'", "'\\n'" },
        new[] { "message.content", "message.content", "''", "message.content" },
        new[] { "1", "2", "3" },
        new[] { "1", "2.5", "true" },
        new[] { "[1]", "[2]", "[3, 4]" },
        new[] { "'a'", "1", "'b'" },
        new[] { "1", "'a'", "'b'" },
        new[] { "'x'", "nothing", "'y'" },
        new[] { "nothing", "'x'", "'y'" },
        new[] { "'<'", "('<b>' | safe)", "'<'", "'c'" },
        new[] { "('<b>' | safe)", "'<'", "message.content", "'&'" },
        new[] { "'a'", "'b'", "[1]" },
        new[] { "message.content", "(message.content | trim)", "message.role | upper", "'!'" },
        new[] { "'q'", "(message.content ~ 1)", "message.content[1:3]", "message.content" },
    };

    [Theory]
    [MemberData(nameof(Chains))]
    public void A_chain_renders_as_one_plus_at_a_time(string[] operands)
    {
        var chained = "{% for message in messages %}{{ " + string.Join(" + ", operands) + " }}|{% endfor %}";
        var stepwise = "{% for message in messages %}{% set t = " + operands[0] + " + " + operands[1] + " %}"
            + string.Concat(operands.Skip(2).Select(o => "{% set t = t + " + o + " %}")) + "{{ t }}|{% endfor %}";
        Assert.Equal(Outcome(stepwise, ChatTemplateLimits.Default), Outcome(chained, ChatTemplateLimits.Default));
    }

    [Fact]
    public void The_length_cap_stops_a_chain_at_the_same_step()
    {
        var limits = new ChatTemplateLimits(MaxOutputChars: 30);
        const string chained = "{% for message in messages %}{{ 'abcdefghij' + message.content + 'abcdefghij' + 'x' }}{% endfor %}";
        const string stepwise = "{% for message in messages %}{% set t = 'abcdefghij' + message.content %}{% set t = t + 'abcdefghij' %}{% set t = t + 'x' %}{{ t }}{% endfor %}";
        Assert.Contains("MaxOutputChars", Outcome(chained, limits), StringComparison.Ordinal);
        Assert.Equal(Outcome(stepwise, limits), Outcome(chained, limits));
    }

    [Theory]
    [InlineData("{{ 'a' + 'b' + 'c' }}", "abc")]
    [InlineData("{{ 1 + 2 + 3 }}", "6")]
    [InlineData("{{ [1] + [2] + [3] }}", "[1, 2, 3]")]
    [InlineData("{{ ('<' | safe) + '<' + 'b' }}", "<&lt;b")]
    [InlineData("{{ '<' + ('<' | safe) + '<' }}", "&lt;<&lt;")]
    public void Chains_give_what_jinja2_gives(string template, string expected) =>
        Assert.Equal(expected, ChatTemplate.Parse(template).Render(new ChatRenderInput { Messages = [] }).Text);

    /// <summary>The text and assistant spans of two turns, or the error without its location (the two templates differ in length).</summary>
    private static string Outcome(string template, ChatTemplateLimits limits)
    {
        var input = new ChatRenderInput
        {
            Messages =
            [
                new JsonObject { ["role"] = "user", ["content"] = " a<b> & c " },
                new JsonObject { ["role"] = "assistant", ["content"] = "yes" },
            ],
            Limits = limits,
        };
        try
        {
            var r = ChatTemplate.Parse(template).Render(input);
            return r.Text + "\n" + string.Join(";", r.Spans);
        }
        catch (ChatTemplateException e)
        {
            return "error: " + Location().Replace(e.Message, "");
        }
    }

    private static readonly Regex LocationPattern = new(@"^.*?:\d+:\d+: ", RegexOptions.CultureInvariant);

    private static Regex Location() => LocationPattern;
}
