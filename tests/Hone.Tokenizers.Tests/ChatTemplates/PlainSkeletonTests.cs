using System.Text.Json;
using Hone.Testing;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Tests.ChatTemplates;

/// <summary>
/// Plain conversations written from their shape's render (<see cref="PlainSkeletons"/>) under templates that treat
/// contents as opaque (<see cref="ContentOpacity"/>) give the text of a full render (<see cref="ChatTemplate.RenderTextFull"/>,
/// the twin), or the same error: every real template, seeded conversations with awkward contents (empty, whitespace,
/// placeholder brackets, template syntax, special tokens, think tags), repeated so that shapes are met again. The
/// opacity check itself is held to hand-written templates that look into contents in each way it must refuse.
/// </summary>
public class PlainSkeletonTests
{
    private static readonly string[] Contents =
    [
        "", " ", "\n", "  padded  ", "Hello, how are you?", "<think>plan</think>answer", "{{ messages }}", "{% if x %}",
        "\uE0000\uE001", "a\uE001b\uE000", "<|im_start|>user\nhi<|im_end|>", "<s>[INST]", "héllo wörld 你好 🙂", "line1\nline2\n",
        "tool_call: {\"name\": \"x\"}", new string('x', 300),
    ];

    private static readonly string[] Roles = ["system", "user", "assistant", "developer", "tool", "critic"];

    public static TheoryData<string> Templates()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(TestAssets.Path("chat-templates"), "*.jinja").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Shapes_write_the_text_of_a_full_render_for_every_real_template(string name)
    {
        var template = ChatTemplate.Parse(File.ReadAllText(TestAssets.Path("chat-templates", name)), name);
        Compare(template, seed: name.Length);
    }

    [Fact]
    public void Shapes_write_the_text_of_a_full_render_for_the_built_in_templates()
    {
        foreach (var name in BuiltInTemplates.Names) Compare(BuiltInTemplates.Get(name), seed: name.Length);
    }

    [Fact]
    public void The_data_check_template_is_opaque_and_meets_shapes_again()
    {
        var template = ChatTemplate.Parse(File.ReadAllText(TestAssets.Path("chat-templates", "Qwen-Qwen2.5-7B-Instruct.jinja")), "Qwen2.5");
        Assert.True(template.WritesPlainFromShapes);
        using var doc = JsonDocument.Parse("""[{"role":"system","content":"s"},{"role":"user","content":"u"},{"role":"assistant","content":"a"}]""");
        using var doc2 = JsonDocument.Parse("""[{"role":"system","content":"other"},{"role":"user","content":"words"},{"role":"assistant","content":"b"}]""");
        var first = template.RenderText(doc.RootElement, null, false, "<s>", "</s>");
        template.RenderText(doc2.RootElement, null, false, "<s>", "</s>");
        Assert.Equal(1, template.PlainShapes); // the second conversation has the first one's shape
        Assert.Equal("<|im_start|>system\ns<|im_end|>\n<|im_start|>user\nu<|im_end|>\n<|im_start|>assistant\na<|im_end|>\n", first);
    }

    [Theory]
    [InlineData("{% for m in messages %}<{{ m.role }}>{{ m.content }}</s>{% endfor %}", true)]
    [InlineData("{% for m in messages %}{% if m.content %}[{{ '<' + m['content'] + '>' }}]{% endif %}{% endfor %}{{ messages[0].content if messages|length > 1 else 'x' }}", true)]
    [InlineData("{% for m in messages[1:] %}{{ m.content ~ loop.index }}{% endfor %}{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] }}{% endif %}", true)]
    [InlineData("{{ messages[0]['content'] | trim }}", false)]
    [InlineData("{% for m in messages %}{% if '</think>' in m.content %}t{% endif %}{% endfor %}", false)]
    [InlineData("{% for m in messages %}{{ m.get('content') }}{% endfor %}", false)]
    [InlineData("{% for m in messages %}{{ m.items() | list }}{% endfor %}", false)]
    [InlineData("{% for m in messages %}{% if not loop.first %}{{ loop.previtem.content | trim }}{% endif %}{% endfor %}", false)]
    [InlineData("{% for m in messages %}{% set c = m.content %}{{ c }}{% endfor %}", false)]
    [InlineData("{% for m in messages %}{% set x %}{{ m.content }}{% endset %}{{ x | trim }}{% endfor %}", false)]
    [InlineData("{% for m in messages %}{% filter upper %}{{ m.content }}{% endfilter %}{% endfor %}", false)]
    [InlineData("{% macro show(t) %}{{ t }}{% endmacro %}{% for m in messages %}{{ show(m.content) }}{% endfor %}", false)]
    [InlineData("{% for m in messages %}{{ m.content[0] }}{% endfor %}", false)]
    [InlineData("{% for m in messages %}{{ m.content.split('x') }}{% endfor %}", false)]
    [InlineData("{% for m in messages %}{{ m.content | length }}{% endfor %}", false)]
    [InlineData("{% for m in messages %}{% if m.content == 'x' %}y{% endif %}{% endfor %}", false)]
    [InlineData("{% for m in messages %}{% for k in m %}{{ m[k] }}{% endfor %}{% endfor %}", false)]
    [InlineData("{% set ms = messages %}{% for m in ms %}{{ m.content | length }}{% endfor %}", false)]
    [InlineData("{% set ns = namespace(last=none) %}{% for m in messages %}{% set ns.last = m %}{% endfor %}{{ ns.last.content | trim }}", false)]
    [InlineData("{% for m in messages %}{% if m.content + 'x' %}y{% endif %}{{ m.content }}{% endfor %}", false)]
    [InlineData("{{ messages | tojson }}", false)]
    [InlineData("{{ strftime_now('%Y') }}{% for m in messages %}{{ m.content }}{% endfor %}", false)]
    [InlineData("\uE000{% for m in messages %}{{ m.content }}{% endfor %}", false)]
    [InlineData("{% for m in messages %}{{ m.content }}{{ '\uE001' }}{% endfor %}", false)]
    public void The_opacity_check_refuses_every_look_into_contents(string source, bool opaque)
    {
        var template = ChatTemplate.Parse(source, "t");
        Assert.Equal(opaque, template.WritesPlainFromShapes);
        Compare(template, seed: source.Length, conversations: 60);
    }

    [Fact]
    public void Brackets_written_by_the_template_itself_do_not_pass_for_placeholders()
    {
        var template = ChatTemplate.Parse("{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }}|{% endfor %}{{ eos_token }}", "t");
        Assert.True(template.WritesPlainFromShapes);
        using var doc = JsonDocument.Parse("""[{"role":"\uE0001\uE001","content":"a"},{"role":"user","content":"\uE0000\uE001"},{"role":"user","content":""}]""");
        foreach (var (bos, eos) in new[] { ("\uE0000\uE001", "</s>"), ("<s>", "\uE000"), ("\uE001", "\uE0002\uE001"), ("<s>", "</s>") })
        {
            var full = template.RenderTextFull(doc.RootElement, null, false, bos, eos);
            Assert.Equal(full, template.RenderText(doc.RootElement, null, false, bos, eos));
            Assert.Equal(full, template.RenderText(doc.RootElement, null, false, bos, eos));
        }
    }

    /// <summary>Seeded plain conversations (each rendered twice, and shapes repeat), both key orders: the fast text equals the full one, or both fail alike.</summary>
    private static void Compare(ChatTemplate template, int seed, int conversations = 150)
    {
        var rng = new Random(seed);
        for (var c = 0; c < conversations; c++)
        {
            var n = 1 + rng.Next(5);
            var json = new System.Text.StringBuilder("[");
            for (var i = 0; i < n; i++)
            {
                if (i > 0) json.Append(',');
                // Mostly the usual alternation (so shapes repeat), sometimes any role.
                var role = rng.Next(6) == 0 ? Roles[rng.Next(Roles.Length)] : i == 0 && rng.Next(2) == 0 ? "system" : i % 2 == 1 ? "user" : "assistant";
                var content = Contents[rng.Next(Contents.Length)];
                var r = JsonSerializer.Serialize(role);
                var t = JsonSerializer.Serialize(content);
                json.Append(rng.Next(8) == 0 ? $$"""{"content":{{t}},"role":{{r}}}""" : $$"""{"role":{{r}},"content":{{t}}}""");
            }
            json.Append(']');
            using var doc = JsonDocument.Parse(json.ToString());
            var generation = rng.Next(2) == 0;
            var expected = Outcome(() => template.RenderTextFull(doc.RootElement, null, generation, "<s>", "</s>"));
            Assert.Equal(expected, Outcome(() => template.RenderText(doc.RootElement, null, generation, "<s>", "</s>")));
            Assert.Equal(expected, Outcome(() => template.RenderText(doc.RootElement, null, generation, "<s>", "</s>")));
        }
    }

    private static string Outcome(Func<string> render)
    {
        try
        {
            return render();
        }
        catch (ChatTemplateException e)
        {
            return "error: " + e.Message;
        }
    }
}
