using Hone.Prompting.Files;
using Hone.Prompting.Rendering;
using Microsoft.Extensions.AI;

namespace Hone.Prompting.Tests.Files;

public class PromptFileReaderTests
{
    private const string Full = """
        name: orders
        system: |
          You extract orders.
          Answer in JSON.
        user: "Order: {{ text }}"
        few_shot:
          - user: "two apples"
            assistant: '{"item": "apple", "qty": 2}'
          - file: shots.jsonl
            ids: [s2]
        tools:
          - name: lookup
            description: Finds a product.
            parameters: {type: object, properties: {q: {type: string}}}
          - name: stock
            command: [echo, "12"]
            timeout_seconds: 5
          - name: price
            http: {url: "http://127.0.0.1:9/price", method: GET}
        response_format:
          name: order
          schema: {type: object, properties: {item: {type: string}}}
        sampling: {temperature: 0.5, top_p: 0.9, max_tokens: 64, seed: 7, stop: ["\n\n"]}
        """;

    [Fact]
    public void Reads_every_section_of_a_prompt_file()
    {
        var t = new TestFiles();
        t.Write("shots.jsonl", """
            {"id": "s1", "messages": [{"role": "user", "content": "a pen"}, {"role": "assistant", "content": "{}"}]}
            {"id": "s2", "messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "three pears"}, {"role": "assistant", "content": "{\"item\": \"pear\"}"}]}
            """);
        var p = PromptFileReader.Load(t.Write("orders.yaml", Full));
        Assert.Equal("orders", p.Name);
        Assert.Equal("You extract orders.\nAnswer in JSON.\n", p.System!.Source);
        Assert.Equal(3, p.System.FirstLine);
        Assert.Equal(2, p.FewShot.Count);
        Assert.Equal("three pears", p.FewShot[1].UserText); // the file's system message is not a shot
        Assert.IsType<DeclaredTool>(p.Tools[0]);
        Assert.Equal(["echo", "12"], Assert.IsType<CommandTool>(p.Tools[1]).Command);
        Assert.Equal("GET", Assert.IsType<HttpTool>(p.Tools[2]).Method);
        Assert.Equal("order", p.ResponseFormat!.Name);
        Assert.Equal(0.5, p.Sampling.Temperature);
        Assert.Equal(64, p.Sampling.MaxTokens);
        Assert.Equal(["\n\n"], p.Sampling.Stop);

        var c = TestFiles.Cases("""{"id": "a", "text": "five plums"}""")[0];
        var r = PromptRenderer.Render(p, PromptVariables.Of(c), c.Messages, "case 'a'");
        Assert.Equal(["system", "user", "assistant", "user", "assistant", "user"], r.Messages.Select(m => m.Role.Value));
        Assert.Equal("Order: five plums", r.Messages[^1].Text);
        Assert.Equal(0.5f, r.Options.Temperature);
        Assert.IsType<ChatResponseFormatJson>(r.Options.ResponseFormat);
        Assert.Equal(3, r.Options.Tools!.Count);
    }

    [Fact]
    public void A_missing_field_names_the_prompt_file_the_line_and_the_field()
    {
        var t = new TestFiles();
        var path = t.Write("p.yaml", "system: |\n  Be brief.\nuser: |\n  Title: {{ title }}\n  Body: {{ body }}\n");
        var p = PromptFileReader.Load(path);
        var c = TestFiles.Cases("""{"id": "x", "title": "t"}""")[0];
        var e = Assert.Throws<PromptFileException>(() => PromptRenderer.Render(p, PromptVariables.Of(c), null, "case 'x'"));
        Assert.StartsWith($"{path}:5: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("'body'", e.Message, StringComparison.Ordinal);
        Assert.Contains("case 'x'", e.Message, StringComparison.Ordinal);
        Assert.Equal(5, e.Line);
    }

    [Fact]
    public void A_missing_nested_field_is_an_error_too_not_empty_text()
    {
        var t = new TestFiles();
        var p = PromptFileReader.Load(t.Write("p.yaml", "user: |\n  City:\n  {{ address.city }}\n"));
        var c = TestFiles.Cases("""{"id": "x", "address": {"street": "Main"}}""")[0];
        var e = Assert.Throws<PromptFileException>(() => PromptRenderer.Render(p, PromptVariables.Of(c), null, "case 'x'"));
        Assert.Equal(3, e.Line);
        Assert.Contains("city", e.Message, StringComparison.Ordinal);
        // An optional field is written with default: no error.
        var ok = PromptFileReader.Load(t.Write("q.yaml", "user: \"{{ address.city | default('?') }} {{ note is defined }}\"\n"));
        Assert.Equal("? false", PromptRenderer.Render(ok, PromptVariables.Of(c), null, "x").Messages[0].Text);
    }

    [Theory]
    [InlineData("system: hi\nusr: x\n", 2, "unknown key 'usr'")]
    [InlineData("user: \"{{ a \"\n", 1, "user")]
    [InlineData("user: x\nsampling: {temperature: 3}\n", 2, "temperature")]
    [InlineData("user: x\ntools:\n  - name: t\n    command: []\n", 4, "command")]
    [InlineData("user: x\nfew_shot:\n  - user: hi\n", 3, "assistant")]
    [InlineData("steps:\n  - name: a\n    prompt: {user: x}\n    inputs: [b]\n  - name: b\n    prompt: {user: y}\n", 4, "later step")]
    [InlineData("system: x\nsteps:\n  - name: a\n    prompt: {user: x}\n", 1, "belongs in a step")]
    public void A_bad_prompt_file_is_an_error_with_its_line(string yaml, int line, string words)
    {
        var t = new TestFiles();
        var path = t.Write("bad.yaml", yaml);
        var e = Assert.Throws<PromptFileException>(() => PromptFileReader.Load(path));
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"{path}:{line}:", e.Message, StringComparison.Ordinal);
        Assert.Contains(words, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Template_variables_follow_jinja_scoping()
    {
        var t = new TestFiles();
        var p = PromptFileReader.Load(t.Write("p.yaml", """
            user: |
              {% set n = items | length %}{% for x in items %}{{ loop.index }} {{ x.name }} {{ unit }}{% endfor %}
              {{ n }} {{ meta["source"].url }}
            """));
        Assert.Equal(["items", "unit", "meta"], p.User!.Variables.Select(v => v.Name));
        Assert.Equal(3, p.User.FileLine(p.User.Variables[2].Line));
    }

    [Fact]
    public void Without_a_user_template_the_case_messages_are_sent_under_the_prompt_system()
    {
        var t = new TestFiles();
        var p = PromptFileReader.Load(t.Write("p.yaml", "system: New rules.\nfew_shot:\n  - {user: q, assistant: a}\n"));
        var c = TestFiles.Cases("""{"id": "c", "messages": [{"role": "system", "content": "old"}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "ref"}]}""")[0];
        var r = PromptRenderer.Render(p, PromptVariables.Of(c), c.Messages, "c");
        Assert.Equal(["system: New rules.", "user: q", "assistant: a", "user: hi"], r.Messages.Select(m => $"{m.Role.Value}: {m.Text}"));
    }
}
