using System.Text.Json;
using Hone.Data.Jsonl;
using Hone.Data.Model;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Data.Tests.Model;

public class OpenAiJsonTests
{
    private static void AssertSameJson(string expected, string actual) =>
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(expected).RootElement, JsonDocument.Parse(actual).RootElement),
            $"expected {expected}\nactual   {actual}");

    [Fact]
    public void Chat_with_tools_weight_parts_and_extras_round_trips()
    {
        const string line = """
            {"messages":[{"role":"system","content":"Be brief."},{"role":"user","name":"ann","content":[{"type":"text","text":"Hi "},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"get","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"c1","content":"42"},{"role":"assistant","content":"It is 42.","weight":0}],"tools":[{"type":"function","function":{"name":"get","description":"d","parameters":{"type":"object","properties":{"a":{"type":"integer"}}},"strict":true}}],"parallel_tool_calls":false,"custom":{"k":[1,2]}}
            """;
        var ex = OpenAiJson.ParseChat(line);
        Assert.Equal(5, ex.Messages.Count);
        Assert.Equal("ann", ex.Messages[1].AuthorName);
        Assert.Equal("Hi ", ex.Messages[1].ContentText());
        Assert.Equal(2, ex.Messages[1].Contents.Count);
        Assert.Equal("get", ex.Messages[2].Contents.OfType<FunctionCallContent>().Single().Name);
        Assert.DoesNotContain(ex.Messages[2].Contents, c => c is TextContent);
        Assert.Equal("c1", ex.Messages[3].Contents.OfType<FunctionResultContent>().Single().CallId);
        Assert.Equal(0, ex.Messages[4].Weight());
        Assert.False(ex.ParallelToolCalls);
        Assert.True(ex.Extra!.ContainsKey("custom"));
        AssertSameJson(line, OpenAiJson.Serialize(ex));
    }

    [Fact]
    public void Legacy_functions_and_function_call_round_trip()
    {
        const string line = """
            {"messages":[{"role":"user","content":"w?"},{"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"}},{"role":"function","name":"f","content":"x"}],"functions":[{"name":"f","parameters":{"type":"object"}}]}
            """;
        var ex = OpenAiJson.ParseChat(line);
        Assert.Equal("f", Assert.IsType<FunctionCallContent>(Assert.Single(ex.Messages[1].Contents)).Name);
        Assert.Equal("f", ex.Functions![0].Name);
        // "content": null is written as an absent key, which OpenAI reads the same way.
        AssertSameJson(line.Replace("\"content\":null,", "", StringComparison.Ordinal), OpenAiJson.Serialize(ex));
    }

    [Fact]
    public void Preference_reinforcement_and_prompt_completion_round_trip()
    {
        const string dpo = """
            {"input":{"messages":[{"role":"user","content":"Hi"}],"tools":[],"parallel_tool_calls":true},"preferred_output":[{"role":"assistant","content":"Hello!"}],"non_preferred_output":[{"role":"assistant","content":"What."}]}
            """;
        var p = OpenAiJson.ParsePreference(dpo);
        Assert.Equal("Hello!", p.PreferredOutput[0].ContentText());
        Assert.True(p.Input.ParallelToolCalls);
        AssertSameJson(dpo, OpenAiJson.Serialize(p));

        const string rft = """
            {"messages":[{"role":"user","content":"2+2?"}],"reference_answer":"4","meta":{"difficulty":[1,"x",null]}}
            """;
        var r = OpenAiJson.ParseReinforcement(rft);
        Assert.Equal("4", r.Extra!["reference_answer"].GetString());
        AssertSameJson(rft, OpenAiJson.Serialize(r));

        const string pc = """{"prompt":"a ->","completion":" b","id":7}""";
        var c = OpenAiJson.ParsePromptCompletion(pc);
        Assert.Equal(" b", c.Completion);
        AssertSameJson(pc, OpenAiJson.Serialize(c));
    }

    [Fact]
    public void Serialize_keeps_openai_key_order_and_omits_absent_keys()
    {
        var ex = new ChatExample { Messages = [new ChatMessage(ChatRole.User, "é \"q\""), new ChatMessage(ChatRole.Assistant, "ok").WithWeight(1)] };
        Assert.Equal("""{"messages":[{"role":"user","content":"é \"q\""},{"role":"assistant","content":"ok","weight":1}]}""", OpenAiJson.Serialize(ex));
    }

    [Fact]
    public void Bad_line_throws_with_location_and_fix()
    {
        var e = Assert.Throws<DataFormatException>(() => OpenAiJson.ParseChat("""{"messages":[{"role":"user","content":5}]}""", "f.jsonl", 3));
        Assert.Contains("f.jsonl:3", e.Message, StringComparison.Ordinal);
        Assert.Contains("content", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lone_surrogate_escape_is_a_format_error_naming_the_line()
    {
        // Issue 18 item 11: training and the RFT/DPO readers parse lines with these; "\ud800" must not escape as
        // InvalidOperationException.
        var e = Assert.Throws<DataFormatException>(() => OpenAiJson.ParseChat("""{"messages":[{"role":"user","content":"a\ud800"}]}""", "f.jsonl", 3));
        Assert.Contains("f.jsonl:3:41", e.Message, StringComparison.Ordinal);
        Assert.Contains("surrogate", e.Message, StringComparison.Ordinal);
        Assert.Throws<DataFormatException>(() => OpenAiJson.ParsePromptCompletion("""{"prompt":"\udc00","completion":"x"}"""));
        Assert.Equal("😀", OpenAiJson.ParseChat("""{"messages":[{"role":"user","content":"\ud83d\ude00"}]}""").Messages[0].ContentText());
    }

    [Fact]
    public void Writer_writes_lf_lines_atomically_and_they_read_back()
    {
        var dir = TestAssets.NewTempDir();
        var path = Path.Combine(dir, "out.jsonl");
        var items = Enumerable.Range(0, 3).Select(i => new PromptCompletionExample { Prompt = "p" + i, Completion = "c" + i }).ToList();
        JsonlWriter.Write(path, items);
        var text = File.ReadAllText(path);
        Assert.DoesNotContain("\r", text, StringComparison.Ordinal);
        var lines = text.Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.Equal("", lines[3]);
        Assert.Equal("c2", OpenAiJson.ParsePromptCompletion(lines[2]).Completion);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }
}
