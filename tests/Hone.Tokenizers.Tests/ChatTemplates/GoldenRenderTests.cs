using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Testing;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Tests.ChatTemplates;

/// <summary>The oracle: 17 real templates × 5 conversations rendered by Jinja2 3.1.6 under Hugging Face's settings.</summary>
public class GoldenRenderTests
{
    private static readonly Lazy<JsonDocument> Golden = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestAssets.Path("chat-templates", "golden_renders.json"))));

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        var n = Golden.Value.RootElement.GetProperty("results").GetArrayLength();
        for (var i = 0; i < n; i++) data.Add(i);
        return data;
    }

    internal static (ChatTemplate Template, ChatRenderInput Input, JsonElement Case) Load(int index)
    {
        var c = Golden.Value.RootElement.GetProperty("results")[index];
        var name = c.GetProperty("template").GetString()!;
        var template = ChatTemplate.Parse(File.ReadAllText(TestAssets.Path("chat-templates", name)), name);
        var input = c.GetProperty("input");
        var variables = new Dictionary<string, JsonNode?>();
        foreach (var p in input.EnumerateObject())
            if (p.Name is not ("messages" or "tools" or "add_generation_prompt")) variables[p.Name] = JsonNode.Parse(p.Value.GetRawText());
        var baseInput = ChatRenderInput.FromJson(
            input.GetProperty("messages"),
            input.TryGetProperty("tools", out var tools) ? tools : null,
            input.TryGetProperty("add_generation_prompt", out var agp) && agp.GetBoolean());
        var full = new ChatRenderInput
        {
            Messages = baseInput.Messages,
            Tools = baseInput.Tools,
            AddGenerationPrompt = baseInput.AddGenerationPrompt,
            BosToken = c.GetProperty("bos_token").GetString()!,
            EosToken = c.GetProperty("eos_token").GetString()!,
            Variables = variables,
            StrftimeNow = "21 Nov 2026",
        };
        return (template, full, c);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Renders_exactly_as_jinja2(int index)
    {
        var (template, input, c) = Load(index);
        var label = $"{c.GetProperty("template").GetString()} / {c.GetProperty("case").GetString()}";
        if (c.TryGetProperty("error", out var error))
        {
            var ex = Assert.Throws<ChatTemplateException>(() => template.Render(input));
            Assert.True(ex.Line > 0, $"{label}: error without a location: {ex.Message} (Jinja2: {error.GetString()})");
            Assert.Equal(ex.Message, Assert.Throws<ChatTemplateException>(() => template.RenderText(input)).Message);
            return;
        }
        var expected = c.GetProperty("rendered").GetString()!;
        var actual = template.Render(input).Text;
        Assert.Equal(actual, template.RenderText(input)); // the text alone (what token counts use) is the same text
        if (actual != expected)
        {
            var i = 0;
            while (i < Math.Min(actual.Length, expected.Length) && actual[i] == expected[i]) i++;
            Assert.Fail($"{label}: first difference at char {i}\nexpected: {Snip(expected, i)}\nactual:   {Snip(actual, i)}");
        }
    }

    [Fact]
    public void Golden_file_has_all_cases()
    {
        var root = Golden.Value.RootElement;
        var results = root.GetProperty("results");
        Assert.Equal(84, results.GetArrayLength());
        var templates = results.EnumerateArray().Select(r => r.GetProperty("template").GetString()).Distinct().Count();
        // 17 template files × 5 conversations, less the one case the file omits (a Python generator passed to tojson).
        Assert.Equal(17, templates);
        Assert.Equal(17, Directory.GetFiles(TestAssets.Path("chat-templates"), "*.jinja").Length);
    }

    [Fact]
    public void Assistant_spans_of_golden_renders_hold_their_content()
    {
        // In every successful render, each reported span lies inside the text and contains the message content (or its trimmed form).
        var n = Golden.Value.RootElement.GetProperty("results").GetArrayLength();
        var checkedSpans = 0;
        for (var i = 0; i < n; i++)
        {
            var (template, input, c) = Load(i);
            if (c.TryGetProperty("error", out _)) continue;
            var r = template.Render(input);
            foreach (var s in r.Spans)
            {
                Assert.InRange(s.Start, 0, s.End);
                Assert.InRange(s.End, s.Start, r.Text.Length);
                var content = input.Messages[s.MessageIndex]["content"]?.GetValue<string>()?.Trim() ?? "";
                Assert.Contains(content, r.Text[s.Start..s.End], StringComparison.Ordinal);
                checkedSpans++;
            }
        }
        Assert.True(checkedSpans > 40, $"only {checkedSpans} spans checked");
    }

    private static string Snip(string s, int at)
    {
        var a = Math.Max(0, at - 40);
        var b = Math.Min(s.Length, at + 60);
        return JsonSerializer.Serialize(s[a..b]);
    }
}
